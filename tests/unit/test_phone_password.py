"""Mobile number normalisation and the password strength rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.errors import DomainError, ErrorCode
from backend.identity.passwords import (
    COMMON_PASSWORDS,
    PASSWORD_RULE_TEXT,
    check_password_strength,
)
from backend.identity.phone import normalize_phone

# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800000001",
        " 13800000001 ",
        "138 0000 0001",
        "138-0000-0001",
        "+8613800000001",
        "+86 138 0000 0001",
        "+86-138-0000-0001",
        "8613800000001",
        "008613800000001",
        "0086 138 0000 0001",
        "\u300013800000001",
    ],
)
def test_phone_normalised(raw: str) -> None:
    assert normalize_phone(raw) == "13800000001"


@settings(max_examples=150, deadline=None)
@given(
    second=st.sampled_from("3456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    prefix=st.sampled_from(["", "+86", "86", "0086", "+86 "]),
)
def test_any_mainland_mobile_accepted(second: str, rest: str, prefix: str) -> None:
    number = "1" + second + rest
    assert normalize_phone(prefix + number) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1380000000",
        "138000000012",
        "12800000001",
        "10800000001",
        "23800000001",
        "1380000000a",
        "+85213800000001",
        "86138000000",
        "０１３８００００0001",
        "138.0000.0001",
    ],
)
def test_phone_refused(raw: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        normalize_phone(raw)
    assert excinfo.value.code is ErrorCode.INVALID_PHONE
    assert excinfo.value.field == "phone"
    assert "手机号码格式不正确" in excinfo.value.message


def test_phone_non_string_and_field() -> None:
    with pytest.raises(DomainError) as excinfo:
        normalize_phone(13800000001, field="mobile")  # type: ignore[arg-type]
    assert excinfo.value.code is ErrorCode.INVALID_PHONE
    assert excinfo.value.field == "mobile"


# --- password ------------------------------------------------------------------------------


def _weak(password: object, **kwargs: object) -> DomainError:
    """Return the WEAK_PASSWORD error for ``password``."""
    with pytest.raises(DomainError) as excinfo:
        check_password_strength(password, **kwargs)  # type: ignore[arg-type]
    assert excinfo.value.code is ErrorCode.WEAK_PASSWORD
    return excinfo.value


@pytest.mark.parametrize(
    "password", ["Demo#2026", "Xinrong2026", "abc#2026xyz", "ABC#2026XYZ", "Ab1" + "x" * 125]
)
def test_strong_passwords_pass(password: str) -> None:
    assert check_password_strength(password, phone="13800000001") is None


def test_too_short() -> None:
    error = _weak("Ab#1234")
    assert "8" in error.message
    assert error.field == "password"


def test_too_long() -> None:
    assert "128" in _weak("Ab1#" + "x" * 125).message


@pytest.mark.parametrize("password", ["abcdefgh", "ABCDEFGH1", "abcd1234", "abcd!@#$%"])
def test_fewer_than_three_classes(password: str) -> None:
    assert "至少三类" in _weak(password).message


@pytest.mark.parametrize("password", ["aaaaaaaa", "########", "11111111111"])
def test_single_repeated_character(password: str) -> None:
    assert "同一个字符" in _weak(password).message


@pytest.mark.parametrize(
    "password", ["Password123!", "password123!", "Aa123456!", "Qwer1234!", "P@ssw0rd", "p@SSW0RD"]
)
def test_common_passwords_refused_case_insensitively(password: str) -> None:
    assert "常见" in _weak(password).message


def test_common_list_entries_are_lowercase() -> None:
    assert all(p == p.lower() for p in COMMON_PASSWORDS)
    assert "demo#2026" not in COMMON_PASSWORDS


@pytest.mark.parametrize("phone", ["13800000001", "+86 138-0000-0001", "8613800000001"])
def test_password_containing_phone_refused(phone: str) -> None:
    assert "手机号码" in _weak("Ab#13800000001", phone=phone).message


def test_phone_not_checked_when_absent() -> None:
    check_password_strength("Ab#13800000001")


def test_non_string_password_and_field() -> None:
    assert _weak(None, field="newPassword").field == "newPassword"


def test_rule_text_describes_the_rule() -> None:
    for part in ("8", "128", "三类", "手机号码", "常见"):
        assert part in PASSWORD_RULE_TEXT


@settings(max_examples=150, deadline=None)
@given(
    body=st.text(alphabet="abcdefghjkmnpqrstuvwxyz", min_size=6, max_size=40),
    upper=st.sampled_from("ABCDEFGH"),
    digit=st.sampled_from("23456789"),
)
def test_three_classes_of_allowed_length_pass(body: str, upper: str, digit: str) -> None:
    check_password_strength(upper + body + digit, phone="13800000001")


@settings(max_examples=150, deadline=None)
@given(password=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=40))
def test_two_classes_never_pass(password: str) -> None:
    with pytest.raises(DomainError):
        check_password_strength(password)
