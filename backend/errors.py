"""The one exception services raise for expected failures, and the stable error codes."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class ErrorCode(StrEnum):
    """Stable error codes of the outside contract (``UserError.code``)."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_USCC = "INVALID_USCC"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    INVALID_PHONE = "INVALID_PHONE"
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 (an error code, not a password)
    PHONE_TAKEN = "PHONE_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    ENTERPRISE_NOT_FOUND = "ENTERPRISE_NOT_FOUND"
    IDENTITY_MISMATCH = "IDENTITY_MISMATCH"
    ALREADY_VERIFIED = "ALREADY_VERIFIED"
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    INVALID_RULE = "INVALID_RULE"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"  # the firm fails the product's eligibility rule


class DomainError(Exception):
    """An expected failure with a stable code, a Chinese message for people and the input field."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def all(self) -> list[DomainError]:
        """Every failure this error stands for (one, unless it is a :class:`DomainErrors`)."""
        return [self]

    def __repr__(self) -> str:
        return f"DomainError({self.code.value!r}, {self.message!r}, field={self.field!r})"


class DomainErrors(DomainError):
    """Several expected failures at once, so that a form can mark every bad field together."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.field)
        self._errors = errors

    @property
    def all(self) -> list[DomainError]:
        """Every failure, in the order the checks ran."""
        return list(self._errors)


def check_each(*checks: Callable[[], T]) -> list[T]:
    """Run independent field checks; raise all their failures together, else return results."""
    results: list[T] = []
    failures: list[DomainError] = []
    for check in checks:
        try:
            results.append(check())
        except DomainError as exc:
            failures.extend(exc.all)
    if failures:
        raise failures[0] if len(failures) == 1 else DomainErrors(failures)
    return results


def parse_id(value: int | str, field: str, message: str = "编号不存在") -> int:
    """A positive 64-bit row id; anything that cannot be one is simply NOT_FOUND (no 500)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise DomainError(ErrorCode.NOT_FOUND, message, field=field)
    return int(text)
