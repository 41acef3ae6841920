"""Removing sign-in sessions that ended long ago (``xinrong purge-sessions``).

A row of ``auth_sessions`` holds the client address and user agent of a sign-in: network-log
data, which 《网络安全法》第二十一条 requires to be kept for at least six months, and personal
information under PIPL, which must not be kept longer than needed. Sessions that ended (expired
or signed out) more than ``keep_days`` ago are deleted in batches, each batch in its own
transaction with its own audit row (``auth.sessions.purged``), so a purge of millions of rows
never holds a long lock, and a purge killed midway leaves only whole, audited batches behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode
from backend.identity.models import AuthSession
from backend.security.actor import Actor
from backend.security.keyring import KeyRing

#: 《网络安全法》第二十一条（三）: network logs are kept for not less than six months.
MIN_KEEP_DAYS = 183
#: Six months and a week: what ``docs/operations.md`` recommends and the command defaults to.
DEFAULT_KEEP_DAYS = 190
DEFAULT_BATCH_SIZE = 10_000


@dataclass(frozen=True)
class PurgeReport:
    """What a purge did (or, for a dry run, would do)."""

    cutoff: datetime
    deleted: int
    batches: int
    remaining: int
    dry_run: bool


def ended_before(cutoff: datetime) -> ColumnElement[bool]:
    """Sessions that ended before ``cutoff``: expired, or signed out (revoked), before it."""
    return or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)


def check_keep_days(keep_days: int) -> None:
    """Refuse a retention shorter than the six months the law asks of network logs."""
    if keep_days < MIN_KEEP_DAYS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"登录会话含客户端地址，属网络日志，须留存不少于六个月（《网络安全法》第二十一条）："
            f"保留天数不得少于 {MIN_KEEP_DAYS} 天，收到 {keep_days} 天",
            field="keep_days",
        )


async def _count(session: AsyncSession, cutoff: datetime) -> int:
    return (
        await session.execute(
            select(func.count()).select_from(AuthSession).where(ended_before(cutoff))
        )
    ).scalar_one()


async def purge_ended_sessions(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    *,
    keep_days: int = DEFAULT_KEEP_DAYS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Delete sessions that ended more than ``keep_days`` ago, ``batch_size`` rows per audited
    transaction; a dry run only counts them. Active sessions are never touched."""
    check_keep_days(keep_days)
    if batch_size < 1:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "每批条数须为正整数", field="batch_size")
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    if dry_run:
        async with sessionmaker() as session:
            return PurgeReport(cutoff, 0, 0, await _count(session, cutoff), dry_run=True)
    deleted = batches = 0
    while True:
        async with sessionmaker() as session:
            ids = (
                (
                    await session.execute(
                        select(AuthSession.id)
                        .where(ended_before(cutoff))
                        .order_by(AuthSession.id)
                        .limit(batch_size)
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            result = await session.execute(
                delete(AuthSession)
                .where(AuthSession.id.in_(ids), ended_before(cutoff))
                .execution_options(synchronize_session=False)
            )
            await audit.record(
                session,
                keyring=keyring,
                actor=Actor.system(),
                action="auth.sessions.purged",
                details={
                    "deleted": result.rowcount,
                    "first_id": ids[0],
                    "last_id": ids[-1],
                    "ended_before": cutoff.isoformat(),
                    "keep_days": keep_days,
                },
            )
            await session.commit()
        deleted += result.rowcount
        batches += 1
    async with sessionmaker() as session:
        remaining = await _count(session, cutoff)
    return PurgeReport(cutoff, deleted, batches, remaining, dry_run=False)
