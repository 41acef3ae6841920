"""Audit log rows and the chain head that pins its last row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime
from backend.db.types import JsonDoc


class AuditEntry(Base):
    """One audited event. Rows are never updated or deleted (database triggers refuse it).

    ``seq`` is gap-free, ``prev_hash`` is the previous row's ``row_hash`` and ``row_hash`` is an
    HMAC over the row's content under the key named by ``key_id``.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_enterprise", "enterprise_id", "occurred_at"),
        Index("ix_audit_log_actor", "actor_account_id", "occurred_at"),
        Index("ix_audit_log_action", "action", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20))
    actor_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actor_role: Mapped[str | None] = mapped_column(String(20), default=None)
    subject_type: Mapped[str | None] = mapped_column(String(40), default=None)
    subject_id: Mapped[str | None] = mapped_column(String(64), default=None)
    enterprise_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    institution_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    key_id: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row that names the chain's last ``seq`` and hash, so a removed tail is noticed.

    The migration creates it (seq 0) so concurrent first writers all lock the same row; ``mac``
    authenticates ``(seq, row_hash)``; database triggers refuse to rewind or delete it.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
