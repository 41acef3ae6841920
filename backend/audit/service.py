"""Writing to and verifying the hash-chained audit log.

``record`` is called inside the transaction of the change it records, so the change and its
audit row commit or roll back together. Rows are chained: each row's HMAC covers its content and
the previous row's hash; ``seq`` has no gaps; ``audit_chain_head`` names the last row. Editing,
inserting or removing any row therefore breaks the chain at that row (or at the head).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.key_order import RetiredKeys
from backend.audit.models import AuditChainHead, AuditEntry
from backend.db.base import utcnow
from backend.security.actor import Actor
from backend.security.keyring import KeyRing, KeyRingError

GENESIS_HASH = "0" * 64
_HEAD_ID = 1


class AuditChainMissing(RuntimeError):
    """The chain head row is gone: the database was not migrated, or it was tampered with."""


def head_bytes(seq: int, row_hash: str) -> bytes:
    """The bytes the chain head's MAC covers."""
    return f"audit-head|{seq}|{row_hash}".encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(entry: AuditEntry) -> bytes:
    """The bytes an audit row's hash covers: every column but ``id`` and ``row_hash``."""
    content = [
        entry.seq,
        _iso(entry.occurred_at),
        entry.action,
        entry.outcome,
        entry.actor_account_id,
        entry.actor_role,
        entry.subject_type,
        entry.subject_id,
        entry.enterprise_id,
        entry.institution_id,
        entry.details or {},
        entry.request_id,
        entry.client_ip,
        entry.key_id,
        entry.prev_hash,
    ]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _with_credential(details: dict[str, Any] | None, actor: Actor) -> dict[str, Any]:
    """The row's details, naming the API token when the actor used one instead of a session."""
    if actor.api_token_id is None:
        return details or {}
    return {**(details or {}), "api_token_id": actor.api_token_id}


@dataclass(frozen=True)
class AuditEvent:
    """What one audit row says, before it is chained (``seq``, hashes and key come later)."""

    occurred_at: datetime
    action: str
    outcome: str
    actor_account_id: int | None
    actor_role: str | None
    subject_type: str | None
    subject_id: str | None
    enterprise_id: int | None
    institution_id: int | None
    details: dict[str, Any]
    request_id: str | None
    client_ip: str | None


def audit_event(
    *,
    actor: Actor,
    action: str,
    outcome: str = "success",
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The event ``actor`` did, stamped now; the actor's institution unless one is named."""
    return AuditEvent(
        occurred_at=utcnow(),
        action=action,
        outcome=outcome,
        actor_account_id=actor.account_id,
        actor_role=actor.role if actor.role else ("SYSTEM" if actor.is_system else None),
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        enterprise_id=enterprise_id,
        institution_id=institution_id if institution_id is not None else actor.institution_id,
        details=_with_credential(details, actor),
        request_id=actor.request_id,
        client_ip=actor.client_ip,
    )


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {column: getattr(entry, column) for column in _COLUMNS}


_COLUMNS = [c.key for c in AuditEntry.__table__.columns if c.key != "id"]


async def append_events(
    session: AsyncSession, *, keyring: KeyRing, events: list[AuditEvent]
) -> list[AuditEntry]:
    """Chain ``events`` in order after the head in the caller's transaction (one lock for all);
    never commits by itself. Returns the rows as written (not attached to the session)."""
    # Locks the head row until commit (PostgreSQL), so concurrent writers chain one after another.
    # SQLite already serialises writers. Core statements, not the ORM's unit of work: this runs
    # on every audited request.
    head = (
        await session.execute(
            select(AuditChainHead.seq, AuditChainHead.row_hash)
            .where(AuditChainHead.id == _HEAD_ID)
            .with_for_update()
        )
    ).one_or_none()
    if head is None:
        raise AuditChainMissing("audit_chain_head has no row: run `xinrong migrate`")
    if not events:
        return []
    seq, prev_hash = head
    key_id = keyring.current_key_id
    entries = []
    for event in events:
        seq += 1
        entry = AuditEntry(seq=seq, **vars(event), key_id=key_id, prev_hash=prev_hash)
        entry.row_hash = prev_hash = keyring.audit_mac(canonical_bytes(entry), key_id)
        entries.append(entry)
    await session.execute(insert(AuditEntry.__table__), [_row(entry) for entry in entries])
    await session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == _HEAD_ID)
        .values(
            seq=seq,
            row_hash=prev_hash,
            key_id=key_id,
            mac=keyring.audit_mac(head_bytes(seq, prev_hash), key_id),
            updated_at=entries[-1].occurred_at,
        )
    )
    return entries


