"""Policies and their push jobs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, BigId, UTCDateTime, utcnow
from backend.db.types import JsonDoc


class PolicyType(StrEnum):
    """Fixed by the outside contract."""

    INTEREST_SUBSIDY = "INTEREST_SUBSIDY"  # 贷款贴息
    RISK_COMPENSATION = "RISK_COMPENSATION"  # 风险补偿
    GUARANTEE_FEE_SUBSIDY = "GUARANTEE_FEE_SUBSIDY"  # 担保费补贴
    FIRST_LOAN_REWARD = "FIRST_LOAN_REWARD"  # 首贷奖励
    OTHER = "OTHER"


POLICY_TYPE_LABELS = {
    PolicyType.INTEREST_SUBSIDY: "贷款贴息",
    PolicyType.RISK_COMPENSATION: "风险补偿",
    PolicyType.GUARANTEE_FEE_SUBSIDY: "担保费补贴",
    PolicyType.FIRST_LOAN_REWARD: "首贷奖励",
    PolicyType.OTHER: "其他",
}


class PolicyStatus(StrEnum):
    """In force, or withdrawn by its issuer (no more pushes; firms told keep the message)."""

    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"


class Policy(Base):
    """A subsidy policy with the eligibility rule that decides which firms are told of it."""

    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("valid_until >= valid_from", name="validity"),
        Index("ix_policies_status", "status", "valid_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The seed file's identity for a policy (API-published policies have none).
    code: Mapped[str | None] = mapped_column(String(60), unique=True, default=None)
    title: Mapped[str] = mapped_column(String(200))
    policy_type: Mapped[str] = mapped_column(String(30))
    issuer: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Division-code prefixes covered (2, 4 or 6 digits); empty means nationwide.
    region_codes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=PolicyStatus.ACTIVE.value)
    # Set by the first push: from then on firms whose features change are told too.
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobStatus(StrEnum):
    """A push job's life: waiting, being run by some app instance, finished, or given up."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


UNFINISHED = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


class PolicyPushJob(Base):
    """One run of a policy over every enterprise, in chunks of enterprise ids.

    ``last_enterprise_id`` is committed together with each chunk's messages, so a job that stops
    anywhere resumes after the last chunk it finished; the messages' unique (policy, enterprise)
    index makes a repeat harmless anyway. ``lease_until`` says until when the instance named in
    ``lease_owner`` may be presumed alive: an unfinished job whose lease has run out is taken
    over by any instance.
    """

    __tablename__ = "policy_push_jobs"
    __table_args__ = (
        # At most one unfinished job per policy: pushing twice returns the running one.
        Index(
            "uq_policy_push_jobs_unfinished",
            "policy_id",
            unique=True,
            sqlite_where=text("status IN ('PENDING', 'RUNNING')"),
            postgresql_where=text("status IN ('PENDING', 'RUNNING')"),
        ),
        Index("ix_policy_push_jobs_status", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING.value)
    requested_by_account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Firms the rule matched when the job started, and messages this job wrote (a firm told
    # before, by an earlier job or by incremental matching, is not told again).
    matched_count: Mapped[int | None] = mapped_column(Integer, default=None)
    pushed_count: Mapped[int] = mapped_column(Integer, default=0)
    last_enterprise_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # The highest enterprise id when matching started; later firms are told incrementally.
    upper_enterprise_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    chunk_size: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
