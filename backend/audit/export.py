"""Exporting a stretch of the audit log for regulators, as JSON Lines with a closing manifest.

An export is the contiguous stretch of the chain from the first row at or after ``from`` to the
last row before ``to`` (``seq`` order; the log's times rise with ``seq``). Each line is one row
with every column; the last line is a manifest saying how many rows were sent, whether each row
links to the one before it (``linked``: anyone can check this) and whether every row's MAC
recomputes under the platform's audit key (``macs_ok``: needs the key), plus the chain head at
the time of export, to anchor elsewhere. Rows are read in chunks, never the whole log at once.

Starting an export writes an ``audit.export`` row before the first row leaves, so a dropped
connection or a crash cannot leave an export unrecorded; its ``seq`` is after the exported rows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditChainHead, AuditEntry
from backend.audit.queries import require_auditor
from backend.clock import CHINA_TZ
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.keyring import KeyRing, KeyRingError

EXPORT_FORMAT = "xinrong-audit-export/1"
CHUNK = 2000
_LOG = AuditEntry.__table__


def day_range(day_from: str | None, day_to: str | None) -> tuple[datetime, datetime]:
    """``YYYY-MM-DD`` dates in China time as [start of ``day_from``, start of ``day_to``)."""

    def parse(text: str | None, field: str) -> datetime:
        try:
            day = date.fromisoformat((text or "").strip())
        except ValueError as exc:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, "日期格式应为 YYYY-MM-DD（北京时间）", field
            ) from exc
        return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)

    start, end = parse(day_from, "from"), parse(day_to, "to")
    if end <= start:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "结束日期须晚于开始日期（结束日期不含当天）", "to"
        )
    return start, end


def utc_iso(moment: datetime) -> str:
    """A time as the audit MAC covers it (UTC, microseconds, ``Z``), so it can be recomputed."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ExportPlan:
    """Which ``seq`` stretch an export covers, fixed before anything is sent."""

    occurred_from: datetime
    occurred_to: datetime
    first_seq: int | None
    last_seq: int | None
    head_seq: int
    head_hash: str

    @property
    def rows(self) -> int:
        """How many rows the stretch should hold (``seq`` has no gaps)."""
        if self.first_seq is None or self.last_seq is None:
            return 0
        return self.last_seq - self.first_seq + 1


async def plan_export(
    session: AsyncSession, *, occurred_from: datetime, occurred_to: datetime
) -> ExportPlan:
    """Fix the stretch: rows after the last one before ``from``, up to the last before ``to``."""
    head = (
        await session.execute(select(AuditChainHead).where(AuditChainHead.id == 1))
    ).scalar_one_or_none()
    if head is None:
        raise audit.AuditChainMissing("audit_chain_head has no row: run `xinrong migrate`")
    # Bounded by the head read first: rows appended meanwhile belong to a later export.
    within = AuditEntry.seq <= head.seq
    before = (
        await session.execute(
            select(func.max(AuditEntry.seq)).where(within, AuditEntry.occurred_at < occurred_from)
        )
    ).scalar_one()
    beyond = (
        await session.execute(
            select(func.min(AuditEntry.seq)).where(within, AuditEntry.occurred_at >= occurred_to)
        )
    ).scalar_one()
    first = (before or 0) + 1
    last = head.seq if beyond is None else beyond - 1
    empty = first > last
    return ExportPlan(
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        first_seq=None if empty else first,
        last_seq=None if empty else last,
        head_seq=head.seq,
        head_hash=head.row_hash,
    )


def _row_dict(row: Any) -> dict[str, Any]:
    values = {column.name: getattr(row, column.name) for column in _LOG.columns}
    values["occurred_at"] = utc_iso(row.occurred_at)
    values["details"] = row.details or {}
    return values


