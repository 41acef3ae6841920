"""统一社会信用代码 (GB 32100-2015): check character, parsing and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from backend.errors import DomainError, ErrorCode
from backend.identity.uscc import (
    USCC_ALPHABET,
    UsccInfo,
    is_valid_uscc,
    parse_uscc,
    uscc_check_character,
)

DIGITS = "0123456789"

# Published codes of well-known companies (each also checked against stdnum.cn.uscc below).
REAL_CODES = {
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "914403001922038216": "华为技术有限公司",
    "91440300192317458F": "比亚迪股份有限公司",
    "91440300192181490G": "万科企业股份有限公司",
    "91440300100012316L": "中国平安保险（集团）股份有限公司",
    "9144030010001686XA": "招商银行股份有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91440400192548256N": "珠海格力电器股份有限公司",
    "91370200264574251E": "海尔智家股份有限公司",
    "91100000100003962T": "中国工商银行股份有限公司",
}

DEMO_CODES = [
    ("91371302MA3CDXY10K", "enterprise", "企业", "山东省临沂市兰山区"),
    ("92371311MA3DXY201A", "individual_business", "个体工商户", "山东省临沂市罗庄区"),
    ("93640100MA7DXY302U", "farmer_coop", "农民专业合作社", "宁夏回族自治区银川市"),
    ("91320505MA1DXY4036", "enterprise", "企业", "江苏省苏州市虎丘区"),
]

alphabet_char = st.sampled_from(USCC_ALPHABET)
digit_char = st.sampled_from(DIGITS)


@st.composite
def uscc_prefixes(draw: st.DrawFn, *, digit_authority: bool = False) -> str:
    """17 characters shaped like a USCC: authority/type, 6-digit region, organisation code."""
    head = digit_char if digit_authority else alphabet_char
    return (
        draw(head)
        + draw(head)
        + "".join(draw(st.lists(digit_char, min_size=6, max_size=6)))
        + "".join(draw(st.lists(alphabet_char, min_size=9, max_size=9)))
    )


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    """A valid USCC: a shaped prefix plus its computed check character."""
    prefix = draw(uscc_prefixes())
    return prefix + uscc_check_character(prefix)


def _make(prefix17: str) -> str:
    """Complete 17 characters with their check character."""
    return prefix17 + uscc_check_character(prefix17)


def _refusal(raw: object, **kwargs: object) -> DomainError:
    """Return the DomainError parse_uscc raises for ``raw``."""
    with pytest.raises(DomainError) as excinfo:
        parse_uscc(raw, **kwargs)  # type: ignore[arg-type]
    return excinfo.value


def test_alphabet_has_31_characters_without_ioszv() -> None:
    assert len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_real_published_codes_validate(code: str) -> None:
    assert stdnum_uscc.is_valid(code), "test data must be a valid code"
    info = parse_uscc(code)
    assert info.code == code
    assert info.entity_type == "enterprise"
    assert info.entity_type_label == "企业"
    assert info.authority_code == "9"
    assert info.region_code == code[2:8]
    assert is_valid_uscc(code)


def test_real_code_region_name_and_unknown_region_is_not_an_error() -> None:
    assert parse_uscc("91440300708461136T").region_name == "广东省深圳市"
    # 100000 is not an administrative division (central registration): still valid.
    info = parse_uscc("91100000100003962T")
    assert info.region_code == "100000"
    assert info.region_name is None


@pytest.mark.parametrize(("code", "entity_type", "label", "region"), DEMO_CODES)
def test_demo_codes(code: str, entity_type: str, label: str, region: str) -> None:
    info = parse_uscc(code)
    assert info == UsccInfo(
        code=code,
        authority_code=code[0],
        entity_type=entity_type,
        entity_type_label=label,
        region_code=code[2:8],
        region_name=region,
    )


@pytest.mark.parametrize(
    ("head", "label"),
    [("11", "机构编制"), ("12", "机构编制"), ("51", "民政"), ("53", "民政"), ("Y1", "其他")],
)
def test_other_authorities_are_other_with_authority_label(head: str, label: str) -> None:
    info = parse_uscc(_make(head + "371302" + "MB1234567"))
    assert info.entity_type == "other"
    assert info.entity_type_label == label
    assert info.authority_code == head[0]


def test_market_authority_with_unlisted_type_is_other() -> None:
    info = parse_uscc(_make("99371302MA3CDXY10"))
    assert info.entity_type == "other"


def test_check_character_examples() -> None:
    assert uscc_check_character("91440300708461136") == "T"
    assert uscc_check_character("91440300192203821") == "6"
    assert uscc_check_character("91371302ma3cdxy10") == "K"


@pytest.mark.parametrize("bad", ["", "9144030070846113", "914403007084611360", "9144030070846113I"])
def test_check_character_rejects_malformed_prefix(bad: str) -> None:
    with pytest.raises(ValueError):
        uscc_check_character(bad)


@settings(max_examples=200, deadline=None)
@given(code=valid_usccs(), data=st.data())
def test_any_single_substitution_is_refused(code: str, data: st.DataObject) -> None:
    assert is_valid_uscc(code)
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(alphabet_char.filter(lambda c: c != code[position]))
    changed = code[:position] + replacement + code[position + 1 :]
    error = _refusal(changed)
    assert error.code is ErrorCode.INVALID_USCC
    assert not is_valid_uscc(changed)


@settings(max_examples=200, deadline=None)
@given(prefix=uscc_prefixes(digit_authority=True))
def test_computed_codes_validate_and_agree_with_stdnum(prefix: str) -> None:
    code = prefix + uscc_check_character(prefix)
    assert parse_uscc(code).code == code
    assert stdnum_uscc.is_valid(code)
    assert stdnum_uscc.calc_check_digit(prefix) == code[17]


@settings(max_examples=200, deadline=None)
@given(
    prefix=uscc_prefixes(digit_authority=True),
    last=alphabet_char,
)
def test_arbitrary_codes_agree_with_stdnum(prefix: str, last: str) -> None:
    # stdnum requires digits in positions 1-8; within that shape the verdicts must agree.
    code = prefix + last
    assert is_valid_uscc(code) == stdnum_uscc.is_valid(code)


@settings(max_examples=100, deadline=None)
@given(code=valid_usccs())
def test_letter_authority_codes_accepted(code: str) -> None:
    # GB 32100 authorities include letters (e.g. Y); stdnum refuses those, we do not.
    assert parse_uscc(code).authority_code == code[0]


@settings(max_examples=100, deadline=None)
@given(
    code=valid_usccs(),
    before=st.text(alphabet=" \t\n\u3000", max_size=3),
    after=st.text(alphabet=" \t\n\u3000", max_size=3),
)
def test_lowercase_and_surrounding_whitespace_accepted(code: str, before: str, after: str) -> None:
    info = parse_uscc(before + code.lower() + after)
    assert info.code == code


def test_wrong_length_names_the_count() -> None:
    error = _refusal("91440300708461136")
    assert error.code is ErrorCode.INVALID_USCC
    assert error.field == "uscc"
    assert "18位" in error.message
    assert "17位" in error.message
    assert "19位" in _refusal("91440300708461136TT").message


def test_empty_is_refused() -> None:
    error = _refusal("   ")
    assert error.code is ErrorCode.INVALID_USCC
    assert "18位" in error.message


@pytest.mark.parametrize("ch", ["I", "O", "S", "V", "Z", "-", "中"])
def test_character_outside_alphabet_names_position_and_character(ch: str) -> None:
    code = "91440300708461136T"
    error = _refusal(code[:10] + ch + code[11:])
    assert error.code is ErrorCode.INVALID_USCC
    assert "第11位" in error.message
    assert ch in error.message
    assert "I、O、S、V、Z" in error.message


@pytest.mark.parametrize("position", [3, 5, 8])
def test_letter_in_region_code_is_refused(position: int) -> None:
    code = "91440300708461136T"
    error = _refusal(code[: position - 1] + "A" + code[position:])
    assert error.code is ErrorCode.INVALID_USCC
    assert f"第{position}位" in error.message
    assert "行政区划" in error.message


def test_wrong_check_character() -> None:
    error = _refusal("91440300708461136U")
    assert error.code is ErrorCode.INVALID_USCC
    assert "校验位不正确" in error.message


@pytest.mark.parametrize("raw", [None, 91440300708461136, b"91440300708461136T"])
def test_non_string_refused(raw: object) -> None:
    assert _refusal(raw).code is ErrorCode.INVALID_USCC
    assert not is_valid_uscc(raw)  # type: ignore[arg-type]


def test_field_is_passed_through() -> None:
    assert _refusal("x", field="creditCode").field == "creditCode"
    assert _refusal("x", field=None).field is None
