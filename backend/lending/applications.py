"""Applications: a firm applies for a product version (sharing what it needs, once, idempotently);
the product's institution approves or rejects; the firm may withdraw.

What an application shares is decided before it is sent: ``sharing_plan`` names the product's
required scopes and either the firm's live grant that already covers them or the consent text of
the new grant that applying will record (purpose 贷中审批). ``apply_for_product`` refuses a new
grant unless the client shows it saw that text (``consent_version``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.consent import service as consent
from backend.consent.models import AccessPurpose, Authorization
from backend.consent.scopes import scope_label
from backend.consent.text import ConsentText, load_consent_template, render_consent
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, parse_id
from backend.inbox.models import MessageKind
from backend.inbox.service import deliver
from backend.institutions.models import Institution, InstitutionStatus
from backend.lending.demands import clean_amount, clean_term, own_demand
from backend.lending.models import (
    LIVE_APPLICATION_STATUSES,
    ApplicationStatus,
    DemandStatus,
    FinancingDemand,
    LoanApplication,
    LoanProduct,
    ProductStatus,
)
from backend.lending.stored_facts import stored_facts
from backend.rules import sentence
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id
from matching.rules import Status, evaluate, parse_rule

APPLICATION_PURPOSE = AccessPurpose.LOAN_APPROVAL
GRANT_DAYS = 90  # long enough for approval and disbursement; the firm can revoke earlier
IDEMPOTENCY_KEY_LENGTH = (8, 100)


@dataclass(frozen=True)
class SharingPlan:
    """What applying for a product shares with its institution, shown before the firm applies."""

    product: LoanProduct
    institution: Institution
    enterprise: Enterprise
    scopes: list[str]
    reused_grant: Authorization | None
    consent: ConsentText | None  # the text of the new grant; None when nothing new is granted

    @property
    def needs_consent(self) -> bool:
        """True when applying records a new authorisation (the firm must accept its text)."""
        return self.consent is not None


@dataclass(frozen=True)
class ApplyOutcome:
    """The application, and whether this call only replayed an earlier one (same key)."""

    application: LoanApplication
    replayed: bool


async def _applicable_product(session: AsyncSession, product_id: int | str) -> LoanProduct:
    product = await session.get(LoanProduct, parse_id(product_id, "productId", "产品不存在"))
    if product is None or product.status == ProductStatus.RETIRED.value:
        raise DomainError(ErrorCode.NOT_FOUND, "产品不存在", field="productId")
    if product.status != ProductStatus.ACTIVE.value:
        raise DomainError(ErrorCode.CONFLICT, "该产品已暂停受理申请", field="productId")
    return product


async def _active_institution(session: AsyncSession, institution_id: int) -> Institution:
    institution = await session.get_one(Institution, institution_id)
    if institution.status != InstitutionStatus.ACTIVE.value:
        raise DomainError(ErrorCode.CONFLICT, "该机构暂停受理业务", field="productId")
    return institution


async def sharing_plan(
    *, session: AsyncSession, actor: Actor, product_id: int | str
) -> SharingPlan:
    """What applying for ``product_id`` would share, and the consent text if a grant is new."""
    enterprise_id = own_enterprise_id(actor, "申请贷款")
    product = await _applicable_product(session, product_id)
    institution = await _active_institution(session, product.institution_id)
    enterprise = await session.get_one(Enterprise, enterprise_id)
    scopes = list(product.required_scopes or [])
    if not scopes:
        return SharingPlan(product, institution, enterprise, scopes, None, None)
    grants = await consent.live_grants(
        session,
        enterprise_id=enterprise_id,
        institution_id=institution.id,
        purpose=APPLICATION_PURPOSE,
    )
    covering = [g for g in grants if set(scopes) <= set(g.scopes or ())]
    if covering:
        # The grant valid longest, so the application is not cut short by an older one.
        best = max(covering, key=lambda g: (g.valid_until, g.id))
        return SharingPlan(product, institution, enterprise, scopes, best, None)
    text = render_consent(
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        institution_name=institution.name,
        scopes=scopes,
        purpose=APPLICATION_PURPOSE,
        valid_days=GRANT_DAYS,
        valid_until=utcnow() + timedelta(days=GRANT_DAYS),
    )
    return SharingPlan(product, institution, enterprise, scopes, None, text)


def _clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    low, high = IDEMPOTENCY_KEY_LENGTH
    if not low <= len(key) <= high or not key.isascii() or not key.isprintable():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"Idempotency-Key 须为 {low} 到 {high} 个可见 ASCII 字符（建议使用 UUID）",
            field="Idempotency-Key",
        )
    return key


def _digest(request: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


async def _replay(
    session: AsyncSession, enterprise_id: int, key: str, digest: str
) -> LoanApplication | None:
    earlier = (
        await session.execute(
            select(LoanApplication).where(
                LoanApplication.enterprise_id == enterprise_id,
                LoanApplication.idempotency_key == key,
            )
        )
    ).scalar_one_or_none()
    if earlier is not None and earlier.request_digest != digest:
        raise DomainError(
            ErrorCode.CONFLICT,
            "该 Idempotency-Key 已用于另一笔不同的申请，请为新申请使用新的键",
            field="Idempotency-Key",
        )
    return earlier


async def _open_demand(
    session: AsyncSession, enterprise_id: int, demand_id: int | str | None
) -> FinancingDemand | None:
    if demand_id is None:
        return None
    demand = await own_demand(session, enterprise_id, demand_id)
    if demand.status != DemandStatus.OPEN.value:
        raise DomainError(ErrorCode.CONFLICT, "该融资需求已关闭", field="demandId")
    return demand


async def _check_eligible(session: AsyncSession, enterprise_id: int, product: LoanProduct) -> None:
    """Refuse a firm the product's rule rejects; an UNKNOWN fact is for the bank to check."""
    result = evaluate(parse_rule(product.eligibility), await stored_facts(session, enterprise_id))
    if result.status == Status.INELIGIBLE:
        reasons = "；".join(sentence(r) for r in result.unmet[:3])
        raise DomainError(
            ErrorCode.NOT_ELIGIBLE, f"暂不符合该产品的准入条件：{reasons}", field="productId"
        )


