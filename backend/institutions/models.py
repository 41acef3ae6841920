"""Institutions whose staff use the platform."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


class InstitutionKind(StrEnum):
    """What kind of institution it is."""

    BANK = "BANK"
    GUARANTOR = "GUARANTOR"
    INSURER = "INSURER"
    CREDIT_AGENCY = "CREDIT_AGENCY"


class InstitutionStatus(StrEnum):
    """Admitted, suspended or revoked (有进有出)."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"


class Institution(Base):
    """A financial institution admitted to the platform."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=InstitutionStatus.ACTIVE.value)
    region_codes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
