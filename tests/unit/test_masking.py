"""Masking (脱敏) of ID numbers, mobile numbers and names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.identity.masking import mask_id_number, mask_person_name, mask_phone


def test_id_number_examples() -> None:
    assert mask_id_number("371302198001011239") == "371302********1239"
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_phone_examples() -> None:
    assert mask_phone("13800000001") == "138****0001"
    assert mask_phone("18612345678") == "186****5678"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王建国", "王*国"),
        ("王五", "王*"),
        ("王", "王"),
        ("欧阳建国", "欧**国"),
        ("司马相如然", "司***然"),
    ],
)
def test_person_name_examples(name: str, masked: str) -> None:
    assert mask_person_name(name) == masked


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_person_name])
@pytest.mark.parametrize("empty", ["", None])
def test_empty_gives_empty(mask: object, empty: str | None) -> None:
    assert mask(empty) == ""  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("1", "*"), ("1234567", "*******"), ("12345678", "123*5678")],
)
def test_short_phone_fully_masked(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("12", "**"), ("1234567890", "**********"), ("12345678901", "123456*8901")],
)
def test_short_id_number_fully_masked(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=30))
def test_masks_never_raise_and_keep_length(value: str) -> None:
    for mask in (mask_id_number, mask_phone, mask_person_name):
        result = mask(value)
        assert len(result) == len(value.strip())


@settings(max_examples=150, deadline=None)
@given(number=st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_id_number_mask_hides_the_birth_date(number: str) -> None:
    masked = mask_id_number(number)
    assert masked[:6] == number[:6]
    assert masked[6:14] == "*" * 8
    assert masked[14:] == number[14:]


@settings(max_examples=150, deadline=None)
@given(name=st.text(alphabet="王李张欧阳建国明华", min_size=3, max_size=8))
def test_name_mask_keeps_only_first_and_last(name: str) -> None:
    masked = mask_person_name(name)
    assert masked[0] == name[0]
    assert masked[-1] == name[-1]
    assert set(masked[1:-1]) == {"*"}