def live_key(enterprise_id: int, product_id: int, demand_id: int | None) -> str:
    """The slot a live application holds: one per enterprise, product and demand."""
    return f"{enterprise_id}:{product_id}:{demand_id if demand_id is not None else '-'}"


async def apply_for_product(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    product_id: int | str,
    demand_id: int | str | None = None,
    amount: Decimal | str | None = None,
    term_months: int | None = None,
    consent_version: str | None = None,
    referral_consent: bool = False,
    idempotency_key: str | None = None,
) -> ApplyOutcome:
    """Apply for a product's current version, recording (or reusing) the grant it needs.

    With an ``idempotency_key`` a repeated call returns the first application unchanged; the
    same key with a different request is CONFLICT. One live application per product and demand.
    """
    enterprise_id = own_enterprise_id(actor, "申请贷款")
    key = _clean_key(idempotency_key)
    request = {
        "product_id": str(product_id),
        "demand_id": None if demand_id is None else str(demand_id),
        "amount": None if amount is None else str(amount),
        "term_months": term_months,
        "referral_consent": referral_consent,
    }
    digest = _digest(request)
    if key is not None and (earlier := await _replay(session, enterprise_id, key, digest)):
        return ApplyOutcome(earlier, replayed=True)

    demand = await _open_demand(session, enterprise_id, demand_id)
    plan = await sharing_plan(session=session, actor=actor, product_id=product_id)
    product = plan.product
    requested_amount = clean_amount(amount) if amount is not None else None
    requested_term = clean_term(term_months) if term_months is not None else None
    if demand is not None:
        requested_amount = requested_amount or demand.amount
        requested_term = requested_term or demand.term_months
    if plan.needs_consent and consent_version is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "申请需向该机构授权查询部分信用信息，请先阅读并确认授权书",
            field="consentVersion",
        )
    if plan.needs_consent and consent_version != load_consent_template().version:
        raise DomainError(
            ErrorCode.CONFLICT, "授权书文本已更新，请重新阅读后确认", field="consentVersion"
        )
    await _check_eligible(session, enterprise_id, product)

    application = LoanApplication(
        enterprise_id=enterprise_id,
        institution_id=product.institution_id,
        product_id=product.id,
        product_version=product.version,
        demand_id=demand.id if demand is not None else None,
        status=ApplicationStatus.SUBMITTED.value,
        live_key=live_key(enterprise_id, product.id, demand.id if demand else None),
        idempotency_key=key,
        request_digest=digest if key is not None else None,
        requested_amount=requested_amount,
        requested_term_months=requested_term,
        referral_consent=referral_consent,
        created_by_account_id=actor.account_id,
    )
    try:
        async with session.begin_nested():
            session.add(application)
            await session.flush()
    except IntegrityError:
        # A concurrent call took the key or the slot first: answer as it would have.
        if key is not None and (earlier := await _replay(session, enterprise_id, key, digest)):
            return ApplyOutcome(earlier, replayed=True)
        raise DomainError(
            ErrorCode.CONFLICT, "您已申请过该产品，申请正在办理中", field="productId"
        ) from None

    grant = plan.reused_grant
    if plan.needs_consent:
        view = await consent.grant_authorization(
            session=session,
            runtime=runtime,
            actor=actor,
            institution_id=plan.institution.id,
            scopes=plan.scopes,
            purpose=APPLICATION_PURPOSE.value,
            valid_days=GRANT_DAYS,
            consent_version=consent_version,
            source="APPLICATION",
        )
        grant = view.grant
    application.authorization_id = grant.id if grant is not None else None
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="application.submit",
        subject_type="loan_application",
        subject_id=application.id,
        enterprise_id=enterprise_id,
        institution_id=product.institution_id,
        details={
            "product_id": product.id,
            "product_version": product.version,
            "demand_id": application.demand_id,
            "authorization_id": application.authorization_id,
            "new_grant": plan.needs_consent,
        },
    )
    await deliver(
        session,
        enterprise_id=enterprise_id,
        kind=MessageKind.APPLICATION,
        title=f"已向{plan.institution.name}提交“{product.name}”申请",
        body=_submitted_body(plan),
        dedupe_key=f"application:{application.id}:submitted",
    )
    amount = f"，金额 {requested_amount:,.2f} 元" if requested_amount is not None else ""
    await deliver(
        session,
        institution_id=product.institution_id,
        kind=MessageKind.APPLICATION,
        title=f"新的贷款申请：{product.name}",
        body=f"{plan.enterprise.name}（{plan.enterprise.uscc}）申请“{product.name}”{amount}，"
        "请在“贷款申请”中审批。",
        dedupe_key=f"application:{application.id}:received",
    )
    return ApplyOutcome(application, replayed=False)


