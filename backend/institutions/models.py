"""Institutions whose staff and systems use the platform, and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
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


class ApiScope(StrEnum):
    """What an institution's API token may be used for (a session may do all of it)."""

    REPORTS = "REPORTS"  # enterprise credit reports, interface calls, public batch reads
    PRODUCTS = "PRODUCTS"  # publish and manage loan products
    APPLICATIONS = "APPLICATIONS"  # demands, applications, decisions, loans, performance
    ALERTS = "ALERTS"  # post-loan risk alerts


class Institution(Base):
    """A financial institution admitted to the platform after a security assessment."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=InstitutionStatus.ACTIVE.value)
    region_codes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    # The recorded 安全评估 before admission: {report_number, assessed_on, assessor, passed, ...}.
    security_assessment: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # No foreign key: accounts already refer to institutions (the audit row names the account).
    onboarded_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for an institution's own systems: scoped, expiring, revocable, hashed.

    It acts as the staff account it was issued to (``account_id``), so the trail names a person.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
