"""Enterprise consent: grantAuthorization, revokeAuthorization, myAuthorizations, consentPreview,
receivedAuthorizations, grantableScopes and the trail (myDataAccessLog)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.types import Info

from backend.consent import service as consent
from backend.consent import trail
from backend.consent.models import PURPOSE_LABELS
from backend.consent.models import AccessKind as AccessKindValue
from backend.consent.models import AccessPurpose as AccessPurposeValue
from backend.consent.scopes import grantable_scopes, scope_label
from backend.errors import parse_id
from backend.identity.models import Role
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles

AccessPurpose = strawberry.enum(
    AccessPurposeValue,
    name="AccessPurpose",
    description="信息使用用途：PRE_LOAN 贷前调查、LOAN_APPROVAL 贷中审批、POST_LOAN 贷后管理",
)
AuthorizationStatus = strawberry.enum(
    consent.AuthorizationStatus,
    name="AuthorizationStatus",
    description="授权状态：ACTIVE 有效、EXPIRED 已过期、REVOKED 已撤销",
)
AccessKind = strawberry.enum(
    AccessKindValue,
    name="AccessKind",
    description="访问方式：REPORT 信用报告、BATCH 公开信息批量推送、INTERFACE 接口调用、"
    "IDENTITY 查看法定代表人身份证号码",
)


@strawberry.type(description="可授权的信息范围（共享清单中的非公开类别，及法定代表人身份证号码）")
class AuthorizationScope:
    code: str
    label: str


@strawberry.type(description="企业对金融机构的授权")
class Authorization:
    id: strawberry.ID
    institution_id: strawberry.ID
    institution_name: str
    enterprise_uscc: str
    enterprise_name: str
    scopes: list[str] = strawberry.field(
        description="授权范围：共享清单类别代码及 legal_rep_identity"
    )
    scope_labels: list[str]
    purpose: AccessPurpose
    purpose_label: str
    granted_at: datetime
    valid_until: datetime
    revoked_at: datetime | None
    status: AuthorizationStatus
    consent_version: str = strawberry.field(description="授权书文本版本")
    consent_text: str = strawberry.field(description="授权时展示并确认的授权书全文")

    @classmethod
    def from_view(cls, view: consent.GrantView) -> Authorization:
        """Shape a grant and its names."""
        grant = view.grant
        purpose = AccessPurposeValue(grant.purpose)
        return cls(
            id=strawberry.ID(str(grant.id)),
            institution_id=strawberry.ID(str(grant.institution_id)),
            institution_name=view.institution_name,
            enterprise_uscc=view.enterprise_uscc,
            enterprise_name=view.enterprise_name,
            scopes=list(grant.scopes),
            scope_labels=[scope_label(s) for s in grant.scopes],
            purpose=purpose,
            purpose_label=PURPOSE_LABELS[purpose],
            granted_at=grant.granted_at,
            valid_until=grant.valid_until,
            revoked_at=grant.revoked_at,
            status=view.status,
            consent_version=grant.consent_version,
            consent_text=grant.consent_text,
        )


@strawberry.input(description="授权一家金融机构在一定期限内为一种用途查询本企业的非公开信息")
class GrantAuthorizationInput:
    institution_id: strawberry.ID
    scopes: list[str]
    purpose: AccessPurpose
    valid_days: int = strawberry.field(description="有效天数，1 到 365")
    consent_version: str | None = strawberry.field(
        default=None, description="页面展示的授权书版本；与当前版本不一致时返回 CONFLICT"
    )


@strawberry.type
class AuthorizationPayload:
    authorization: Authorization | None
    errors: list[UserError]


@strawberry.type(description="授权书预览：确认授权前展示给企业的全文")
class ConsentPreview:
    version: str | None
    title: str | None
    text: str | None
    errors: list[UserError]


@strawberry.type(description="一次对本企业数据的访问（谁、何时、看了什么、为何、依据哪项授权）")
class DataAccessEntry:
    id: strawberry.ID
    institution_name: str
    staff_name: str | None = strawberry.field(description="查询人员（机构工作人员）")
    via_api: bool = strawberry.field(description="是否由机构系统通过接口令牌查询")
    kind: AccessKind
    categories: list[str]
    category_labels: list[str]
    purpose: AccessPurpose | None
    purpose_label: str | None
    authorization_ids: list[strawberry.ID]
    accessed_at: datetime

    @classmethod
    def from_entry(cls, entry: trail.AccessEntry) -> DataAccessEntry:
        """Shape one trail entry."""
        purpose = AccessPurposeValue(entry.purpose) if entry.purpose else None
        return cls(
            id=strawberry.ID(str(entry.id)),
            institution_name=entry.institution_name,
            staff_name=entry.staff_name,
            via_api=entry.via_api,
            kind=AccessKindValue(entry.kind),
            categories=entry.categories,
            category_labels=[scope_label(c) for c in entry.categories],
            purpose=purpose,
            purpose_label=PURPOSE_LABELS[purpose] if purpose else None,
            authorization_ids=[strawberry.ID(str(i)) for i in entry.authorization_ids],
            accessed_at=entry.accessed_at,
        )


def _after(after: strawberry.ID | None) -> int | None:
    return None if after is None else parse_id(after, "after", "分页游标无效")


def _status(value: AuthorizationStatus | None) -> consent.AuthorizationStatus | None:
    return None if value is None else consent.AuthorizationStatus(value.value)


async def _grants(
    info: Info,
    lister: Callable[..., Awaitable[list[consent.GrantView]]],
    status: AuthorizationStatus | None,
    first: int,
    after: strawberry.ID | None,
) -> list[Authorization]:
    """A page of grants from ``lister`` (the enterprise's own, or those made to an institution)."""
    views = await info.context.read(
        lambda session, actor: lister(
            session=session, actor=actor, status=_status(status), first=first, after=_after(after)
        )
    )
    return [Authorization.from_view(v) for v in views]


@strawberry.type
class ConsentQuery:
    @strawberry.field(description="可授权的信息范围（公开）")
    def grantable_scopes(self) -> list[AuthorizationScope]:
        return [AuthorizationScope(code=c, label=label) for c, label in grantable_scopes().items()]

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="授权书预览（企业账户，须已实名认证）：确认授权前展示的全文及版本",
    )
    async def consent_preview(self, info: Info, input: GrantAuthorizationInput) -> ConsentPreview:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await consent.preview_consent(
                session=session,
                actor=actor,
                institution_id=parse_id(input.institution_id, "institutionId", "找不到该金融机构"),
                scopes=list(input.scopes),
                purpose=input.purpose.value,
                valid_days=input.valid_days,
            )

        text, errors = await ctx.transact(work)
        if text is None:
            return ConsentPreview(version=None, title=None, text=None, errors=errors)
        return ConsentPreview(version=text.version, title=text.title, text=text.text, errors=[])

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="本企业作出的授权，由新到旧（企业账户）",
    )
    async def my_authorizations(
        self,
        info: Info,
        status: AuthorizationStatus | None = None,
        first: int = 50,
        after: strawberry.ID | None = None,
    ) -> list[Authorization]:
        return await _grants(info, consent.my_authorizations, status, first, after)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="企业向本机构作出的授权，由新到旧（金融机构）",
    )
    async def received_authorizations(
        self,
        info: Info,
        status: AuthorizationStatus | None = None,
        first: int = 50,
        after: strawberry.ID | None = None,
    ) -> list[Authorization]:
        return await _grants(info, consent.received_authorizations, status, first, after)

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="谁查看了本企业的数据：每一次信用报告、批量推送、接口调用和身份证号码查看，"
        "由新到旧，免费、完整（企业账户）",
    )
    async def my_data_access_log(
        self, info: Info, first: int = 50, after: strawberry.ID | None = None
    ) -> list[DataAccessEntry]:
        entries = await info.context.read(
            lambda session, actor: trail.my_access_log(
                session=session, actor=actor, first=first, after=_after(after)
            )
        )
        return [DataAccessEntry.from_entry(e) for e in entries]


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="授权金融机构查询本企业的非公开信息（企业账户，须已实名认证）",
    )
    async def grant_authorization(
        self, info: Info, input: GrantAuthorizationInput
    ) -> AuthorizationPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await consent.grant_authorization(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                institution_id=parse_id(input.institution_id, "institutionId", "找不到该金融机构"),
                scopes=list(input.scopes),
                purpose=input.purpose.value,
                valid_days=input.valid_days,
                consent_version=input.consent_version,
            )

        view, errors = await ctx.transact(work)
        return AuthorizationPayload(
            authorization=Authorization.from_view(view) if view else None, errors=errors
        )

    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="撤销本企业的一项授权，即时生效（企业账户）",
    )
    async def revoke_authorization(self, info: Info, id: strawberry.ID) -> AuthorizationPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await consent.revoke_authorization(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                authorization_id=parse_id(id, "id", "找不到该授权"),
            )

        view, errors = await ctx.transact(work)
        return AuthorizationPayload(
            authorization=Authorization.from_view(view) if view else None, errors=errors
        )
