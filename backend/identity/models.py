"""Accounts and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow


class Role(StrEnum):
    """Who an account acts for; fixed by the outside contract."""

    ENTERPRISE = "ENTERPRISE"
    INSTITUTION = "INSTITUTION"
    GOVERNMENT = "GOVERNMENT"
    DATA_PROVIDER = "DATA_PROVIDER"
    AUDITOR = "AUDITOR"


STAFF_ROLES = frozenset({Role.INSTITUTION, Role.GOVERNMENT, Role.DATA_PROVIDER, Role.AUDITOR})


class AccountStatus(StrEnum):
    """Whether an account may sign in."""

    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class Account(Base):
    """A person who signs in: enterprise user or staff of an institution, department or provider."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "role IN ('ENTERPRISE','INSTITUTION','GOVERNMENT','DATA_PROVIDER','AUDITOR')",
            name="role_known",
        ),
        CheckConstraint("status IN ('ACTIVE','DISABLED')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=AccountStatus.ACTIVE.value)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), index=True, default=None
    )
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id"), index=True, default=None
    )
    data_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("data_providers.id"), index=True, default=None
    )
    department: Mapped[str | None] = mapped_column(String(100), default=None)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(Base):
    """A signed-in session: only the SHA-256 of its bearer token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(255), default=None)
