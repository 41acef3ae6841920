"""Sliding-window throttles kept in the database (shared by every app server)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.security.models import ThrottleEvent


def _key_hash(key: str) -> str:
    # Client addresses and phone numbers are personal data: store only a hash.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def recent_count(session: AsyncSession, *, bucket: str, key: str, window: timedelta) -> int:
    """How many events ``(bucket, key)`` has had within ``window``."""
    since = utcnow() - window
    stmt = select(func.count()).where(
        ThrottleEvent.bucket == bucket,
        ThrottleEvent.key_hash == _key_hash(key),
        ThrottleEvent.occurred_at > since,
    )
    return int((await session.execute(stmt)).scalar_one())


async def add_event(session: AsyncSession, *, bucket: str, key: str, window: timedelta) -> None:
    """Count one event for ``(bucket, key)`` and drop that key's events older than ``window``."""
    key_hash = _key_hash(key)
    await session.execute(
        delete(ThrottleEvent).where(
            ThrottleEvent.bucket == bucket,
            ThrottleEvent.key_hash == key_hash,
            ThrottleEvent.occurred_at <= utcnow() - window,
        )
    )
    session.add(ThrottleEvent(bucket=bucket, key_hash=key_hash))
    await session.flush()
