"""Institutions: the public list, and for government staff onboardInstitution,
setInstitutionStatus, managedInstitutions, createApiToken; apiTokens and revokeApiToken for
government staff and the institution's own staff."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.institutions import service as institutions
from backend.institutions.models import ApiScope as ApiScopeValue
from backend.institutions.models import ApiToken as ApiTokenModel
from backend.institutions.models import Institution as InstitutionModel
from backend.institutions.models import InstitutionStatus as InstitutionStatusValue
from backend.institutions.service import ApiTokenStatus as ApiTokenStatusValue
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.types import Institution, InstitutionKind

InstitutionStatus = strawberry.enum(
    InstitutionStatusValue,
    name="InstitutionStatus",
    description="ACTIVE 正常接入、SUSPENDED 暂停（可恢复）、REVOKED 退出（不可恢复）",
)
ApiScope = strawberry.enum(
    ApiScopeValue,
    name="ApiScope",
    description=(
        "API 令牌的权限范围：REPORTS 信用报告与公共信息查询、PRODUCTS 金融产品发布与管理、"
        "APPLICATIONS 融资需求、申请、审批、放款与贷后报送、ALERTS 贷后风险预警"
    ),
)
ApiTokenStatus = strawberry.enum(
    ApiTokenStatusValue,
    name="ApiTokenStatus",
    description="ACTIVE 有效、EXPIRED 已过期、REVOKED 已吊销",
)


def _id(value: strawberry.ID, field: str) -> int:
    """A row id, or NOT_FOUND: a malformed or out-of-range ID names nothing that exists."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise DomainError(ErrorCode.NOT_FOUND, "编号不存在", field=field)
    return int(text)


@strawberry.type(description="接入前的安全评估记录")
class SecurityAssessment:
    report_number: str = strawberry.field(description="评估报告编号")
    assessed_on: date = strawberry.field(description="评估日期")
    assessor: str = strawberry.field(description="评估机构")
    passed: bool = strawberry.field(description="是否通过评估")
    summary: str | None = strawberry.field(description="评估结论摘要")

    @classmethod
    def from_json(cls, stored: dict[str, Any] | None) -> SecurityAssessment | None:
        """Shape the assessment kept on the institution (None for institutions seeded without)."""
        if not stored:
            return None
        return cls(
            report_number=stored.get("report_number", ""),
            assessed_on=date.fromisoformat(stored["assessed_on"]),
            assessor=stored.get("assessor", ""),
            passed=bool(stored.get("passed")),
            summary=stored.get("summary"),
        )


@strawberry.type(description="金融机构（管理视图，仅政府工作人员）")
class InstitutionDetail:
    id: strawberry.ID = strawberry.field(description="机构编号")
    name: str = strawberry.field(description="机构名称")
    uscc: str = strawberry.field(description="统一社会信用代码")
    kind: InstitutionKind = strawberry.field(description="机构类别")
    status: InstitutionStatus = strawberry.field(description="接入状态")
    region_codes: list[str] = strawberry.field(
        description="服务地区：行政区划代码前缀（省 2 位、市 4 位、县 6 位）"
    )
    status_reason: str | None = strawberry.field(description="最近一次暂停、退出或恢复的原因")
    status_changed_at: datetime | None = strawberry.field(description="最近一次状态变更时间")
    created_at: datetime = strawberry.field(description="接入时间")
    security_assessment: SecurityAssessment | None = strawberry.field(
        description="接入前的安全评估"
    )

    @classmethod
    def from_model(cls, model: InstitutionModel) -> InstitutionDetail:
        """Shape an institution row with its status and assessment."""
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            uscc=model.uscc,
            kind=InstitutionKind(model.kind),
            status=InstitutionStatusValue(model.status),
            region_codes=list(model.region_codes or []),
            status_reason=model.status_reason,
            status_changed_at=model.status_changed_at,
            created_at=model.created_at,
            security_assessment=SecurityAssessment.from_json(model.security_assessment),
        )


