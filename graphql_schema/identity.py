"""Accounts and real-name verification: registerAccount, login, logout, me, validateUscc,
verifyEnterprise, createStaffAccount."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from backend.enterprises import verification
from backend.errors import DomainError, ErrorCode
from backend.identity import service as identity
from backend.identity.models import Role as RoleValue
from backend.identity.passwords import PASSWORD_RULE_TEXT
from backend.identity.uscc import parse_uscc
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles, signed_in
from graphql_schema.types import Account, Enterprise, Role


@strawberry.input
class RegisterAccountInput:
    phone: str
    password: str
    display_name: str


@strawberry.input
class LoginInput:
    phone: str
    password: str


@strawberry.input
class VerifyEnterpriseInput:
    uscc: str
    name: str
    legal_rep_name: str
    legal_rep_id_number: str


@strawberry.input(description="政府工作人员创建工作人员账户")
class CreateStaffAccountInput:
    phone: str
    password: str
    display_name: str
    role: Role
    institution_id: strawberry.ID | None = None
    data_provider_id: strawberry.ID | None = None
    department: str | None = None


@strawberry.type
class AuthPayload:
    token: str | None
    account: Account | None
    errors: list[UserError]


@strawberry.type
class LogoutPayload:
    errors: list[UserError]


@strawberry.type
class VerifyEnterprisePayload:
    enterprise: Enterprise | None
    errors: list[UserError]


@strawberry.type
class CreateStaffAccountPayload:
    account: Account | None
    errors: list[UserError]


@strawberry.type(description="统一社会信用代码校验结果")
class UsccValidation:
    valid: bool
    code: str | None
    entity_type: str | None
    entity_type_label: str | None
    region_code: str | None
    region_name: str | None
    errors: list[UserError]


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise DomainError(ErrorCode.NOT_FOUND, "编号不存在", field=field) from exc


def _auth_payload(signed: identity.SignedIn | None, errors: list[UserError]) -> AuthPayload:
    if signed is None:
        return AuthPayload(token=None, account=None, errors=errors)
    return AuthPayload(token=signed.token, account=Account.from_model(signed.account), errors=[])


@strawberry.type
class IdentityQuery:
    @strawberry.field(extensions=signed_in(), description="当前登录账户（需登录）")
    async def me(self, info: Info) -> Account | None:
        account = await info.context.account()
        return Account.from_model(account) if account else None

    @strawberry.field(description="校验统一社会信用代码（无需登录）")
    def validate_uscc(self, code: str) -> UsccValidation:
        try:
            parsed = parse_uscc(code, field="code")
        except DomainError as exc:
            return UsccValidation(
                valid=False,
                code=None,
                entity_type=None,
                entity_type_label=None,
                region_code=None,
                region_name=None,
                errors=[UserError.from_domain(exc)],
            )
        return UsccValidation(
            valid=True,
            code=parsed.code,
            entity_type=parsed.entity_type,
            entity_type_label=parsed.entity_type_label,
            region_code=parsed.region_code,
            region_name=parsed.region_name,
            errors=[],
        )

    @strawberry.field(description="密码规则说明")
    def password_rule(self) -> str:
        return PASSWORD_RULE_TEXT


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="企业用户注册（手机号 + 密码），成功即登录")
    async def register_account(self, info: Info, input: RegisterAccountInput) -> AuthPayload:
        ctx = info.context
        signed, errors = await ctx.transact(
            lambda session, actor: identity.register_account(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                phone=input.phone,
                password=input.password,
                display_name=input.display_name,
                user_agent=ctx.user_agent,
            )
        )
        return _auth_payload(signed, errors)

    @strawberry.mutation(description="登录；连续 5 次密码错误锁定 15 分钟")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        ctx = info.context
        signed, errors = await ctx.transact(
            lambda session, actor: identity.login(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                phone=input.phone,
                password=input.password,
                user_agent=ctx.user_agent,
            )
        )
        return _auth_payload(signed, errors)

    @strawberry.mutation(extensions=signed_in(), description="退出登录（吊销当前令牌；需登录）")
    async def logout(self, info: Info) -> LogoutPayload:
        ctx = info.context
        _, errors = await ctx.transact(
            lambda session, actor: identity.logout(
                session=session, runtime=ctx.runtime, actor=actor, token=ctx.bearer_token or ""
            )
        )
        ctx.forget_account()
        return LogoutPayload(errors=errors)

    @strawberry.mutation(
        extensions=roles(RoleValue.ENTERPRISE),
        description="企业实名认证（企业账户）：统一社会信用代码、名称、法定代表人姓名及身份证号码须与登记信息一致",
    )
    async def verify_enterprise(
        self, info: Info, input: VerifyEnterpriseInput
    ) -> VerifyEnterprisePayload:
        ctx = info.context
        enterprise, errors = await ctx.transact(
            lambda session, actor: verification.verify_enterprise(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                uscc=input.uscc,
                name=input.name,
                legal_rep_name=input.legal_rep_name,
                legal_rep_id_number=input.legal_rep_id_number,
            )
        )
        ctx.forget_account()
        return VerifyEnterprisePayload(
            enterprise=Enterprise.from_model(enterprise) if enterprise else None, errors=errors
        )

    @strawberry.mutation(
        extensions=roles(RoleValue.GOVERNMENT),
        description="创建工作人员账户（仅政府工作人员）",
    )
    async def create_staff_account(
        self, info: Info, input: CreateStaffAccountInput
    ) -> CreateStaffAccountPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await identity.create_staff_account(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                phone=input.phone,
                password=input.password,
                display_name=input.display_name,
                role=RoleValue(input.role.value),
                institution_id=_optional_id(input.institution_id, "institutionId"),
                data_provider_id=_optional_id(input.data_provider_id, "dataProviderId"),
                department=input.department,
            )

        account, errors = await ctx.transact(work)
        return CreateStaffAccountPayload(
            account=Account.from_model(account) if account else None, errors=errors
        )
