"""The institution side of applications: listing its own, approving with terms or rejecting
with a reason the firm reads (and, when the firm agreed, pointing it to other matching products)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, check_each, parse_id
from backend.inbox.models import MessageKind
from backend.inbox.service import deliver
from backend.institutions.access import acting_institution
from backend.institutions.models import ApiScope, Institution
from backend.lending.demands import clean_amount, clean_term, note_response
from backend.lending.matches import referral_products
from backend.lending.models import (
    ApplicationStatus,
    FinancingDemand,
    LoanApplication,
    LoanProductVersion,
)
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.runtime import Runtime
from backend.security.actor import Actor

REASON_LENGTH = (2, 500)
MAX_ANNUAL_RATE = Decimal("0.24")  # the legal ceiling for loans the platform shows


def lender_id(actor: Actor, doing: str = "办理贷款申请") -> int:
    """The actor's institution, for staff (or an API token with APPLICATIONS)."""
    return acting_institution(actor, ApiScope.APPLICATIONS, doing)


async def lender_application(
    session: AsyncSession, actor: Actor, application_id: int | str
) -> LoanApplication:
    """An application to the actor's institution; another institution's is NOT_FOUND."""
    institution_id = lender_id(actor)
    application = await session.get(
        LoanApplication, parse_id(application_id, "applicationId", "申请不存在")
    )
    if application is None or application.institution_id != institution_id:
        raise DomainError(ErrorCode.NOT_FOUND, "申请不存在", field="applicationId")
    return application


async def applied_version(session: AsyncSession, application: LoanApplication) -> dict[str, Any]:
    """The product exactly as published in the version the firm applied to."""
    return (
        await session.execute(
            select(LoanProductVersion.snapshot).where(
                LoanProductVersion.product_id == application.product_id,
                LoanProductVersion.version == application.product_version,
            )
        )
    ).scalar_one()


def _rate(value: Decimal | str, low: Decimal, high: Decimal) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "年利率格式不正确（以小数表示，4.35% 填 0.0435）",
            "annualRate",
        ) from None
    if not rate.is_finite() or not low <= rate <= high:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"年利率须在产品公布的 {low * 100:.2f}% 至 {high * 100:.2f}% 之间"
            "（以小数表示，4.35% 填 0.0435）",
            field="annualRate",
        )
    return rate


@dataclass(frozen=True)
class Terms:
    """Approved amount, rate and term, checked against the applied product version."""

    amount: Decimal
    annual_rate: Decimal
    term_months: int


def _terms(
    snapshot: dict[str, Any],
    amount: Decimal | str | None,
    annual_rate: Decimal | str | None,
    term_months: int | None,
) -> Terms:
    def checked_amount() -> Decimal:
        if amount is None:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写批准金额", field="approvedAmount")
        value = clean_amount(amount, field="approvedAmount")
        low, high = Decimal(snapshot["min_amount"]), Decimal(snapshot["max_amount"])
        if not low <= value <= high:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"批准金额须在产品额度 {low:,.2f} 至 {high:,.2f} 元之间",
                field="approvedAmount",
            )
        return value

    def checked_rate() -> Decimal:
        if annual_rate is None:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写年利率", field="annualRate")
        low = Decimal(snapshot["min_annual_rate"])
        high = min(Decimal(snapshot["max_annual_rate"]), MAX_ANNUAL_RATE)
        return _rate(annual_rate, low, high)

    def checked_term() -> int:
        if term_months is None:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写贷款期限", field="termMonths")
        value = clean_term(term_months)
        low, high = int(snapshot["min_term_months"]), int(snapshot["max_term_months"])
        if not low <= value <= high:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                f"期限须在产品期限 {low} 至 {high} 个月之间",
                field="termMonths",
            )
        return value

    amount_value, rate_value, term_value = check_each(checked_amount, checked_rate, checked_term)
    return Terms(Decimal(amount_value), Decimal(rate_value), int(term_value))


def _reason(value: str | None, *, required: bool) -> str | None:
    reason = " ".join((value or "").split())
    if not reason:
        if required:
            raise DomainError(
                ErrorCode.VALIDATION_ERROR, "拒绝申请时请写明原因，企业会看到", field="reason"
            )
        return None
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"原因须为 {low} 到 {high} 个字", field="reason"
        )
    return reason


