"""Page sizes and opaque keyset cursors shared by every paged read."""

from __future__ import annotations

import base64
import binascii

from backend.errors import DomainError, ErrorCode

DEFAULT_MAX_PAGE = 100


def check_page_size(first: int, maximum: int = DEFAULT_MAX_PAGE, field: str = "first") -> int:
    """``first`` when it is 1 to ``maximum``, else VALIDATION_ERROR on ``field``."""
    if not 1 <= first <= maximum:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每页 1 到 {maximum} 条", field=field)
    return first


def encode_cursor(tag: str, key: int) -> str:
    """An opaque cursor that continues after the row with ``key`` (``tag`` names the list)."""
    return base64.urlsafe_b64encode(f"{tag}:{key}".encode()).decode()


def decode_cursor(tag: str, cursor: str, field: str = "after") -> int:
    """The key a cursor of list ``tag`` continues after; VALIDATION_ERROR when it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError, binascii.Error):
        raw = ""
    digits = raw.removeprefix(f"{tag}:") if raw.startswith(f"{tag}:") else ""
    if digits.isdigit() and 0 < int(digits) < 2**63:
        return int(digits)
    raise DomainError(ErrorCode.VALIDATION_ERROR, "分页游标无效", field=field)