async def stream_plan(
    session: AsyncSession, *, keyring: KeyRing, plan: ExportPlan, chunk: int = CHUNK
) -> AsyncIterator[dict[str, Any]]:
    """Yield each row of ``plan`` as a JSON-ready dict in ``seq`` order, then the manifest."""
    sent = 0
    linked = macs_ok = True
    first_bad: int | None = None
    first_sent: int | None = None
    previous: Any = None
    if plan.first_seq is not None and plan.last_seq is not None:
        next_seq = plan.first_seq
        while next_seq <= plan.last_seq:
            rows = (
                await session.execute(
                    select(_LOG)
                    .where(_LOG.c.seq >= next_seq, _LOG.c.seq <= plan.last_seq)
                    .order_by(_LOG.c.seq)
                    .limit(chunk)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                expected_seq = plan.first_seq if previous is None else previous.seq + 1
                row_linked = row.seq == expected_seq and (
                    previous is None or row.prev_hash == previous.row_hash
                )
                try:
                    mac = keyring.audit_mac(
                        audit.canonical_bytes(cast(AuditEntry, row)), row.key_id
                    )
                except KeyRingError:
                    mac = None
                row_mac_ok = mac == row.row_hash
                if not (row_linked and row_mac_ok) and first_bad is None:
                    first_bad = row.seq
                linked = linked and row_linked
                macs_ok = macs_ok and row_mac_ok
                first_sent = row.seq if first_sent is None else first_sent
                sent += 1
                previous = row
                yield _row_dict(row)
            next_seq = rows[-1].seq + 1
    if sent != plan.rows:  # rows at the end of the stretch are missing
        linked = False
        if first_bad is None:
            first_bad = (previous.seq + 1) if previous is not None else plan.first_seq
    yield {
        "manifest": True,
        "format": EXPORT_FORMAT,
        "occurred_from": plan.occurred_from.isoformat(),
        "occurred_to": plan.occurred_to.isoformat(),
        "rows": sent,
        "first_seq": first_sent,
        "last_seq": previous.seq if previous is not None else None,
        "linked": linked,
        "macs_ok": macs_ok,
        "first_bad_seq": first_bad,
        "head_seq": plan.head_seq,
        "head_hash": plan.head_hash,
        "exported_at": utc_iso(utcnow()),
    }


async def export_rows(
    session: AsyncSession,
    *,
    keyring: KeyRing,
    occurred_from: datetime,
    occurred_to: datetime,
    chunk: int = CHUNK,
) -> AsyncIterator[dict[str, Any]]:
    """Every row in [``occurred_from``, ``occurred_to``) in ``seq`` order, then the manifest."""
    plan = await plan_export(session, occurred_from=occurred_from, occurred_to=occurred_to)
    async for item in stream_plan(session, keyring=keyring, plan=plan, chunk=chunk):
        yield item


async def start_export(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    occurred_from: datetime,
    occurred_to: datetime,
    destination: str,
) -> ExportPlan:
    """Fix an export's stretch and record ``audit.export`` (AUDITOR or the system itself).

    The caller commits, then sends the rows with :func:`stream_plan`.
    """
    if not actor.is_system:
        require_auditor(actor, "导出审计日志")
    plan = await plan_export(session, occurred_from=occurred_from, occurred_to=occurred_to)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="audit.export",
        subject_type="audit_log",
        details={
            "occurred_from": occurred_from.isoformat(),
            "occurred_to": occurred_to.isoformat(),
            "first_seq": plan.first_seq,
            "last_seq": plan.last_seq,
            "rows": plan.rows,
            "head_seq": plan.head_seq,
            "destination": destination,
        },
    )
    return plan


def jsonl_line(item: dict[str, Any]) -> str:
    """One JSON Lines line (with its newline); Chinese kept readable."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"


async def write_jsonl(items: AsyncIterator[dict[str, Any]], handle: IO[str]) -> dict[str, Any]:
    """Write every item as a line to ``handle``; return the last one (the manifest)."""
    last: dict[str, Any] = {}
    async for item in items:
        handle.write(jsonl_line(item))
        last = item
    return last