async def decide_application(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    application_id: int | str,
    approve: bool,
    approved_amount: Decimal | str | None = None,
    annual_rate: Decimal | str | None = None,
    term_months: int | None = None,
    reason: str | None = None,
) -> LoanApplication:
    """Approve with amount, rate and term within the applied version, or reject with a reason."""
    application = await lender_application(session, actor, application_id)
    if application.status != ApplicationStatus.SUBMITTED.value:
        raise DomainError(
            ErrorCode.CONFLICT, "该申请已处理（或已撤回），不能再次审批", field="applicationId"
        )
    snapshot = await applied_version(session, application)
    now = utcnow()
    if approve:
        terms = _terms(snapshot, approved_amount, annual_rate, term_months)
        application.status = ApplicationStatus.APPROVED.value
        application.approved_amount = terms.amount
        application.annual_rate = terms.annual_rate
        application.approved_term_months = terms.term_months
        application.decision_reason = _reason(reason, required=False)
    else:
        application.status = ApplicationStatus.REJECTED.value
        application.decision_reason = _reason(reason, required=True)
        application.live_key = None
    application.decided_at = now
    application.decided_by_account_id = actor.account_id
    application.updated_at = now
    demand = (
        await session.get(FinancingDemand, application.demand_id)
        if application.demand_id is not None
        else None
    )
    note_response(demand)
    institution = await session.get_one(Institution, application.institution_id)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="application.approve" if approve else "application.reject",
        subject_type="loan_application",
        subject_id=application.id,
        enterprise_id=application.enterprise_id,
        institution_id=application.institution_id,
        details={
            "approved_amount": str(application.approved_amount) if approve else None,
            "annual_rate": str(application.annual_rate) if approve else None,
            "term_months": application.approved_term_months,
        },
    )
    referrals: list[str] = []
    if not approve and application.referral_consent:
        found = await referral_products(
            session=session,
            enterprise_id=application.enterprise_id,
            demand=demand,
            exclude_institution_id=application.institution_id,
        )
        referrals = [f"{m.institution.name}“{m.product.name}”" for m in found]
    title, body = _decision_message(application, institution.name, snapshot["name"], referrals)
    await deliver(
        session,
        enterprise_id=application.enterprise_id,
        kind=MessageKind.APPLICATION,
        title=title,
        body=body,
        dedupe_key=f"application:{application.id}:decided",
    )
    return application


def _decision_message(
    application: LoanApplication, institution_name: str, product_name: str, referrals: list[str]
) -> tuple[str, str]:
    if application.status == ApplicationStatus.APPROVED.value:
        assert application.annual_rate is not None and application.approved_amount is not None
        body = (
            f"{institution_name}已批准您的“{product_name}”申请：金额 "
            f"{application.approved_amount:,.2f} 元，年利率 {application.annual_rate * 100:.2f}%，"
            f"期限 {application.approved_term_months} 个月。机构将与您联系办理放款。"
        )
        return f"“{product_name}”申请已获批准", body
    body = f"{institution_name}未批准您的“{product_name}”申请。原因：{application.decision_reason}"
    if referrals:
        offered = "、".join(referrals)
        body += f"。按您的意愿，为您推荐其他符合条件的产品：{offered}，可在“匹配产品”中申请。"
    elif application.referral_consent:
        body += "。暂无其他机构的产品符合条件；补充数据后可在“匹配产品”中重新查看。"
    return f"“{product_name}”申请未获批准", body


async def lender_applications(
    *,
    session: AsyncSession,
    actor: Actor,
    status: ApplicationStatus | None = None,
    first: int = 20,
    after: str | None = None,
) -> tuple[list[LoanApplication], str | None]:
    """The actor's institution's applications, newest first, keyset-paged."""
    institution_id = lender_id(actor, "查看贷款申请")
    check_page_size(first)
    query = select(LoanApplication).where(LoanApplication.institution_id == institution_id)
    if status is not None:
        query = query.where(LoanApplication.status == status.value)
    if after is not None:
        query = query.where(LoanApplication.id < decode_cursor("applications", after))
    rows = list(
        (
            await session.execute(query.order_by(LoanApplication.id.desc()).limit(first + 1))
        ).scalars()
    )
    page = rows[:first]
    cursor = encode_cursor("applications", page[-1].id) if len(rows) > first else None
    return page, cursor
