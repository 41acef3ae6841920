"""Input checks for admitting institutions and issuing API tokens: each raises one DomainError
naming the input field, so that ``check_each`` can report every bad field of a form together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from backend.clock import china_today
from backend.errors import DomainError, ErrorCode
from backend.identity.regions import region_prefix
from backend.institutions.models import ApiScope, InstitutionKind, InstitutionStatus

NAME_LENGTH = (2, 100)
REASON_LENGTH = (2, 500)
TOKEN_NAME_LENGTH = (1, 100)
TOKEN_VALID_DAYS = (1, 365)
MAX_REGIONS = 50
ASSESSMENT_MAX_AGE_DAYS = 365
ASSESSMENT_TEXT_MAX = 100
ASSESSMENT_SUMMARY_MAX = 1000
ASSESSMENT_FIELD = "securityAssessment"


def clean_text(value: str | None, *, field: str, label: str, bounds: tuple[int, int]) -> str:
    """``value`` stripped, when its length is within ``bounds``."""
    text = (value or "").strip()
    low, high = bounds
    if not low <= len(text) <= high:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"{label}应为 {low} 到 {high} 个字符", field=field
        )
    return text


def institution_name(name: str | None) -> str:
    """An institution's name, 2 to 100 characters."""
    return clean_text(name, field="name", label="机构名称", bounds=NAME_LENGTH)


def status_reason(reason: str | None) -> str:
    """The reason for a status change, 2 to 500 characters."""
    return clean_text(reason, field="reason", label="原因", bounds=REASON_LENGTH)


def token_name(name: str | None) -> str:
    """A token's name (which system uses it), 1 to 100 characters."""
    return clean_text(name, field="name", label="令牌名称", bounds=TOKEN_NAME_LENGTH)


def institution_kind(kind: InstitutionKind | str) -> InstitutionKind:
    """One of the institution kinds."""
    try:
        return InstitutionKind(getattr(kind, "value", kind))
    except ValueError as exc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "机构类别应为银行、担保、保险或征信机构之一",
            field="kind",
        ) from exc


def region_prefixes(region_codes: list[str] | None) -> list[str]:
    """The regions an institution serves, as prefixes without duplicates; every unknown code
    is named in one error."""
    codes = list(region_codes or [])
    if not codes:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请至少选择一个服务地区", field="regionCodes")
    if len(codes) > MAX_REGIONS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"服务地区最多 {MAX_REGIONS} 个", field="regionCodes"
        )
    prefixes: list[str] = []
    unknown: list[str] = []
    for code in codes:
        prefix = region_prefix(code)
        if prefix is None:
            unknown.append(str(code))
        elif prefix not in prefixes:
            prefixes.append(prefix)
    if unknown:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"行政区划代码无效：{'、'.join(unknown[:5])}（应为 2、4 或 6 位现行代码）",
            field="regionCodes",
        )
    return prefixes


def _assessed_on(value: date | str | None) -> date:
    """Not in the future, and recent enough to admit on."""
    field = f"{ASSESSMENT_FIELD}.assessedOn"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写评估日期（YYYY-MM-DD）", field=field)
    today = china_today()
    if value > today:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "评估日期不能晚于今天", field=field)
    if (today - value).days > ASSESSMENT_MAX_AGE_DAYS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"安全评估已超过 {ASSESSMENT_MAX_AGE_DAYS} 天，请重新评估后再接入",
            field=field,
        )
    return value


def _passed(value: Any) -> bool:
    if value is not True:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "安全评估未通过，不能接入",
            field=f"{ASSESSMENT_FIELD}.passed",
        )
    return True


def _summary(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > ASSESSMENT_SUMMARY_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"评估摘要不超过 {ASSESSMENT_SUMMARY_MAX} 个字符",
            field=f"{ASSESSMENT_FIELD}.summary",
        )
    return text or None


def assessment_checks(assessment: Mapping[str, Any] | None) -> list[Callable[[], Any]]:
    """Checks of the security assessment, for ``check_each``; they return report number,
    assessment date, assessor, passed and summary, in that order."""
    given = assessment or {}
    return [
        lambda: clean_text(
            given.get("report_number"),
            field=f"{ASSESSMENT_FIELD}.reportNumber",
            label="评估报告编号",
            bounds=(1, ASSESSMENT_TEXT_MAX),
        ),
        lambda: _assessed_on(given.get("assessed_on")),
        lambda: clean_text(
            given.get("assessor"),
            field=f"{ASSESSMENT_FIELD}.assessor",
            label="评估机构",
            bounds=(1, ASSESSMENT_TEXT_MAX),
        ),
        lambda: _passed(given.get("passed")),
        lambda: _summary(given.get("summary")),
    ]


def institution_status(status: InstitutionStatus | str) -> InstitutionStatus:
    """One of the institution statuses."""
    try:
        return InstitutionStatus(getattr(status, "value", status))
    except ValueError as exc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "状态应为 ACTIVE、SUSPENDED 或 REVOKED", field="status"
        ) from exc


def api_scopes(scopes: list[ApiScope | str] | None) -> list[str]:
    """A non-empty set of known scopes, in their canonical order; unknown ones are named."""
    given = [str(getattr(s, "value", s)) for s in scopes or []]
    if not given:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请至少选择一个权限范围", field="scopes")
    known = {scope.value for scope in ApiScope}
    bad = [s for s in given if s not in known]
    if bad:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"未知的权限范围：{'、'.join(bad[:5])}（可选 {'、'.join(sorted(known))}）",
            field="scopes",
        )
    return [scope.value for scope in ApiScope if scope.value in given]


def valid_days(days: int) -> int:
    """A token's validity in whole days, 1 to 365."""
    low, high = TOKEN_VALID_DAYS
    if isinstance(days, bool) or not isinstance(days, int):
        days = -1
    if not low <= days <= high:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"有效期应为 {low} 到 {high} 天", field="validDays"
        )
    return days
