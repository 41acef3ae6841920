"""Input checks for policies: every bad field reported together, as for loan products.

``publishPolicy`` and the seed loader use the same :func:`check_policy`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from backend.clock import china_today
from backend.errors import DomainError, ErrorCode, check_each
from backend.lending.product_checks import check_regions, check_text
from backend.policies.models import PolicyType
from backend.rules import check_rule

TITLE_LENGTH = (4, 200)
ISSUER_LENGTH = (2, 100)
SUMMARY_LENGTH = (10, 500)
BODY_LENGTH = (10, 20000)
#: A policy may be published for at most this many years ahead.
MAX_YEARS = 10
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,59}")

#: The policy's terms, in input order.
FIELDS = (
    "code",
    "title",
    "policy_type",
    "issuer",
    "summary",
    "body",
    "eligibility",
    "region_codes",
    "valid_from",
    "valid_until",
)


@dataclass(frozen=True)
class PolicyFields:
    """A policy's terms after every check."""

    code: str | None
    title: str
    policy_type: str
    issuer: str
    summary: str
    body: str
    eligibility: dict[str, Any]
    region_codes: list[str]
    valid_from: date
    valid_until: date

    def values(self) -> dict[str, Any]:
        """The column values."""
        return asdict(self)


def _error(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message, field=field)


def _code(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not CODE_PATTERN.fullmatch(text):
        raise _error("code", "政策代码应为 1 到 60 位字母、数字或 _ . -，且以字母或数字开头")
    return text


def _policy_type(value: Any) -> str:
    try:
        return PolicyType(getattr(value, "value", value)).value
    except ValueError as exc:
        names = "、".join(kind.value for kind in PolicyType)
        raise _error("policyType", f"政策类型应为 {names} 之一") from exc


def _eligibility(value: Any) -> dict[str, Any]:
    if value is None or value == {}:
        raise DomainError(
            ErrorCode.INVALID_RULE,
            '请填写适用条件（规则语言，如 {"all": [...]}），政策将推送给符合条件的企业',
            "eligibility",
        )
    check_rule(value, "eligibility")
    return dict(value)


def _date(value: Any, field: str, label: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _error(field, f"{label}应为日期 YYYY-MM-DD")


def check_policy(raw: Mapping[str, Any], today: date | None = None) -> PolicyFields:
    """Check every field of a policy (snake_case keys of ``FIELDS``); all failures at once.

    ``valid_from`` defaults to today (China); ``valid_until`` is required, not before
    ``valid_from``, not in the past and at most ten years ahead.
    """
    today = today or china_today()
    get = raw.get
    code, title, policy_type, issuer, summary, body, eligibility, regions, start, end = check_each(
        lambda: _code(get("code")),
        lambda: check_text(get("title"), "title", "政策标题", *TITLE_LENGTH),
        lambda: _policy_type(get("policy_type")),
        lambda: check_text(get("issuer"), "issuer", "发布单位", *ISSUER_LENGTH),
        lambda: check_text(get("summary"), "summary", "政策摘要", *SUMMARY_LENGTH),
        lambda: check_text(get("body"), "body", "政策全文", *BODY_LENGTH),
        lambda: _eligibility(get("eligibility")),
        lambda: check_regions(get("region_codes")),
        lambda: _date(get("valid_from"), "validFrom", "生效日期"),
        lambda: _date(get("valid_until"), "validUntil", "有效期至"),
    )
    start = start or today
    if end is None:
        raise _error("validUntil", "请填写有效期至（YYYY-MM-DD）")
    if end < today:
        raise _error("validUntil", "有效期至不能早于今天")
    if end < start:
        raise _error("validUntil", "有效期至不能早于生效日期")
    if end.year - today.year > MAX_YEARS:
        raise _error("validUntil", f"有效期最长 {MAX_YEARS} 年")
    return PolicyFields(
        code=code,
        title=title,
        policy_type=policy_type,
        issuer=issuer,
        summary=summary,
        body=body,
        eligibility=eligibility,
        region_codes=regions,
        valid_from=start,
        valid_until=end,
    )