def _submitted_body(plan: SharingPlan) -> str:
    shared = "、".join(scope_label(s) for s in plan.scopes)
    if not plan.scopes:
        sharing = "本次申请未授权查询非公开信息。"
    elif plan.reused_grant is not None:
        sharing = f"机构将依据您此前的有效授权（编号 {plan.reused_grant.id}）查询：{shared}。"
    else:
        sharing = f"您已授权该机构在 {GRANT_DAYS} 天内为贷中审批查询：{shared}，可随时撤销。"
    return f"申请已提交，机构审批后会通知您。{sharing}"


async def own_application(
    session: AsyncSession, actor: Actor, application_id: int | str
) -> LoanApplication:
    """One of the actor's enterprise's applications; anyone else's is NOT_FOUND."""
    enterprise_id = own_enterprise_id(actor, "查看贷款申请")
    application = await session.get(
        LoanApplication, parse_id(application_id, "applicationId", "申请不存在")
    )
    if application is None or application.enterprise_id != enterprise_id:
        raise DomainError(ErrorCode.NOT_FOUND, "申请不存在", field="applicationId")
    return application


async def withdraw_application(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, application_id: int | str
) -> LoanApplication:
    """The firm withdraws a submitted or approved (not yet disbursed) application."""
    application = await own_application(session, actor, application_id)
    if application.status not in LIVE_APPLICATION_STATUSES:
        raise DomainError(ErrorCode.CONFLICT, "该申请已办结，不能撤回", field="applicationId")
    application.status = ApplicationStatus.WITHDRAWN.value
    application.live_key = None
    application.updated_at = utcnow()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="application.withdraw",
        subject_type="loan_application",
        subject_id=application.id,
        enterprise_id=application.enterprise_id,
        institution_id=application.institution_id,
    )
    return application
