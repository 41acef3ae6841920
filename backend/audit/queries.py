"""The auditor's view of the audit log: filtered, newest-first, keyset-paged search.

Only AUDITOR accounts read the log, and every search is itself written to the log
(``audit.read``, with its filters) in the same transaction, so reading the log leaves a trace too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend import pagination
from backend.audit import service as audit
from backend.audit.models import AuditEntry
from backend.clock import CHINA_TZ
from backend.consent.models import DataAccess
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Account, Role
from backend.institutions.models import Institution
from backend.runtime import Runtime
from backend.security.actor import Actor

MAX_PAGE = 200
_CURSOR_TAG = "audit"


def require_auditor(actor: Actor, doing: str = "查看审计日志") -> None:
    """Refuse anyone but an AUDITOR account."""
    if actor.role != Role.AUDITOR.value:
        raise DomainError(ErrorCode.FORBIDDEN, f"只有审计员可以{doing}")


def as_aware(moment: datetime | None) -> datetime | None:
    """``moment`` with a zone; a time given without one is read as China time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class AuditFilters:
    """What an auditor narrows the log by; every field is optional and they combine with AND.

    ``action`` matches exactly, or as a prefix when it ends with ``.`` or ``*``
    (``credit.`` and ``credit.*`` both match ``credit.profile.read``). ``enterprise_uscc`` finds
    the rows about that enterprise, batch reads that returned it included. ``occurred_from`` is
    inclusive and ``occurred_to`` exclusive.
    """

    action: str | None = None
    outcome: str | None = None
    actor_account_id: int | None = None
    enterprise_uscc: str | None = None
    institution_id: int | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    request_id: str | None = None

    def as_details(self) -> dict[str, Any]:
        """The filters that were set, JSON-ready, for the ``audit.read`` row."""
        values: dict[str, Any] = {}
        for name, value in vars(self).items():
            if value is None:
                continue
            values[name] = value.isoformat() if isinstance(value, datetime) else value
        return values


