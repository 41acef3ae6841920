"""Objections and credit-repair requests, with their due dates and outcomes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow


class ObjectionStatus(StrEnum):
    """An objection's way: filed, forwarded to the provider/provincial node, then decided."""

    SUBMITTED = "SUBMITTED"
    FORWARDED = "FORWARDED"
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


class Objection(Base):
    """An enterprise contests one record; it must be forwarded within 2 working days."""

    __tablename__ = "objections"
    __table_args__ = (
        Index("ix_objections_status_due", "status", "forward_due_at"),
        Index("ix_objections_enterprise", "enterprise_id", "filed_at"),
        # At most one open objection per record, even when two are filed at the same moment.
        Index(
            "uq_objections_open_record",
            "record_id",
            unique=True,
            sqlite_where=text("status IN ('SUBMITTED', 'FORWARDED')"),
            postgresql_where=text("status IN ('SUBMITTED', 'FORWARDED')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ObjectionStatus.SUBMITTED.value)
    filed_by_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    forward_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    resolution_reason: Mapped[str | None] = mapped_column(Text, default=None)


class RepairStatus(StrEnum):
    """A repair request is decided once."""

    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class RepairRequest(Base):
    """A request to repair (stop publishing) an administrative penalty after its minimum period."""

    __tablename__ = "repair_requests"
    __table_args__ = (Index("ix_repair_requests_status", "status", "filed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"))
    reason: Mapped[str] = mapped_column(Text)
    commitment_version: Mapped[str] = mapped_column(String(40))
    eligible_from: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=RepairStatus.SUBMITTED.value)
    filed_by_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    resolution_reason: Mapped[str | None] = mapped_column(Text, default=None)
