"""Loan products (versioned), financing demands and offers, applications, loans, their
performance, and post-loan risk alerts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc

Money = Numeric(20, 2)
Rate = Numeric(8, 6)  # an annual rate as a fraction: 0.0435 is 4.35%


class ProductType(StrEnum):
    """Fixed by the outside contract."""

    CREDIT = "CREDIT"  # 信用贷
    GUARANTEED = "GUARANTEED"  # 担保贷
    MORTGAGE = "MORTGAGE"  # 抵押贷
    PLEDGE = "PLEDGE"  # 质押贷


PRODUCT_TYPE_LABELS = {
    ProductType.CREDIT: "信用贷",
    ProductType.GUARANTEED: "担保贷",
    ProductType.MORTGAGE: "抵押贷",
    ProductType.PLEDGE: "质押贷",
}


class ProductStatus(StrEnum):
    """On sale, paused by its institution (no new applications), or withdrawn for good."""

    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    RETIRED = "RETIRED"


class LoanProduct(Base):
    """A loan product as it is now; every published state is kept in ``loan_product_versions``."""

    __tablename__ = "loan_products"
    __table_args__ = (
        UniqueConstraint("institution_id", "code"),
        CheckConstraint("min_amount > 0 AND max_amount >= min_amount", name="amount_range"),
        CheckConstraint(
            "min_term_months > 0 AND max_term_months >= min_term_months", name="term_range"
        ),
        CheckConstraint(
            "min_annual_rate >= 0 AND max_annual_rate >= min_annual_rate", name="rate_range"
        ),
        Index("ix_loan_products_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    # The institution's own product code (seed files and bank systems refer to it); optional.
    code: Mapped[str | None] = mapped_column(String(60), default=None)
    name: Mapped[str] = mapped_column(String(100))
    product_type: Mapped[str] = mapped_column(String(20))
    min_amount: Mapped[Decimal] = mapped_column(Money)
    max_amount: Mapped[Decimal] = mapped_column(Money)
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    min_annual_rate: Mapped[Decimal] = mapped_column(Rate)
    max_annual_rate: Mapped[Decimal] = mapped_column(Rate)
    # Division-code prefixes served (2, 4 or 6 digits); empty means nationwide.
    region_codes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Sharing-list scopes an application must authorise (plus legal_rep_identity if needed).
    required_scopes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    # The credit grade the product is aimed at (ranking's approval likelihood); optional.
    target_grade: Mapped[str | None] = mapped_column(String(2), default=None)
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.ACTIVE.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanProductVersion(Base):
    """One published state of a product; an application points at the version it applied to."""

    __tablename__ = "loan_product_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    version: Mapped[int] = mapped_column(Integer)
    # Every field of the product as published (amounts and rates as strings).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemandStatus(StrEnum):
    """Open for offers and applications, or closed by the firm (or by a disbursed loan)."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class FinancingDemand(Base):
    """A firm's published financing need (融资需求)."""

    __tablename__ = "financing_demands"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive_amount"),
        CheckConstraint("term_months > 0", name="positive_term"),
        Index("ix_financing_demands_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=DemandStatus.OPEN.value)
    # When an institution first answered (an offer or a decision): the response-time statistic.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DemandOffer(Base):
    """An institution's answer to an open demand (抢单): a product it invites the firm to try."""

    __tablename__ = "demand_offers"
    __table_args__ = (UniqueConstraint("demand_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("financing_demands.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApplicationStatus(StrEnum):
    """Fixed by the outside contract."""

    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DISBURSED = "DISBURSED"
    WITHDRAWN = "WITHDRAWN"
    CLOSED = "CLOSED"


# An application in one of these holds its product-and-demand slot.
LIVE_APPLICATION_STATUSES = (ApplicationStatus.SUBMITTED.value, ApplicationStatus.APPROVED.value)


class LoanApplication(Base):
    """A firm's application for one product version, optionally answering one of its demands."""

    __tablename__ = "loan_applications"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "idempotency_key"),
        Index("ix_loan_applications_institution", "institution_id", "status", "id"),
        Index("ix_loan_applications_enterprise", "enterprise_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"), index=True)
    product_version: Mapped[int] = mapped_column(Integer)
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("financing_demands.id"), index=True, default=None
    )
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorizations.id"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.SUBMITTED.value)
    # "<enterprise>:<product>:<demand or ->" while live, NULL after: one live application each.
    live_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), default=None)
    # SHA-256 of the request an idempotency key first carried (a different body is a CONFLICT).
    request_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    requested_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    requested_term_months: Mapped[int | None] = mapped_column(Integer, default=None)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money, default=None)
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    approved_term_months: Mapped[int | None] = mapped_column(Integer, default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # The firm agreed, on rejection, to be referred to other matching products (推荐其他产品).
    referral_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanStatus(StrEnum):
    """Fixed by the outside contract (``reportLoanPerformance``)."""

    NORMAL = "NORMAL"
    OVERDUE = "OVERDUE"
    DEFAULT = "DEFAULT"
    REPAID = "REPAID"


# A loan in one of these is live: its lender is alerted to the borrower's new negative records.
LIVE_LOAN_STATUSES = (LoanStatus.NORMAL.value, LoanStatus.OVERDUE.value, LoanStatus.DEFAULT.value)


class Loan(Base):
    """A disbursed loan (one per approved application) and its latest reported status."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("amount > 0", name="positive_amount"),
        Index("ix_loans_enterprise_status", "enterprise_id", "status"),
        Index("ix_loans_institution", "institution_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("loan_applications.id"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate, default=None)
    term_months: Mapped[int | None] = mapped_column(Integer, default=None)
    disbursed_on: Mapped[date] = mapped_column(Date)
    is_credit_loan: Mapped[bool] = mapped_column(Boolean)
    # 首贷户: no earlier loan on the platform and no bank loan in the firm's declared history.
    is_first_loan: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default=LoanStatus.NORMAL.value)
    status_on: Mapped[date] = mapped_column(Date)
    recorded_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoanPerformance(Base):
    """One performance report (履约) of a loan; the loan keeps the latest."""

    __tablename__ = "loan_performance"
    __table_args__ = (Index("ix_loan_performance_loan", "loan_id", "reported_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    status: Mapped[str] = mapped_column(String(20))
    reported_on: Mapped[date] = mapped_column(Date)
    reported_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskAlertKind(StrEnum):
    """What new negative information appeared about a borrower with a live loan."""

    ADMIN_PENALTY = "ADMIN_PENALTY"
    SERIOUS_PENALTY = "SERIOUS_PENALTY"
    ENFORCEMENT = "ENFORCEMENT"
    DISHONEST_LIST = "DISHONEST_LIST"
    ABNORMAL_OPERATION = "ABNORMAL_OPERATION"
    UTILITY_ARREARS = "UTILITY_ARREARS"
    TAX_ARREARS = "TAX_ARREARS"
    GRADE_DROP = "GRADE_DROP"


class RiskSeverity(StrEnum):
    """How urgently the lender should look."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class RiskAlert(Base):
    """A post-loan risk alert for one lender about one borrower (贷后预警)."""

    __tablename__ = "risk_alerts"
    __table_args__ = (Index("ix_risk_alerts_institution", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(String(500))
    # What changed: {"fact": ..., "before": ..., "after": ..., "record_ids": [...]}.
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Names the event per loan so a replayed ingestion raises nothing new.
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
