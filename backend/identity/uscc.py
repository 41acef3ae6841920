"""统一社会信用代码 (Unified Social Credit Code), GB 32100-2015: check character and parsing."""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import DomainError, ErrorCode
from backend.identity.regions import region_name

__all__ = [
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "UsccInfo",
    "is_valid_uscc",
    "parse_uscc",
    "uscc_check_character",
]

#: The 31 characters of the code (no I, O, S, V, Z), valued 0–30 in this order.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1–17.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_DIGITS = frozenset("0123456789")

#: Entity types registered by 工商/市场监管 (authority ``9``), by type character.
_MARKET_ENTITY_TYPES = {
    "1": ("enterprise", "企业"),
    "2": ("individual_business", "个体工商户"),
    "3": ("farmer_coop", "农民专业合作社"),
}
#: Labels of other registration authorities (first character), GB 32100-2015 appendix.
_AUTHORITY_LABELS = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "市场监管",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}


@dataclass(frozen=True)
class UsccInfo:
    """A valid USCC split into its parts, with the entity type and the registering region."""

    code: str
    authority_code: str
    entity_type: str
    entity_type_label: str
    region_code: str
    region_name: str | None


def _check_character(first17: str) -> str:
    """Compute the check character of 17 characters already known to be in the alphabet."""
    total = sum(_VALUES[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_check_character(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters; ValueError if malformed."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise ValueError("expected 17 characters")
    first17 = first17.upper()
    if any(ch not in _VALUES for ch in first17):
        raise ValueError("character outside the USCC alphabet")
    return _check_character(first17)


def _refuse(message: str, field: str | None) -> DomainError:
    """Build the INVALID_USCC error."""
    return DomainError(ErrorCode.INVALID_USCC, message, field=field)


def _entity_type(authority: str, kind: str) -> tuple[str, str]:
    """Return (entity_type, Chinese label) for the registration authority and type characters."""
    if authority == "9" and kind in _MARKET_ENTITY_TYPES:
        return _MARKET_ENTITY_TYPES[kind]
    return "other", _AUTHORITY_LABELS.get(authority, "其他")


def parse_uscc(raw: str, *, field: str | None = "uscc") -> UsccInfo:
    """Validate a USCC (trimmed, upper-cased) and return its parts, or raise INVALID_USCC."""
    if not isinstance(raw, str):
        raise _refuse("统一社会信用代码必须是文本", field)
    code = raw.strip().upper()
    if not code:
        raise _refuse("请填写统一社会信用代码（18位）", field)
    if len(code) != 18:
        raise _refuse(f"统一社会信用代码应为18位，实际为{len(code)}位", field)
    for position, ch in enumerate(code, start=1):
        if ch not in _VALUES:
            raise _refuse(
                f"统一社会信用代码第{position}位“{ch}”不是有效字符"
                "（只能是数字和大写字母，不使用I、O、S、V、Z）",
                field,
            )
        if 3 <= position <= 8 and ch not in _DIGITS:
            raise _refuse(
                f"统一社会信用代码第{position}位“{ch}”无效：第3至8位是行政区划代码，只能是数字",
                field,
            )
    if _check_character(code[:17]) != code[17]:
        raise _refuse("统一社会信用代码校验位不正确，请核对后重新输入", field)
    entity_type, label = _entity_type(code[0], code[1])
    region_code = code[2:8]
    return UsccInfo(
        code=code,
        authority_code=code[0],
        entity_type=entity_type,
        entity_type_label=label,
        region_code=region_code,
        region_name=region_name(region_code),
    )


def is_valid_uscc(raw: str) -> bool:
    """Tell whether ``raw`` is a valid USCC (same rules as parse_uscc)."""
    try:
        parse_uscc(raw)
    except DomainError:
        return False
    return True