@strawberry.type(description="金融机构系统调用平台接口的 API 令牌（令牌本身只在签发时显示一次）")
class ApiToken:
    id: strawberry.ID = strawberry.field(description="令牌编号")
    name: str = strawberry.field(description="令牌名称（使用它的系统）")
    scopes: list[ApiScope] = strawberry.field(description="权限范围")
    token_hint: str = strawberry.field(description="令牌前缀 xra_ 之后的前 8 个字符，用于辨认")
    account_id: strawberry.ID = strawberry.field(description="令牌代表的机构工作人员账户编号")
    status: ApiTokenStatus = strawberry.field(description="有效、已过期或已吊销")
    created_at: datetime = strawberry.field(description="签发时间")
    expires_at: datetime = strawberry.field(description="到期时间")
    revoked_at: datetime | None = strawberry.field(description="吊销时间")
    last_used_at: datetime | None = strawberry.field(description="最近使用时间（约每分钟更新）")

    @classmethod
    def from_model(cls, model: ApiTokenModel) -> ApiToken:
        """Shape a token row; its hash never leaves the server."""
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            scopes=[ApiScopeValue(scope) for scope in model.scopes or []],
            token_hint=model.token_hint,
            account_id=strawberry.ID(str(model.account_id)),
            status=institutions.token_status(model),
            created_at=model.created_at,
            expires_at=model.expires_at,
            revoked_at=model.revoked_at,
            last_used_at=model.last_used_at,
        )


@strawberry.input(description="安全评估记录")
class SecurityAssessmentInput:
    report_number: str = strawberry.field(description="评估报告编号")
    assessed_on: date = strawberry.field(description="评估日期：不晚于今天，且在 365 天以内")
    assessor: str = strawberry.field(description="评估机构")
    passed: bool = strawberry.field(description="是否通过评估；未通过不能接入")
    summary: str | None = strawberry.field(default=None, description="评估结论摘要（可选）")


@strawberry.input(description="接入一家金融机构（须先通过安全评估）")
class OnboardInstitutionInput:
    name: str = strawberry.field(description="机构名称，2 到 100 个字符")
    uscc: str = strawberry.field(description="统一社会信用代码")
    kind: InstitutionKind = strawberry.field(description="机构类别")
    region_codes: list[str] = strawberry.field(
        description="服务地区：2、4 或 6 位行政区划代码，如 37、3713、371302"
    )
    security_assessment: SecurityAssessmentInput = strawberry.field(description="安全评估记录")


@strawberry.input(description="暂停、恢复或退出一家金融机构（有进有出）")
class SetInstitutionStatusInput:
    institution_id: strawberry.ID = strawberry.field(description="机构编号")
    status: InstitutionStatus = strawberry.field(description="新的状态；退出后不可恢复")
    reason: str | None = strawberry.field(
        default=None, description="原因，2 到 500 个字符；暂停和退出时必填"
    )


@strawberry.input(description="为金融机构的系统签发 API 令牌")
class CreateApiTokenInput:
    institution_id: strawberry.ID = strawberry.field(description="机构编号（须为正常状态）")
    account_id: strawberry.ID = strawberry.field(
        description="令牌代表的该机构工作人员账户编号（调用记入该账户名下）"
    )
    name: str = strawberry.field(description="令牌名称，如“信贷系统（生产）”，1 到 100 个字符")
    scopes: list[ApiScope] = strawberry.field(description="权限范围，至少一项")
    valid_days: int = strawberry.field(description="有效天数，1 到 365")


@strawberry.type(description="接入或变更金融机构的结果")
class InstitutionPayload:
    institution: InstitutionDetail | None = strawberry.field(description="金融机构")
    errors: list[UserError] = strawberry.field(description="错误列表；成功时为空")


@strawberry.type(description="签发 API 令牌的结果")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(
        description="令牌（xra_ 开头），仅此一次显示，平台只保存其摘要，请立即妥善交付"
    )
    api_token: ApiToken | None = strawberry.field(description="令牌信息")
    errors: list[UserError] = strawberry.field(description="错误列表；成功时为空")


@strawberry.type(description="吊销 API 令牌的结果")
class ApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="令牌信息")
    errors: list[UserError] = strawberry.field(description="错误列表；成功时为空")


