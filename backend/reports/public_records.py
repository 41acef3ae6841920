"""``publicCreditRecords``: public information in bulk (批量推送), by region and industry.

No authorisation is needed for public information, but every page is audited and lands in the
trail of each enterprise it returned. Authorised-only categories are refused; a category with
public records (纳税信用 A 级) yields only those, without their authorised fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.consent import trail
from backend.consent.models import AccessKind
from backend.consent.scopes import shown_fields
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.profile import visible_on
from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.regions import region_prefix
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.reports.access import require_institution_reader
from backend.runtime import Runtime
from backend.security.actor import Actor

_CURSOR_TAG = "public"
_INDUSTRY = re.compile(r"[A-T](\d{2,4})?")


@dataclass(frozen=True)
class PublicRecord:
    """One public record with the enterprise it belongs to."""

    id: int
    category: str
    fields: dict[str, Any]
    source: str
    occurred_on: date | None
    enterprise_uscc: str
    enterprise_name: str
    region_code: str
    industry_code: str | None


@dataclass(frozen=True)
class PublicRecordPage:
    """A page of public records, newest first by id, with the cursor of the next page."""

    records: list[PublicRecord]
    has_next_page: bool
    end_cursor: str | None


def _region(code: str) -> str:
    prefix = region_prefix(code)
    if prefix is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "行政区划代码无效（2、4 或 6 位）", "regionCode"
        )
    return prefix


def _industry_prefix(code: str | None) -> str | None:
    if code is None or not code.strip():
        return None
    value = code.strip().upper()
    if not _INDUSTRY.fullmatch(value):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "行业代码无效：国民经济行业分类门类字母，可加 2 至 4 位数字（如 C、C13）",
            "industryCode",
        )
    return value


def _public_category(category: str) -> CategorySpec:
    spec = load_sharing_list().get(category)
    if spec is None:
        raise DomainError(ErrorCode.UNKNOWN_CATEGORY, f"共享清单中没有“{category}”", "category")
    if spec.disclosure != "public" and spec.public_when is None:
        raise DomainError(
            ErrorCode.NOT_AUTHORIZED,
            f"“{spec.label}”须经企业授权，不能批量查询，请以信用报告方式逐户查询",
            "category",
        )
    return spec


async def public_credit_records(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    region_code: str,
    category: str,
    industry_code: str | None = None,
    first: int = 50,
    after: str | None = None,
) -> PublicRecordPage:
    """One page of visible public records of ``category`` for enterprises in a region."""
    require_institution_reader(actor)
    prefix, industry, spec, size, after_id = check_each(
        lambda: _region(region_code),
        lambda: _industry_prefix(industry_code),
        lambda: _public_category(category),
        lambda: check_page_size(first),
        lambda: decode_cursor(_CURSOR_TAG, after) if after else None,
    )
    conditions = [
        CreditRecord.category == spec.code,
        visible_on(china_today()),
        Enterprise.region_code.startswith(prefix, autoescape=True),
    ]
    if industry:
        conditions.append(Enterprise.industry_code.startswith(industry, autoescape=True))
    if spec.disclosure != "public" and spec.public_when is not None:
        rule = spec.public_when
        conditions.append(CreditRecord.fields[rule.field].as_string().in_(rule.values))
    if after_id is not None:
        conditions.append(CreditRecord.id < after_id)
    rows = (
        await session.execute(
            select(CreditRecord, DataProvider.name, Enterprise)
            .join(Enterprise, Enterprise.id == CreditRecord.enterprise_id)
            .join(DataProvider, DataProvider.id == CreditRecord.data_provider_id)
            .where(*conditions)
            .order_by(CreditRecord.id.desc())
            .limit(size + 1)
        )
    ).all()
    records: list[PublicRecord] = []
    enterprise_ids: list[int] = []
    for record, source, enterprise in rows[:size]:
        fields = shown_fields(spec, record.fields, frozenset())
        if fields is None:  # the SQL filter already holds; kept as a second guard
            continue
        enterprise_ids.append(enterprise.id)
        records.append(
            PublicRecord(
                id=record.id,
                category=record.category,
                fields=fields,
                source=source,
                occurred_on=record.occurred_on,
                enterprise_uscc=enterprise.uscc,
                enterprise_name=enterprise.name,
                region_code=enterprise.region_code,
                industry_code=enterprise.industry_code,
            )
        )
    await trail.record_access(
        session,
        runtime=runtime,
        actor=actor,
        kind=AccessKind.BATCH,
        enterprise_ids=enterprise_ids,
        categories=[spec.code],
        purpose=None,
        authorization_ids=[],
        subject_id=f"{prefix}/{industry or '*'}/{spec.code}",
        details={"records": len(records), "after": after_id},
    )
    has_next = len(rows) > size
    return PublicRecordPage(
        records=records,
        has_next_page=has_next,
        end_cursor=encode_cursor(_CURSOR_TAG, rows[size - 1][0].id) if has_next else None,
    )
