"""The enterprise's own credit profile (免费查询): every current, visible record, with its source.

A record is shown and counted while it is the current version, not withdrawn, and its publicity
period (``visible_until``) has not passed; afterwards it stays in history only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.sharing_list import load_sharing_list
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.pagination import check_page_size
from backend.runtime import Runtime
from backend.security.actor import Actor

MAX_PAGE = 100
_EPOCH = date(1, 1, 1)


@dataclass(frozen=True)
class CategorySummary:
    """How many visible records an enterprise has in one category."""

    category: str
    label: str
    disclosure: str
    count: int
    latest_on: date | None = None  # the newest visible record's date (None: none, or undated)


@dataclass(frozen=True)
class RecordPage:
    """One page of records, newest first, with a cursor to the next page."""

    records: list[tuple[CreditRecord, str]]
    has_next_page: bool
    end_cursor: str | None
    total_count: int


def visible_on(today: date) -> ColumnElement[bool]:
    """The records shown and counted on ``today``."""
    return and_(
        CreditRecord.is_current.is_(True),
        or_(CreditRecord.visible_until.is_(None), CreditRecord.visible_until >= today),
    )


async def own_enterprise(*, session: AsyncSession, runtime: Runtime, actor: Actor) -> Enterprise:
    """The verified enterprise of an enterprise account; the read is audited."""
    if actor.role != Role.ENTERPRISE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "只有企业用户可以查看本企业信用信息")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    enterprise = await session.get(Enterprise, actor.enterprise_id)
    if enterprise is None:
        raise DomainError(ErrorCode.NOT_FOUND, "企业不存在")
    await runtime.audit_reads.record(
        actor=actor,
        action="credit.profile.read",
        subject_type="enterprise",
        subject_id=enterprise.uscc,
        enterprise_id=enterprise.id,
    )
    return enterprise


async def category_summaries(
    *, session: AsyncSession, enterprise_id: int, today: date | None = None
) -> list[CategorySummary]:
    """Every category of the sharing list with the enterprise's visible record count and the date
    of its newest record (one query)."""
    rows = (
        await session.execute(
            select(CreditRecord.category, func.count(), func.max(CreditRecord.occurred_on))
            .where(CreditRecord.enterprise_id == enterprise_id, visible_on(today or china_today()))
            .group_by(CreditRecord.category)
        )
    ).all()
    found = {category: (int(count), latest) for category, count, latest in rows}
    return [
        CategorySummary(spec.code, spec.label, spec.disclosure, *found.get(spec.code, (0, None)))
        for spec in load_sharing_list().categories.values()
    ]


def _encode_cursor(record: CreditRecord) -> str:
    raw = f"{(record.occurred_on or _EPOCH).isoformat()}|{record.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        day, record_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return date.fromisoformat(day), int(record_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "分页游标无效", field="after") from exc


async def list_records(
    *,
    session: AsyncSession,
    enterprise_id: int,
    category: str | None = None,
    first: int = 20,
    after: str | None = None,
    today: date | None = None,
) -> RecordPage:
    """Visible records of an enterprise, newest event first, keyset-paged; with source names."""
    if category is not None and load_sharing_list().get(category) is None:
        raise DomainError(ErrorCode.UNKNOWN_CATEGORY, f"共享清单中没有“{category}”", "category")
    check_page_size(first, MAX_PAGE)
    conditions = [CreditRecord.enterprise_id == enterprise_id, visible_on(today or china_today())]
    if category is not None:
        conditions.append(CreditRecord.category == category)
    total = (
        await session.execute(select(func.count()).select_from(CreditRecord).where(*conditions))
    ).scalar_one()
    day = func.coalesce(CreditRecord.occurred_on, _EPOCH)
    if after:
        cursor_day, cursor_id = _decode_cursor(after)
        conditions.append(
            or_(day < cursor_day, and_(day == cursor_day, CreditRecord.id < cursor_id))
        )
    rows = (
        await session.execute(
            select(CreditRecord, DataProvider.name)
            .join(DataProvider, DataProvider.id == CreditRecord.data_provider_id)
            .where(*conditions)
            .order_by(day.desc(), CreditRecord.id.desc())
            .limit(first + 1)
        )
    ).all()
    page = [(record, source) for record, source in rows[:first]]
    return RecordPage(
        records=page,
        has_next_page=len(rows) > first,
        end_cursor=_encode_cursor(page[-1][0]) if page else None,
        total_count=int(total),
    )
