"""Loans: the lender records a disbursement (首贷 detected here) and reports performance (履约);
every step tells the firm."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_date, china_today
from backend.db.base import utcnow
from backend.enterprises.features import refresh_features
from backend.enterprises.models import EnterpriseFeatures
from backend.errors import DomainError, ErrorCode, parse_id
from backend.inbox.models import MessageKind
from backend.inbox.service import deliver
from backend.lending.decisions import applied_version, lender_application, lender_id
from backend.lending.demands import clean_amount, close
from backend.lending.models import (
    ApplicationStatus,
    FinancingDemand,
    Loan,
    LoanApplication,
    LoanPerformance,
    LoanStatus,
)
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.runtime import Runtime
from backend.security.actor import Actor

STATUS_LABELS = {
    LoanStatus.NORMAL: "正常",
    LoanStatus.OVERDUE: "逾期",
    LoanStatus.DEFAULT: "违约",
    LoanStatus.REPAID: "已结清",
}


def _day(value: date, field: str, *, not_before: date | None, what: str) -> date:
    if value > china_today():
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"{what}不能晚于今天", field=field)
    if not_before is not None and value < not_before:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"{what}不能早于 {not_before.isoformat()}",
            field=field,
        )
    return value


async def is_first_loan(session: AsyncSession, enterprise_id: int) -> bool:
    """首贷户: no loan on the platform yet, and the firm's declared history shows no bank loan.

    The declared history reaches the stored ``is_first_time_borrower`` fact; an unknown history
    counts as first (the platform has seen no loan), which the statistics note says.
    """
    earlier = (
        await session.execute(select(exists().where(Loan.enterprise_id == enterprise_id)))
    ).scalar_one()
    if earlier:
        return False
    declared = (
        await session.execute(
            select(EnterpriseFeatures.is_first_time_borrower).where(
                EnterpriseFeatures.enterprise_id == enterprise_id
            )
        )
    ).scalar_one_or_none()
    return declared is not False


async def record_disbursement(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    application_id: int | str,
    amount: str,
    disbursed_on: date,
    is_credit_loan: bool,
) -> Loan:
    """Record that an approved application was paid out (once); closes the answered demand."""
    application = await lender_application(session, actor, application_id)
    if application.status != ApplicationStatus.APPROVED.value:
        message = (
            "该申请已放款"
            if application.status == ApplicationStatus.DISBURSED.value
            else "只有已批准的申请可以登记放款"
        )
        raise DomainError(ErrorCode.CONFLICT, message, field="applicationId")
    value = clean_amount(amount)
    assert application.approved_amount is not None and application.decided_at is not None
    if value > application.approved_amount:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"放款金额不能超过批准金额 {application.approved_amount:,.2f} 元",
            field="amount",
        )
    decided_on = china_date(application.decided_at)
    day = _day(disbursed_on, "disbursedOn", not_before=decided_on, what="放款日期")
    first = await is_first_loan(session, application.enterprise_id)
    loan = Loan(
        application_id=application.id,
        institution_id=application.institution_id,
        enterprise_id=application.enterprise_id,
        product_id=application.product_id,
        amount=value,
        annual_rate=application.annual_rate,
        term_months=application.approved_term_months,
        disbursed_on=day,
        is_credit_loan=is_credit_loan,
        is_first_loan=first,
        status=LoanStatus.NORMAL.value,
        status_on=day,
        recorded_by_account_id=actor.account_id,
    )
    session.add(loan)
    application.status = ApplicationStatus.DISBURSED.value
    application.live_key = None
    application.updated_at = utcnow()
    if application.demand_id is not None:
        close(await session.get_one(FinancingDemand, application.demand_id))
    await session.flush()
    # The firm is no longer a first-time borrower for matching and policies.
    await refresh_features(session, [loan.enterprise_id])
    snapshot = await applied_version(session, application)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="loan.disburse",
        subject_type="loan",
        subject_id=loan.id,
        enterprise_id=loan.enterprise_id,
        institution_id=loan.institution_id,
        details={
            "application_id": application.id,
            "amount": str(value),
            "disbursed_on": day.isoformat(),
            "is_credit_loan": is_credit_loan,
            "is_first_loan": first,
        },
    )
    await deliver(
        session,
        enterprise_id=loan.enterprise_id,
        kind=MessageKind.APPLICATION,
        title=f"“{snapshot['name']}”已放款",
        body=f"贷款 {value:,.2f} 元已于 {day.isoformat()} 发放，请按期还款，保持良好信用记录。",
        dedupe_key=f"loan:{loan.id}:disbursed",
    )
    return loan


async def lender_loan(session: AsyncSession, actor: Actor, loan_id: int | str) -> Loan:
    """A loan of the actor's institution; another institution's is NOT_FOUND."""
    institution_id = lender_id(actor, "报送贷款履约情况")
    loan = await session.get(Loan, parse_id(loan_id, "loanId", "贷款不存在"))
    if loan is None or loan.institution_id != institution_id:
        raise DomainError(ErrorCode.NOT_FOUND, "贷款不存在", field="loanId")
    return loan


async def report_performance(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    loan_id: int | str,
    status: LoanStatus,
    reported_on: date,
) -> Loan:
    """Report a loan's status as of a day (not before the last report); REPAID is final."""
    loan = await lender_loan(session, actor, loan_id)
    if loan.status == LoanStatus.REPAID.value:
        raise DomainError(ErrorCode.CONFLICT, "该贷款已结清，不能再报送", field="loanId")
    day = _day(reported_on, "reportedOn", not_before=loan.status_on, what="报送日期")
    session.add(
        LoanPerformance(
            loan_id=loan.id,
            status=status.value,
            reported_on=day,
            reported_by_account_id=actor.account_id,
        )
    )
    changed = loan.status != status.value
    loan.status = status.value
    loan.status_on = day
    loan.updated_at = utcnow()
    if status == LoanStatus.REPAID:
        application = await session.get_one(LoanApplication, loan.application_id)
        application.status = ApplicationStatus.CLOSED.value
        application.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="loan.performance",
        subject_type="loan",
        subject_id=loan.id,
        enterprise_id=loan.enterprise_id,
        institution_id=loan.institution_id,
        details={"status": status.value, "reported_on": day.isoformat()},
    )
    if changed:
        await deliver(
            session,
            enterprise_id=loan.enterprise_id,
            kind=MessageKind.APPLICATION,
            title=f"贷款状态更新为“{STATUS_LABELS[status]}”",
            body=_performance_body(loan, status, day),
            dedupe_key=f"loan:{loan.id}:{status.value}:{day.isoformat()}",
        )
    return loan