@dataclass(frozen=True)
class AuditRow:
    """One audit row with the names behind its ids (null when the id is null or unknown)."""

    entry: AuditEntry
    actor_name: str | None
    enterprise_uscc: str | None
    enterprise_name: str | None
    institution_name: str | None


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, with the cursor to the next (older) page."""

    rows: list[AuditRow]
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(seq: int) -> str:
    """The opaque cursor that continues after the row ``seq``."""
    return pagination.encode_cursor(_CURSOR_TAG, seq)


def decode_cursor(cursor: str) -> int:
    """The ``seq`` a cursor continues after; VALIDATION_ERROR on ``after`` when it is not ours."""
    return pagination.decode_cursor(_CURSOR_TAG, cursor)


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"筛选条件过长（最多 {limit} 个字符）", field)
    return value or None


def _action_condition(action: str) -> ColumnElement[bool]:
    if action.endswith(("*", ".")):
        prefix = action.rstrip("*")
        # autoescape: action names hold "_" (account.create_staff), a LIKE wildcard.
        return AuditEntry.action.startswith(prefix, autoescape=True)
    return AuditEntry.action == action


async def _conditions(session: AsyncSession, filters: AuditFilters) -> list[ColumnElement[bool]]:
    """The WHERE clause of ``filters``; an unknown USCC matches nothing."""
    conditions: list[ColumnElement[bool]] = []
    action = _text(filters.action, "action", 61)
    if action and action != "*":
        conditions.append(_action_condition(action))
    outcome = _text(filters.outcome, "outcome", 20)
    if outcome:
        conditions.append(AuditEntry.outcome == outcome)
    if filters.actor_account_id is not None:
        conditions.append(AuditEntry.actor_account_id == filters.actor_account_id)
    if filters.institution_id is not None:
        conditions.append(AuditEntry.institution_id == filters.institution_id)
    request_id = _text(filters.request_id, "requestId", 64)
    if request_id:
        conditions.append(AuditEntry.request_id == request_id)
    occurred_from, occurred_to = as_aware(filters.occurred_from), as_aware(filters.occurred_to)
    if occurred_from and occurred_to and occurred_from >= occurred_to:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "结束时间须晚于开始时间", field="occurredTo")
    if occurred_from is not None:
        conditions.append(AuditEntry.occurred_at >= occurred_from)
    if occurred_to is not None:
        conditions.append(AuditEntry.occurred_at < occurred_to)
    uscc = _text(filters.enterprise_uscc, "enterpriseUscc", 18)
    if uscc:
        enterprise_id = (
            await session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc.upper()))
        ).scalar_one_or_none()
        if enterprise_id is None:
            conditions.append(false())
        else:
            # A batch read names several enterprises, so its row has no enterprise_id; each
            # enterprise's trail entry points at it instead.
            trail = select(DataAccess.audit_seq).where(DataAccess.enterprise_id == enterprise_id)
            conditions.append(
                or_(AuditEntry.enterprise_id == enterprise_id, AuditEntry.seq.in_(trail))
            )
    return conditions


async def search(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    filters: AuditFilters,
    first: int = 50,
    after: str | None = None,
) -> AuditPage:
    """One page of the audit log matching ``filters``, newest first (AUDITOR only; audited)."""
    require_auditor(actor)
    pagination.check_page_size(first, MAX_PAGE)
    after_seq = decode_cursor(after) if after else None
    conditions = await _conditions(session, filters)
    if after_seq is not None:
        conditions.append(AuditEntry.seq < after_seq)
    # One statement per page: the names come from outer joins, not a query per row.
    result = await session.execute(
        select(AuditEntry, Account.display_name, Enterprise.uscc, Enterprise.name, Institution.name)
        .outerjoin(Account, Account.id == AuditEntry.actor_account_id)
        .outerjoin(Enterprise, Enterprise.id == AuditEntry.enterprise_id)
        .outerjoin(Institution, Institution.id == AuditEntry.institution_id)
        .where(*conditions)
        .order_by(AuditEntry.seq.desc())
        .limit(first + 1)
    )
    found = result.all()
    rows = [AuditRow(*row) for row in found[:first]]
    # Written after the search, so the page never shows its own audit.read row. No
    # enterprise_id: an enterprise's rows are what happened to it, not auditors looking (the
    # filters in the details say what was looked for).
    await runtime.audit_reads.record(
        actor=actor,
        action="audit.read",
        subject_type="audit_log",
        details={
            "filters": filters.as_details(),
            "first": first,
            "after_seq": after_seq,
            "returned": len(rows),
        },
    )
    return AuditPage(
        rows=rows,
        has_next_page=len(found) > first,
        end_cursor=encode_cursor(rows[-1].entry.seq) if rows else None,
    )


@dataclass(frozen=True)
class ChainStatus:
    """The verdict of a full walk of the chain, for the auditor."""

    ok: bool
    rows_checked: int
    bad_seq: int | None
    problem: str | None
    head_hash: str | None


async def _verify_snapshot(runtime: Runtime) -> audit.ChainReport:
    """verify_chain on one PostgreSQL snapshot, so rows appended while it walks a live log are
    not mistaken for a head that ran ahead of the rows (verify_chain reads the head last)."""
    async with runtime.sessionmaker() as snapshot:
        if runtime.engine.dialect.name == "postgresql":
            await snapshot.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return await audit.verify_chain(snapshot, keyring=runtime.keyring)


async def chain_status(*, session: AsyncSession, runtime: Runtime, actor: Actor) -> ChainStatus:
    """Verify the whole chain (reads every row: cost grows with the log) — AUDITOR only; audited."""
    require_auditor(actor, "校验审计日志")
    report = await _verify_snapshot(runtime)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="audit.verify",
        outcome="success" if report.ok else "failure",
        subject_type="audit_log",
        details={"ok": report.ok, "rows_checked": report.rows_checked, "bad_seq": report.bad_seq},
    )
    return ChainStatus(
        ok=report.ok,
        rows_checked=report.rows_checked,
        bad_seq=report.bad_seq,
        problem=report.problem,
        head_hash=report.head_hash,
    )
