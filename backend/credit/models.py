"""Data providers, ingestion batches and the versioned credit records they bring."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


class DataProvider(Base):
    """A department that shares records (税务, 市场监管, 水务 …) and the categories it may send."""

    __tablename__ = "data_providers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    # How to reach a provider that answers on demand (接口调用): {"base_url": …, "timeout_s": …}.
    interface: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestBatch(Base):
    """One batch of records from one provider; ``(provider, external_batch_id)`` is unique."""

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("data_provider_id", "external_batch_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    data_provider_id: Mapped[int] = mapped_column(ForeignKey("data_providers.id"))
    external_batch_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    row_errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    submitted_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditRecord(Base):
    """One version of one record; a correction is a new version and the old one is kept.

    ``fields`` holds what may be shown (personal data masked); the personal data itself is
    encrypted in ``personal_cipher``.
    """

    __tablename__ = "credit_records"
    __table_args__ = (
        UniqueConstraint("category", "natural_key", "version"),
        Index("ix_credit_records_enterprise_category", "enterprise_id", "category", "is_current"),
        Index("ix_credit_records_current_key", "category", "natural_key", "is_current"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    category: Mapped[str] = mapped_column(String(40))
    natural_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    personal_cipher: Mapped[str | None] = mapped_column(Text, default=None)
    content_hash: Mapped[str] = mapped_column(String(64))
    occurred_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Shown and counted only up to this date (行政处罚 公示期); kept in history after it.
    visible_until: Mapped[date | None] = mapped_column(Date, default=None)
    data_provider_id: Mapped[int] = mapped_column(ForeignKey("data_providers.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ConnectorCacheEntry(Base):
    """An answer fetched from a provider's interface, kept until ``expires_at``."""

    __tablename__ = "connector_cache"
    __table_args__ = (UniqueConstraint("data_provider_id", "enterprise_id", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    data_provider_id: Mapped[int] = mapped_column(ForeignKey("data_providers.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    category: Mapped[str] = mapped_column(String(40))
    response: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