def _performance_body(loan: Loan, status: LoanStatus, day: date) -> str:
    amount = f"{loan.amount:,.2f} 元贷款"
    if status == LoanStatus.REPAID:
        return f"您的 {amount}已于 {day.isoformat()} 结清，感谢守信履约。"
    if status == LoanStatus.NORMAL:
        return f"您的 {amount}截至 {day.isoformat()} 还款正常。"
    return (
        f"贷款机构报送您的 {amount}截至 {day.isoformat()} 为“{STATUS_LABELS[status]}”。"
        "请尽快与贷款机构联系还款；如有异议，可联系贷款机构核实。"
    )


async def lender_loans(
    *, session: AsyncSession, actor: Actor, first: int = 20, after: str | None = None
) -> tuple[list[Loan], str | None]:
    """The actor's institution's loans, newest first, keyset-paged."""
    institution_id = lender_id(actor, "查看贷款")
    check_page_size(first)
    query = select(Loan).where(Loan.institution_id == institution_id)
    if after is not None:
        query = query.where(Loan.id < decode_cursor("loans", after))
    rows = list((await session.execute(query.order_by(Loan.id.desc()).limit(first + 1))).scalars())
    page = rows[:first]
    return page, encode_cursor("loans", page[-1].id) if len(rows) > first else None


async def my_loans(*, session: AsyncSession, enterprise_id: int) -> list[Loan]:
    """An enterprise's loans, newest first (the caller has checked it is the firm itself)."""
    rows = await session.execute(
        select(Loan).where(Loan.enterprise_id == enterprise_id).order_by(Loan.id.desc())
    )
    return list(rows.scalars())