def _institution_payload(
    model: InstitutionModel | None, errors: list[UserError]
) -> InstitutionPayload:
    return InstitutionPayload(
        institution=InstitutionDetail.from_model(model) if model else None, errors=errors
    )


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="平台上的金融机构（公开）")
    async def institutions(self, info: Info) -> list[Institution]:
        async def work(session, _actor):  # type: ignore[no-untyped-def]
            rows = await session.execute(
                select(InstitutionModel)
                .where(InstitutionModel.status == InstitutionStatusValue.ACTIVE.value)
                .order_by(InstitutionModel.id)
            )
            return [Institution.from_model(row) for row in rows.scalars()]

        return await info.context.read(work)

    @strawberry.field(
        extensions=roles(Role.GOVERNMENT),
        description="全部金融机构及其接入状态、安全评估（仅政府工作人员）",
    )
    async def managed_institutions(
        self,
        info: Info,
        status: Annotated[
            InstitutionStatus | None, strawberry.argument(description="只看该状态的机构")
        ] = None,
    ) -> list[InstitutionDetail]:
        async def work(session, actor):  # type: ignore[no-untyped-def]
            rows = await institutions.list_institutions_admin(
                session=session, actor=actor, status=status.value if status else None
            )
            return [InstitutionDetail.from_model(row) for row in rows]

        return await info.context.read(work)

    @strawberry.field(
        extensions=roles(Role.GOVERNMENT, Role.INSTITUTION),
        description="一家机构的 API 令牌，新签发的在前（政府工作人员，或该机构自己的工作人员）",
    )
    async def api_tokens(
        self,
        info: Info,
        institution_id: Annotated[strawberry.ID, strawberry.argument(description="机构编号")],
    ) -> list[ApiToken]:
        async def work(session, actor):  # type: ignore[no-untyped-def]
            rows = await institutions.list_api_tokens(
                session=session,
                actor=actor,
                institution_id=_id(institution_id, "institutionId"),
            )
            return [ApiToken.from_model(row) for row in rows]

        return await info.context.read(work)


@strawberry.type
class InstitutionMutation:
    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="接入金融机构：记录安全评估并开通（仅政府工作人员）",
    )
    async def onboard_institution(
        self, info: Info, input: OnboardInstitutionInput
    ) -> InstitutionPayload:
        ctx = info.context
        assessment = input.security_assessment

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await institutions.onboard_institution(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                name=input.name,
                uscc=input.uscc,
                kind=input.kind.value,
                region_codes=input.region_codes,
                assessment={
                    "report_number": assessment.report_number,
                    "assessed_on": assessment.assessed_on,
                    "assessor": assessment.assessor,
                    "passed": assessment.passed,
                    "summary": assessment.summary,
                },
            )

        model, errors = await ctx.transact(work)
        return _institution_payload(model, errors)

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description=(
            "暂停、恢复或退出金融机构（仅政府工作人员）：暂停与退出立即终止该机构全部登录会话，"
            "暂停期间其 API 令牌不可用、恢复后重新可用；退出同时吊销全部令牌，且不可恢复"
        ),
    )
    async def set_institution_status(
        self, info: Info, input: SetInstitutionStatusInput
    ) -> InstitutionPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await institutions.set_institution_status(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                institution_id=_id(input.institution_id, "institutionId"),
                status=input.status.value,
                reason=input.reason,
            )

        model, errors = await ctx.transact(work)
        return _institution_payload(model, errors)

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="为金融机构的系统签发 API 令牌（仅政府工作人员）；令牌只显示这一次",
    )
    async def create_api_token(
        self, info: Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await institutions.create_api_token(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                institution_id=_id(input.institution_id, "institutionId"),
                account_id=_id(input.account_id, "accountId"),
                name=input.name,
                scopes=[scope.value for scope in input.scopes],
                valid_days=input.valid_days,
            )

        issued, errors = await ctx.transact(work)
        if issued is None:
            return CreateApiTokenPayload(token=None, api_token=None, errors=errors)
        return CreateApiTokenPayload(
            token=issued.token, api_token=ApiToken.from_model(issued.api_token), errors=[]
        )

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT, Role.INSTITUTION),
        description="立即吊销一个 API 令牌（政府工作人员，或该机构自己的工作人员登录后）",
    )
    async def revoke_api_token(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="令牌编号")]
    ) -> ApiTokenPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await institutions.revoke_api_token(
                session=session, runtime=ctx.runtime, actor=actor, token_id=_id(id, "id")
            )

        model, errors = await ctx.transact(work)
        return ApiTokenPayload(
            api_token=ApiToken.from_model(model) if model else None, errors=errors
        )
