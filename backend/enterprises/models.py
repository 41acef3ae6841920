"""The enterprise register, built from the registration records data providers share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


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


class EnterpriseFeatures(Base):
    """The rule-language facts of one enterprise, one typed column per fact, kept up to date on
    every change so that policy rules compile to SQL over this table. None means unknown."""

    __tablename__ = "enterprise_features"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    entity_type: Mapped[str | None] = mapped_column(String(30), default=None)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True, default=None)
    industry_code: Mapped[str | None] = mapped_column(String(10), default=None)
    size_class: Mapped[str | None] = mapped_column(String(10), default=None)
    years_in_business: Mapped[int | None] = mapped_column(Integer, default=None)
    registered_capital: Mapped[Decimal | None] = mapped_column(Numeric(20, 2), default=None)
    employees: Mapped[int | None] = mapped_column(Integer, default=None)
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(20, 2), default=None)
    tax_credit_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    annual_tax_paid: Mapped[Decimal | None] = mapped_column(Numeric(20, 2), default=None)
    is_high_tech: Mapped[bool | None] = mapped_column(Boolean, default=None)
    admin_penalties_3y: Mapped[int | None] = mapped_column(Integer, default=None)
    serious_penalties_3y: Mapped[int | None] = mapped_column(Integer, default=None)
    has_enforcement: Mapped[bool | None] = mapped_column(Boolean, default=None)
    on_dishonest_list: Mapped[bool | None] = mapped_column(Boolean, default=None)
    on_abnormal_list: Mapped[bool | None] = mapped_column(Boolean, default=None)
    has_utility_arrears: Mapped[bool | None] = mapped_column(Boolean, default=None)
    honors_3y: Mapped[int | None] = mapped_column(Integer, default=None)
    credit_score: Mapped[int | None] = mapped_column(Integer, default=None)
    credit_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    is_first_time_borrower: Mapped[bool | None] = mapped_column(Boolean, default=None)
    declared_facts: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    scorecard_version: Mapped[str | None] = mapped_column(String(40), default=None)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditCode(Base):
    """An enterprise's credit code (信用码), when it has ever turned it on.

    While on, ``slug`` names the public page (``/c/<slug>``) that shows the firm's name and grade
    only. Turning it off clears the slug, so the old link and printed QR codes stop at once;
    turning it on again draws a new slug (unique, random, never reused).
    """

    __tablename__ = "credit_codes"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(43), unique=True, default=None)
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


#: Fact name → column of ``enterprise_features``: what the rule compiler reads (SQL matching).
FEATURE_COLUMNS: dict[str, Any] = dict(EnterpriseFeatures.__table__.c.items())
