"""Throttle events kept in the database so that every app server sees the same counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow


class ThrottleEvent(Base):
    """One counted attempt (a failed login, a verification) for a bucket and a hashed key."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_events_lookup", "bucket", "key_hash", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
