"""The enterprise register, built from the registration records data providers share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow


class Enterprise(Base):
    """A market entity (企业, 个体工商户, 农民专业合作社) known from its registration record.

    The legal representative's ID number is held only encrypted (``legal_rep_id_cipher``), with a
    keyed hash for matching and a masked copy for display.
    """

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(30))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(10), index=True, default=None)
    established_on: Mapped[date | None] = mapped_column(Date, default=None)
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(20, 2), default=None)
    legal_rep_name: Mapped[str] = mapped_column(String(100))
    legal_rep_id_cipher: Mapped[str] = mapped_column(Text)
    legal_rep_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    legal_rep_id_masked: Mapped[str] = mapped_column(String(18))
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    registration_status: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
