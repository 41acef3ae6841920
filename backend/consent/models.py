"""Authorisations an enterprise grants to institutions, and each access made under them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


class AccessPurpose(StrEnum):
    """Why an institution reads enterprise data: financing only, at one of three stages."""

    PRE_LOAN = "PRE_LOAN"  # 贷前调查
    LOAN_APPROVAL = "LOAN_APPROVAL"  # 贷中审批
    POST_LOAN = "POST_LOAN"  # 贷后管理


PURPOSE_LABELS = {
    AccessPurpose.PRE_LOAN: "贷前调查",
    AccessPurpose.LOAN_APPROVAL: "贷中审批",
    AccessPurpose.POST_LOAN: "贷后管理",
}


class AccessKind(StrEnum):
    """What kind of access an entry of the data-access trail records."""

    REPORT = "REPORT"  # 信用报告
    BATCH = "BATCH"  # 公开信息批量推送
    INTERFACE = "INTERFACE"  # 接口调用
    IDENTITY = "IDENTITY"  # 法定代表人身份证号码


class Authorization(Base):
    """An enterprise's consent that one institution may read some of its data for one purpose.

    Live while ``revoked_at`` is null and ``valid_until`` is ahead. The consent text exactly as
    shown, and its template version, are kept with the grant.
    """

    __tablename__ = "authorizations"
    __table_args__ = (
        Index("ix_authorizations_lookup", "enterprise_id", "institution_id", "purpose"),
        Index("ix_authorizations_institution", "institution_id", "granted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    scopes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    purpose: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    granted_by_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_text: Mapped[str] = mapped_column(Text)
    # Set when an application created the grant (the lending flow); null for a direct grant.
    source: Mapped[str] = mapped_column(String(20), default="DIRECT")


class DataAccess(Base):
    """One enterprise's entry in the trail of reads by institutions (来源可溯、去向可查).

    Written in the same transaction as the audit row it points to (``audit_seq``); a batch read
    writes one entry per enterprise it returned and one audit row for the page.
    """

    __tablename__ = "data_access_log"
    __table_args__ = (Index("ix_data_access_log_enterprise", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), default=None)
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    categories: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    purpose: Mapped[str | None] = mapped_column(String(20), default=None)
    authorization_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    audit_seq: Mapped[int] = mapped_column(BigInteger)
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
