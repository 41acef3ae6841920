"""Inbox messages, addressed to an enterprise (every account of it sees them)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow


class MessageKind(StrEnum):
    """What a message is about (fixed by the outside contract)."""

    POLICY = "POLICY"
    RISK_ALERT = "RISK_ALERT"
    APPLICATION = "APPLICATION"
    OBJECTION = "OBJECTION"
    SYSTEM = "SYSTEM"


class InboxMessage(Base):
    """One message to an enterprise or to an institution (its staff see it); ``dedupe_key``
    makes repeated deliveries of the same event idempotent."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        Index("ix_inbox_messages_enterprise", "enterprise_id", "created_at"),
        Index("ix_inbox_messages_institution", "institution_id", "created_at"),
        CheckConstraint(
            "(enterprise_id IS NULL) <> (institution_id IS NULL)", name="one_addressee"
        ),
        # A firm is told of a policy once, whichever job or change told it.
        Index(
            "uq_inbox_messages_policy_enterprise",
            "policy_id",
            "enterprise_id",
            unique=True,
            sqlite_where=text("policy_id IS NOT NULL"),
            postgresql_where=text("policy_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), default=None)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The policy a POLICY message announces (deduplicated per enterprise by the index above).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"), default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
