"""Mainland China mobile phone numbers: normalisation and validation."""

from __future__ import annotations

import re

from backend.errors import DomainError, ErrorCode

__all__ = ["normalize_phone"]

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS_RE = re.compile(r"[\s\-]+")
_INVALID_MESSAGE = "手机号码格式不正确，请填写11位中国大陆手机号码"


def normalize_phone(raw: str, *, field: str | None = "phone") -> str:
    """Return the 11-digit mobile number without spaces, hyphens or +86/0086/86 prefix."""
    if not isinstance(raw, str):
        raise DomainError(ErrorCode.INVALID_PHONE, _INVALID_MESSAGE, field=field)
    number = _SEPARATORS_RE.sub("", raw)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    else:
        if len(number) == 13 and number.startswith("86"):
            number = number[2:]
    if not _MOBILE_RE.fullmatch(number):
        raise DomainError(ErrorCode.INVALID_PHONE, _INVALID_MESSAGE, field=field)
    return number
