"""Declarations an enterprise makes about itself, with the commitment it accepted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


class DeclarationStatus(StrEnum):
    """Where a declaration stands after government review."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    FOUND_FALSE = "FOUND_FALSE"


class Declaration(Base):
    """One self-declared fact set (资质许可, 经营情况, 履约情况, 公益活动) and its commitment."""

    __tablename__ = "declarations"
    __table_args__ = (Index("ix_declarations_enterprise_category", "enterprise_id", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    category: Mapped[str] = mapped_column(String(40))
    content: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    commitment_version: Mapped[str] = mapped_column(String(40))
    commitment_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=DeclarationStatus.PENDING.value)
    is_current: Mapped[bool] = mapped_column(default=True)
    declared_by_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    review_reason: Mapped[str | None] = mapped_column(Text, default=None)
