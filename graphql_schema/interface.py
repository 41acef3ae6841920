"""Interface calls and verification with providers, for the enterprise's own data."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.credit import interface
from backend.identity.models import Role
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles


@strawberry.type(description="接口调用结果（来自数据提供单位的实时接口，带缓存）")
class InterfaceRecordsPayload:
    records: list[JSON]
    source: str | None
    fetched_at: datetime | None
    from_cache: bool
    stale: bool = strawberry.field(description="接口暂不可用时返回的过期缓存")
    errors: list[UserError]

    @classmethod
    def from_answer(
        cls, answer: interface.InterfaceAnswer | None, errors: list[UserError]
    ) -> InterfaceRecordsPayload:
        """Shape a provider's answer, or the errors when there is none."""
        if answer is None:
            return cls(
                records=[],
                source=None,
                fetched_at=None,
                from_cache=False,
                stale=False,
                errors=errors,
            )
        return cls(
            records=answer.records,
            source=answer.source,
            fetched_at=answer.fetched_at,
            from_cache=answer.from_cache,
            stale=answer.stale,
            errors=[],
        )


@strawberry.input
class VerifyWithProviderInput:
    category: str
    claim: JSON = strawberry.field(description='待核验的字段和值，如 {"in_arrears": false}')


@strawberry.type
class VerifyWithProviderPayload:
    match: bool | None
    errors: list[UserError]


@strawberry.type
class InterfaceQuery:
    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="向数据提供单位实时查询本企业某类信息（接口调用；企业账户，须已实名认证）",
    )
    async def my_interface_records(self, info: Info, category: str) -> InterfaceRecordsPayload:
        ctx = info.context
        answer, errors = await ctx.transact(
            lambda session, actor: interface.interface_records(
                session=session, runtime=ctx.runtime, actor=actor, category=category
            )
        )
        return InterfaceRecordsPayload.from_answer(answer, errors)


@strawberry.type
class InterfaceMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="请数据提供单位核验本企业的一项信息是否属实（数据核验）",
    )
    async def verify_with_provider(
        self, info: Info, input: VerifyWithProviderInput
    ) -> VerifyWithProviderPayload:
        ctx = info.context
        match, errors = await ctx.transact(
            lambda session, actor: interface.verify_claim(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                category=input.category,
                claim=input.claim,
            )
        )
        return VerifyWithProviderPayload(match=match, errors=errors)
