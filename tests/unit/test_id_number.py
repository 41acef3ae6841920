"""公民身份号码 (GB 11643-1999): check character, parsing and refusals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.exceptions import InvalidComponent

from backend.errors import DomainError, ErrorCode
from backend.identity.id_number import (
    IdNumberInfo,
    id_check_character,
    is_valid_id_number,
    parse_id_number,
)
from backend.identity.regions import all_regions

TODAY = date(2026, 3, 1)

DEMO_IDS = [
    ("371302198001011239", date(1980, 1, 1), "male"),
    ("371311198503150024", date(1985, 3, 15), "female"),
    ("640102199006200037", date(1990, 6, 20), "male"),
    ("320505197812120047", date(1978, 12, 12), "female"),
]

COUNTY_CODES = sorted(code for code, region in all_regions().items() if region.level == "county")


@st.composite
def id_prefixes(draw: st.DrawFn) -> str:
    """17 digits: a real county code, a birth date between 1900 and 2020, a sequence number."""
    region = draw(st.sampled_from(COUNTY_CODES))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return f"{region}{born:%Y%m%d}{sequence:03d}"


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    """A valid ID number: a shaped prefix plus its check character."""
    prefix = draw(id_prefixes())
    return prefix + id_check_character(prefix)


def _refusal(raw: object, **kwargs: object) -> DomainError:
    """Return the DomainError parse_id_number raises for ``raw`` (today fixed unless given)."""
    kwargs.setdefault("today", TODAY)
    with pytest.raises(DomainError) as excinfo:
        parse_id_number(raw, **kwargs)  # type: ignore[arg-type]
    assert excinfo.value.code is ErrorCode.INVALID_ID_NUMBER
    return excinfo.value


def _with_check(prefix17: str) -> str:
    """Complete 17 digits with the right check character."""
    return prefix17 + id_check_character(prefix17)


def test_standard_example_is_valid() -> None:
    info = parse_id_number("11010519491231002X", today=TODAY)
    assert info == IdNumberInfo(
        number="11010519491231002X",
        region_code="110105",
        birth_date=date(1949, 12, 31),
        sex="female",
    )
    assert stdnum_ric.is_valid("11010519491231002X")


def test_lowercase_x_and_whitespace_accepted() -> None:
    assert parse_id_number(" 11010519491231002x\u3000", today=TODAY).number == (
        "11010519491231002X"
    )
    assert is_valid_id_number("11010519491231002x")


@pytest.mark.parametrize(("number", "born", "sex"), DEMO_IDS)
def test_demo_ids(number: str, born: date, sex: str) -> None:
    info = parse_id_number(number, today=TODAY)
    assert info.number == number
    assert info.region_code == number[:6]
    assert info.birth_date == born
    assert info.sex == sex
    assert is_valid_id_number(number)


def test_historical_address_code_is_accepted() -> None:
    # 640102 (银川市城区) was abolished in 2002 but numbers issued under it stay valid.
    assert parse_id_number("640102199006200037", today=TODAY).region_code == "640102"


def test_check_character_examples() -> None:
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("37130219800101123") == "9"


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100X"])
def test_check_character_rejects_malformed_prefix(bad: str) -> None:
    with pytest.raises(ValueError):
        id_check_character(bad)


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_agrees_with_stdnum(prefix: str) -> None:
    assert id_check_character(prefix) == stdnum_ric.calc_check_digit(prefix + "0")


@settings(max_examples=200, deadline=None)
@given(number=valid_ids())
def test_generated_numbers_valid_and_agree_with_stdnum(number: str) -> None:
    info = parse_id_number(number, today=TODAY)
    assert info.birth_date == stdnum_ric.get_birth_date(number)
    assert info.sex == ("male" if int(number[16]) % 2 else "female")
    # stdnum also requires the address code to have existed in the birth year; apart from
    # that its checks (length, digits, checksum, date) must agree.
    try:
        stdnum_ric.validate(number)
    except InvalidComponent:
        with pytest.raises(InvalidComponent):
            stdnum_ric.get_birth_place(number)


@settings(max_examples=200, deadline=None)
@given(number=valid_ids(), data=st.data())
def test_any_single_substitution_is_refused(number: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from("0123456789X").filter(lambda c: c != number[position]))
    changed = number[:position] + replacement + number[position + 1 :]
    _refusal(changed)
    assert not stdnum_ric.is_valid(changed)


def test_fifteen_digit_first_generation_number_refused() -> None:
    error = _refusal("110105491231002")
    assert "15位" in error.message
    assert "18位" in error.message
    assert error.field == "legalRepIdNumber"


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002X1"])
def test_wrong_length_refused(raw: str) -> None:
    error = _refusal(raw)
    assert "18位" in error.message
    assert f"{len(raw)}位" in error.message


def test_empty_refused() -> None:
    assert "18位" in _refusal("  ").message


def test_non_digit_in_first_17_refused() -> None:
    error = _refusal("1101051949123A002X")
    assert "第14位" in error.message
    assert "A" in error.message


def test_bad_last_character_refused() -> None:
    error = _refusal("11010519491231002Y")
    assert "第18位" in error.message


def test_wrong_check_character_refused() -> None:
    assert "校验码不正确" in _refusal("110105194912310021").message


def test_impossible_birth_date_refused() -> None:
    error = _refusal(_with_check("37130219800230123"))
    assert "19800230" in error.message
    assert "不是有效日期" in error.message


def test_future_birth_date_refused() -> None:
    number = _with_check("37130220260302123")
    error = _refusal(number, today=date(2026, 3, 1))
    assert "晚于今天" in error.message
    assert parse_id_number(number, today=date(2026, 3, 2)).birth_date == date(2026, 3, 2)


def test_future_birth_date_refused_with_default_today() -> None:
    assert not is_valid_id_number(_with_check("37130229991231123"))


def test_birth_year_before_1900_refused() -> None:
    error = _refusal(_with_check("37130218991231123"))
    assert "1900" in error.message
    assert parse_id_number(_with_check("37130219000101123"), today=TODAY).birth_date == date(
        1900, 1, 1
    )


@pytest.mark.parametrize("province", ["00", "10", "19", "99"])
def test_unknown_province_refused(province: str) -> None:
    error = _refusal(_with_check(province + "1302" + "19800101" + "123"))
    assert province in error.message
    assert "省级行政区划" in error.message


@pytest.mark.parametrize("raw", [None, 371302198001011239])
def test_non_string_refused(raw: object) -> None:
    _refusal(raw)
    assert not is_valid_id_number(raw)  # type: ignore[arg-type]


def test_field_is_passed_through() -> None:
    assert _refusal("1", field="idNumber").field == "idNumber"
    assert _refusal("1", field=None).field is None
