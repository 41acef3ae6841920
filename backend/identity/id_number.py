"""公民身份号码 (citizen ID number), GB 11643-1999, check character ISO 7064 MOD 11-2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.clock import china_today
from backend.errors import DomainError, ErrorCode
from backend.identity.regions import province_code_known

__all__ = [
    "ID_WEIGHTS",
    "IdNumberInfo",
    "id_check_character",
    "is_valid_id_number",
    "parse_id_number",
]

#: Weights of the first 17 digits.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for Σ mod 11 = 0…10.
_CHECK_CHARACTERS = "10X98765432"
_DIGITS = frozenset("0123456789")
_EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class IdNumberInfo:
    """A valid ID number with its address code, birth date and sex ("male" or "female")."""

    number: str
    region_code: str
    birth_date: date
    sex: str


def id_check_character(first17: str) -> str:
    """Return the check character (0–9 or X) for the first 17 digits; ValueError if malformed."""
    if not isinstance(first17, str) or len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("expected 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def _refuse(message: str, field: str | None) -> DomainError:
    """Build the INVALID_ID_NUMBER error."""
    return DomainError(ErrorCode.INVALID_ID_NUMBER, message, field=field)


def parse_id_number(
    raw: str, *, today: date | None = None, field: str | None = "legalRepIdNumber"
) -> IdNumberInfo:
    """Validate an 18-character ID number and return its parts, or raise INVALID_ID_NUMBER."""
    if not isinstance(raw, str):
        raise _refuse("身份证号码必须是文本", field)
    number = raw.strip().upper()
    if not number:
        raise _refuse("请填写身份证号码（18位）", field)
    if len(number) == 15 and set(number) <= _DIGITS:
        raise _refuse("15位的第一代身份证号码已停止使用，请填写18位的第二代身份证号码", field)
    if len(number) != 18:
        raise _refuse(f"身份证号码应为18位，实际为{len(number)}位", field)
    for position, ch in enumerate(number[:17], start=1):
        if ch not in _DIGITS:
            raise _refuse(f"身份证号码第{position}位“{ch}”无效：前17位只能是数字", field)
    if number[17] not in _DIGITS and number[17] != "X":
        raise _refuse(f"身份证号码第18位“{number[17]}”无效：校验码只能是数字或X", field)
    if id_check_character(number[:17]) != number[17]:
        raise _refuse("身份证号码校验码不正确，请核对后重新输入", field)
    digits = number[6:14]
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _refuse(f"身份证号码中的出生日期{digits}不是有效日期", field) from None
    if birth_date.year < _EARLIEST_BIRTH_YEAR:
        raise _refuse(f"身份证号码中的出生年份{birth_date.year}早于1900年", field)
    if birth_date > (today or china_today()):
        raise _refuse(f"身份证号码中的出生日期{digits}晚于今天", field)
    if not province_code_known(number[:2]):
        raise _refuse(f"身份证号码前两位“{number[:2]}”不是有效的省级行政区划代码", field)
    return IdNumberInfo(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        sex="male" if int(number[16]) % 2 == 1 else "female",
    )


def is_valid_id_number(raw: str) -> bool:
    """Tell whether ``raw`` is a valid ID number (same rules as parse_id_number, today's date)."""
    try:
        parse_id_number(raw)
    except DomainError:
        return False
    return True
