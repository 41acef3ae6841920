"""Financing demands, applications and loans: publishFinancingDemand, myDemands,
closeFinancingDemand, applicationPreview, applyForProduct (Idempotency-Key), myApplications,
withdrawApplication; for institutions applications, decideApplication, recordDisbursement,
reportLoanPerformance and loans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from backend.consent.scopes import scope_label
from backend.identity.models import Role
from backend.lending import applications as applying
from backend.lending import decisions, demands, loans
from backend.lending import models as lending
from backend.lending.views import ApplicationView, application_views
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id
from graphql_schema.consent import AccessPurpose
from graphql_schema.credit_profile import PageInfo
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.products import LoanProduct
from graphql_schema.types import Enterprise

DemandStatus = strawberry.enum(
    lending.DemandStatus, name="DemandStatus", description="融资需求状态：OPEN 开放、CLOSED 已关闭"
)
ApplicationStatus = strawberry.enum(
    lending.ApplicationStatus,
    name="ApplicationStatus",
    description="申请状态：SUBMITTED 已提交、APPROVED 已批准、REJECTED 未获批准、DISBURSED 已放款、"
    "WITHDRAWN 已撤回、CLOSED 已结清",
)
LoanStatus = strawberry.enum(
    lending.LoanStatus,
    name="LoanStatus",
    description="贷款状态：NORMAL 正常、OVERDUE 逾期、DEFAULT 违约、REPAID 已结清",
)
RATE_NOTE = "年利率，以小数表示（0.0435 即 4.35%）"


@strawberry.type(description="企业发布的融资需求")
class FinancingDemand:
    id: strawberry.ID
    amount: Decimal = strawberry.field(description="需求金额（元）")
    term_months: int = strawberry.field(description="期限（月）")
    purpose: str = strawberry.field(description="资金用途")
    status: DemandStatus
    created_at: datetime
    first_response_at: datetime | None = strawberry.field(description="首次有机构响应的时间")
    closed_at: datetime | None

    @classmethod
    def from_model(cls, model: lending.FinancingDemand) -> FinancingDemand:
        """Shape a stored demand."""
        return cls(
            id=strawberry.ID(str(model.id)),
            amount=model.amount,
            term_months=model.term_months,
            purpose=model.purpose,
            status=lending.DemandStatus(model.status),
            created_at=model.created_at,
            first_response_at=model.first_response_at,
            closed_at=model.closed_at,
        )


@strawberry.type(description="已发放的贷款及其最新履约状态")
class Loan:
    id: strawberry.ID
    application_id: strawberry.ID
    amount: Decimal = strawberry.field(description="放款金额（元）")
    annual_rate: Decimal | None = strawberry.field(description=RATE_NOTE)
    term_months: int | None
    disbursed_on: date
    is_credit_loan: bool = strawberry.field(description="是否信用贷款（无抵押、无担保）")
    is_first_loan: bool = strawberry.field(description="是否首贷户（此前未在平台及银行获得贷款）")
    status: LoanStatus
    status_on: date = strawberry.field(description="最新状态的报送日期")

    @classmethod
    def from_model(cls, model: lending.Loan) -> Loan:
        """Shape a stored loan."""
        return cls(
            id=strawberry.ID(str(model.id)),
            application_id=strawberry.ID(str(model.application_id)),
            amount=model.amount,
            annual_rate=model.annual_rate,
            term_months=model.term_months,
            disbursed_on=model.disbursed_on,
            is_credit_loan=model.is_credit_loan,
            is_first_loan=model.is_first_loan,
            status=lending.LoanStatus(model.status),
            status_on=model.status_on,
        )


@strawberry.type(description="贷款申请")
class Application:
    id: strawberry.ID
    status: ApplicationStatus
    enterprise: Enterprise
    product: LoanProduct = strawberry.field(description="产品的当前版本")
    product_version: int = strawberry.field(description="申请时的产品版本（审批以此版本为准）")
    product_name: str = strawberry.field(description="申请时的产品名称")
    institution_name: str
    demand: FinancingDemand | None
    requested_amount: Decimal | None
    requested_term_months: int | None
    approved_amount: Decimal | None
    annual_rate: Decimal | None = strawberry.field(description=f"批准的{RATE_NOTE}")
    approved_term_months: int | None
    decision_reason: str | None = strawberry.field(description="审批意见（未获批准时的原因）")
    referral_consent: bool = strawberry.field(description="未获批准时同意推荐其他匹配产品")
    authorization_id: strawberry.ID | None = strawberry.field(
        description="本次申请所依据的授权（企业可在授权管理中查看、撤销）"
    )
    loan: Loan | None
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def from_view(cls, view: ApplicationView) -> Application:
        """Shape an application and what it refers to (loaded beforehand)."""
        a = view.application
        return cls(
            id=strawberry.ID(str(a.id)),
            status=lending.ApplicationStatus(a.status),
            enterprise=Enterprise.from_model(view.enterprise),
            product=LoanProduct.from_row(view.product, view.institution),
            product_version=a.product_version,
            product_name=view.applied_name,
            institution_name=view.institution.name,
            demand=FinancingDemand.from_model(view.demand) if view.demand else None,
            requested_amount=a.requested_amount,
            requested_term_months=a.requested_term_months,
            approved_amount=a.approved_amount,
            annual_rate=a.annual_rate,
            approved_term_months=a.approved_term_months,
            decision_reason=a.decision_reason,
            referral_consent=a.referral_consent,
            authorization_id=strawberry.ID(str(a.authorization_id)) if a.authorization_id else None,
            loan=Loan.from_model(view.loan) if view.loan else None,
            created_at=a.created_at,
            decided_at=a.decided_at,
        )


@strawberry.type(description="一页贷款申请")
class ApplicationPage:
    items: list[Application]
    page_info: PageInfo


@strawberry.type(description="一页贷款")
class LoanPage:
    items: list[Loan]
    page_info: PageInfo


@strawberry.type(description="申请前的告知：申请将向机构共享哪些信息、依据哪份授权")
class ApplicationPreview:
    product: LoanProduct | None
    scopes: list[str]
    scope_labels: list[str]
    purpose: AccessPurpose
    reused_authorization_id: strawberry.ID | None = strawberry.field(
        description="已有的、覆盖所需范围的有效授权；有则申请不新增授权"
    )
    needs_consent: bool = strawberry.field(description="申请将新增一份授权，须阅读并确认授权书")
    consent_version: str | None
    consent_title: str | None
    consent_text: str | None
    errors: list[UserError]


@strawberry.type
class DemandPayload:
    demand: FinancingDemand | None
    errors: list[UserError]


@strawberry.type
class ApplicationPayload:
    application: Application | None
    replayed: bool = strawberry.field(
        description="本次调用是否为同一 Idempotency-Key 的重放（未新建申请）"
    )
    errors: list[UserError]


@strawberry.type
class LoanPayload:
    loan: Loan | None
    errors: list[UserError]


@strawberry.input(description="发布融资需求")
class PublishFinancingDemandInput:
    amount: Decimal = strawberry.field(description="需求金额（元）")
    term_months: int = strawberry.field(description="期限（月）")
    purpose: str = strawberry.field(description="资金用途，4–500 字")


@strawberry.input(description="申请贷款产品；请求头 Idempotency-Key 可使重试不重复申请")
class ApplyForProductInput:
    product_id: strawberry.ID
    demand_id: strawberry.ID | None = None
    amount: Decimal | None = strawberry.field(
        default=None, description="申请金额（元）；不填则取融资需求的金额"
    )
    term_months: int | None = strawberry.field(
        default=None, description="申请期限（月）；不填则取融资需求的期限"
    )
    consent_version: str | None = strawberry.field(
        default=None,
        description="企业已阅读的授权书版本（来自 applicationPreview）；需新增授权时必填",
    )
    referral_consent: bool = strawberry.field(
        default=False, description="未获批准时，同意平台向本企业推荐其他匹配产品"
    )


@strawberry.input(description="审批贷款申请")
class DecideApplicationInput:
    application_id: strawberry.ID
    approve: bool
    approved_amount: Decimal | None = strawberry.field(default=None, description="批准金额（元）")
    annual_rate: Decimal | None = strawberry.field(default=None, description=RATE_NOTE)
    term_months: int | None = strawberry.field(default=None, description="批准期限（月）")
    reason: str | None = strawberry.field(
        default=None, description="审批意见；拒绝时必填，企业可见"
    )


@strawberry.input(description="登记放款")
class RecordDisbursementInput:
    application_id: strawberry.ID
    amount: Decimal = strawberry.field(description="放款金额（元），不超过批准金额")
    disbursed_on: date
    is_credit_loan: bool = strawberry.field(description="是否信用贷款（无抵押、无担保）")


@strawberry.input(description="报送贷款履约情况")
class ReportLoanPerformanceInput:
    loan_id: strawberry.ID
    status: LoanStatus
    reported_on: date


async def _application(session: AsyncSession, application: lending.LoanApplication) -> Application:
    (view,) = await application_views(session, [application])
    return Application.from_view(view)


@strawberry.type
class LendingQuery:
    @strawberry.field(extensions=roles(Role.ENTERPRISE), description="本企业的融资需求，由新到旧")
    async def my_demands(
        self, info: Info, status: DemandStatus | None = None, first: int = 20
    ) -> list[FinancingDemand]:
        rows = await info.context.read(
            lambda session, actor: demands.my_demands(
                session=session, actor=actor, status=status, first=first
            )
        )
        return [FinancingDemand.from_model(row) for row in rows]

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="申请前查看：申请该产品将向机构共享的信息范围，以及需确认的授权书（如需新增授权）",
    )
    async def application_preview(
        self, info: Info, product_id: strawberry.ID
    ) -> ApplicationPreview:
        async def work(session: AsyncSession, actor: Actor) -> ApplicationPreview:
            plan = await applying.sharing_plan(session=session, actor=actor, product_id=product_id)
            return ApplicationPreview(
                product=LoanProduct.from_row(plan.product, plan.institution),
                scopes=plan.scopes,
                scope_labels=[scope_label(s) for s in plan.scopes],
                purpose=applying.APPLICATION_PURPOSE,
                reused_authorization_id=strawberry.ID(str(plan.reused_grant.id))
                if plan.reused_grant
                else None,
                needs_consent=plan.needs_consent,
                consent_version=plan.consent.version if plan.consent else None,
                consent_title=plan.consent.title if plan.consent else None,
                consent_text=plan.consent.text if plan.consent else None,
                errors=[],
            )

        preview, errors = await info.context.transact(work)
        return preview or ApplicationPreview(
            product=None,
            scopes=[],
            scope_labels=[],
            purpose=applying.APPLICATION_PURPOSE,
            reused_authorization_id=None,
            needs_consent=False,
            consent_version=None,
            consent_title=None,
            consent_text=None,
            errors=errors,
        )

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE), description="本企业的贷款申请及放款、履约状态，由新到旧"
    )
    async def my_applications(
        self, info: Info, status: ApplicationStatus | None = None
    ) -> list[Application]:
        async def work(session: AsyncSession, actor: Actor) -> list[Application]:
            enterprise_id = own_enterprise_id(actor, "查看贷款申请")
            query = select(lending.LoanApplication).where(
                lending.LoanApplication.enterprise_id == enterprise_id
            )
            if status is not None:
                query = query.where(lending.LoanApplication.status == status.value)
            rows = (
                await session.execute(query.order_by(lending.LoanApplication.id.desc()).limit(100))
            ).scalars()
            return [Application.from_view(v) for v in await application_views(session, list(rows))]

        return await info.context.read(work)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="本机构收到的贷款申请，由新到旧（接口令牌须有 APPLICATIONS 权限）",
    )
    async def applications(
        self,
        info: Info,
        status: ApplicationStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ApplicationPage:
        async def work(session: AsyncSession, actor: Actor) -> ApplicationPage:
            rows, cursor = await decisions.lender_applications(
                session=session, actor=actor, status=status, first=first, after=after
            )
            views = await application_views(session, rows)
            return ApplicationPage(
                items=[Application.from_view(v) for v in views],
                page_info=PageInfo(end_cursor=cursor, has_next_page=cursor is not None),
            )

        return await info.context.read(work)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description=(
            "本机构收到的一笔贷款申请（其他机构的申请为 NOT_FOUND；接口令牌须有 APPLICATIONS 权限）"
        ),
    )
    async def application(self, info: Info, id: strawberry.ID) -> Application:
        async def work(session: AsyncSession, actor: Actor) -> Application:
            row = await decisions.lender_application(session, actor, id)
            (view,) = await application_views(session, [row])
            return Application.from_view(view)

        return await info.context.read(work)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="本机构登记的贷款，由新到旧（接口令牌须有 APPLICATIONS 权限）",
    )
    async def loans(self, info: Info, first: int = 20, after: str | None = None) -> LoanPage:
        rows, cursor = await info.context.read(
            lambda session, actor: loans.lender_loans(
                session=session, actor=actor, first=first, after=after
            )
        )
        return LoanPage(
            items=[Loan.from_model(row) for row in rows],
            page_info=PageInfo(end_cursor=cursor, has_next_page=cursor is not None),
        )


@strawberry.type
class LendingMutation:
    @strawberry.mutation(extensions=roles(Role.ENTERPRISE), description="发布融资需求")
    async def publish_financing_demand(
        self, info: Info, input: PublishFinancingDemandInput
    ) -> DemandPayload:
        demand, errors = await info.context.transact(
            lambda session, actor: demands.publish_demand(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                amount=input.amount,
                term_months=input.term_months,
                purpose=input.purpose,
            )
        )
        return DemandPayload(
            demand=FinancingDemand.from_model(demand) if demand else None, errors=errors
        )

    @strawberry.mutation(extensions=roles(Role.ENTERPRISE), description="关闭本企业的融资需求")
    async def close_financing_demand(self, info: Info, id: strawberry.ID) -> DemandPayload:
        demand, errors = await info.context.transact(
            lambda session, actor: demands.close_demand(
                session=session, runtime=info.context.runtime, actor=actor, demand_id=id
            )
        )
        return DemandPayload(
            demand=FinancingDemand.from_model(demand) if demand else None, errors=errors
        )

    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="申请贷款产品：按产品所需范围新增（或沿用）贷中审批授权；"
        "同一 Idempotency-Key 重试只产生一笔申请；同一产品与需求只能有一笔办理中的申请",
    )
    async def apply_for_product(
        self, info: Info, input: ApplyForProductInput
    ) -> ApplicationPayload:
        async def work(session: AsyncSession, actor: Actor) -> tuple[Application, bool]:
            outcome = await applying.apply_for_product(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                product_id=input.product_id,
                demand_id=input.demand_id,
                amount=input.amount,
                term_months=input.term_months,
                consent_version=input.consent_version,
                referral_consent=input.referral_consent,
                idempotency_key=info.context.idempotency_key,
            )
            return await _application(session, outcome.application), outcome.replayed

        result, errors = await info.context.transact(work)
        application, replayed = result if result else (None, False)
        return ApplicationPayload(application=application, replayed=replayed, errors=errors)

    @strawberry.mutation(extensions=roles(Role.ENTERPRISE), description="撤回尚未放款的贷款申请")
    async def withdraw_application(self, info: Info, id: strawberry.ID) -> ApplicationPayload:
        async def work(session: AsyncSession, actor: Actor) -> Application:
            application = await applying.withdraw_application(
                session=session, runtime=info.context.runtime, actor=actor, application_id=id
            )
            return await _application(session, application)

        application, errors = await info.context.transact(work)
        return ApplicationPayload(application=application, replayed=False, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="审批贷款申请：批准（金额、年利率、期限须在申请时的产品版本范围内）或拒绝（写明原因）",
    )
    async def decide_application(
        self, info: Info, input: DecideApplicationInput
    ) -> ApplicationPayload:
        async def work(session: AsyncSession, actor: Actor) -> Application:
            application = await decisions.decide_application(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                application_id=input.application_id,
                approve=input.approve,
                approved_amount=input.approved_amount,
                annual_rate=input.annual_rate,
                term_months=input.term_months,
                reason=input.reason,
            )
            return await _application(session, application)

        application, errors = await info.context.transact(work)
        return ApplicationPayload(application=application, replayed=False, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="登记放款（每笔已批准的申请一次）；平台据此判定首贷户",
    )
    async def record_disbursement(self, info: Info, input: RecordDisbursementInput) -> LoanPayload:
        loan, errors = await info.context.transact(
            lambda session, actor: loans.record_disbursement(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                application_id=input.application_id,
                amount=str(input.amount),
                disbursed_on=input.disbursed_on,
                is_credit_loan=input.is_credit_loan,
            )
        )
        return LoanPayload(loan=Loan.from_model(loan) if loan else None, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="报送贷款履约情况（NORMAL 正常、OVERDUE 逾期、DEFAULT 违约、REPAID 结清）",
    )
    async def report_loan_performance(
        self, info: Info, input: ReportLoanPerformanceInput
    ) -> LoanPayload:
        loan, errors = await info.context.transact(
            lambda session, actor: loans.report_performance(
                session=session,
                runtime=info.context.runtime,
                actor=actor,
                loan_id=input.loan_id,
                status=lending.LoanStatus(input.status.value),
                reported_on=input.reported_on,
            )
        )
        return LoanPayload(loan=Loan.from_model(loan) if loan else None, errors=errors)