async def record(
    session: AsyncSession,
    *,
    keyring: KeyRing,
    actor: Actor,
    action: str,
    outcome: str = "success",
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction; never commits by itself.

    The row commits or rolls back with the change it records. The chain head stays locked until
    that commit, so this is for changes; reads audit through :mod:`backend.audit.read_batch`.
    """
    event = audit_event(
        actor=actor,
        action=action,
        outcome=outcome,
        subject_type=subject_type,
        subject_id=subject_id,
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        details=details,
    )
    await session.flush()  # the change first, so its rows are written before its audit row
    (entry,) = await append_events(session, keyring=keyring, events=[event])
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    ok: bool
    rows_checked: int
    bad_seq: int | None = None
    bad_id: int | None = None
    problem: str | None = None
    # What to anchor externally; not part of the verdict, so reports compare without it.
    head_hash: str | None = field(default=None, compare=False)


async def _rows(session: AsyncSession, batch: int) -> AsyncIterator[AuditEntry]:
    last_seq = 0
    while True:
        chunk = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.seq > last_seq)
                    .order_by(AuditEntry.seq)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not chunk:
            return
        for row in chunk:
            yield row
        last_seq = chunk[-1].seq
        session.expunge_all()


async def verify_chain(
    session: AsyncSession, *, keyring: KeyRing, batch: int = 5000
) -> ChainReport:
    """Walk the whole chain in ``seq`` order and report the first row that does not hold: out of
    order, not linked to the previous row, edited, or signed with a key retired by a completed
    rotation (:mod:`backend.audit.key_order`)."""
    keys = RetiredKeys()
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    async for row in _rows(session, batch):
        if row.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                row.seq,
                row.id,
                f"expected seq {expected_seq} but found {row.seq}: a row before it was removed",
            )
        if row.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                row.seq,
                row.id,
                "prev_hash does not match the previous row: a row was inserted or removed",
            )
        try:
            recomputed = keyring.audit_mac(canonical_bytes(row), row.key_id)
        except KeyRingError:
            return ChainReport(False, checked, row.seq, row.id, f"unknown key id {row.key_id}")
        if recomputed != row.row_hash:
            return ChainReport(
                False, checked, row.seq, row.id, "row content does not match its hash: edited"
            )
        key_problem = keys.problem(row.key_id)
        if key_problem is not None:
            return ChainReport(False, checked, row.seq, row.id, key_problem)
        keys.passed(
            seq=row.seq,
            key_id=row.key_id,
            action=row.action,
            outcome=row.outcome,
            subject_id=row.subject_id,
            details=row.details,
        )
        prev_hash = row.row_hash
        expected_seq += 1
        checked += 1
    head = (
        await session.execute(select(AuditChainHead).where(AuditChainHead.id == _HEAD_ID))
    ).scalar_one_or_none()
    if head is None:
        return ChainReport(False, checked, None, None, "the chain head row was removed")
    if head.seq > 0:
        try:
            head_ok = head.mac == keyring.audit_mac(
                head_bytes(head.seq, head.row_hash), head.key_id
            )
        except KeyRingError:
            head_ok = False
        if not head_ok:
            return ChainReport(
                False,
                checked,
                head.seq,
                None,
                "the chain head's MAC does not match: the head was rewritten",
            )
    head_seq, head_hash = head.seq, head.row_hash
    if head_seq != checked or head_hash != prev_hash:
        return ChainReport(
            False,
            checked,
            head_seq,
            None,
            f"the chain head names seq {head_seq} but the log ends at seq {checked}: "
            "rows at the end were removed or the head was altered",
        )
    return ChainReport(True, checked, head_hash=head_hash)
