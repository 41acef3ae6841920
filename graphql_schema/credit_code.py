"""The credit code (信用码): myCreditCode, setCreditCode."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from backend.enterprises import credit_code
from backend.enterprises.credit_code import CreditCodeState
from backend.identity.models import Role
from backend.security.actor import Actor
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles


@strawberry.type(
    description="信用码：企业开启后，任何人扫码或打开链接即可查看本企业名称和当前信用评价等级"
    "（仅此两项及评价日期；不含统一社会信用代码、评分明细和个人信息）。关闭后链接立即失效，"
    "再次开启会生成新的链接"
)
class CreditCode:
    enabled: bool = strawberry.field(description="是否已开启")
    url: str | None = strawberry.field(description="公开页面的完整地址；未开启时为空")
    qr_svg_data_uri: str | None = strawberry.field(
        description="公开页面地址的二维码（data:image/svg+xml URI，可直接用作图片地址）；"
        "未开启时为空"
    )
    enabled_at: datetime | None = strawberry.field(description="本次开启的时间；未开启时为空")

    @classmethod
    def from_state(cls, state: CreditCodeState, base_url: str) -> CreditCode:
        """Shape a credit code, its link under ``base_url`` and the QR code of that link."""
        if not state.enabled or state.slug is None:
            return cls(enabled=False, url=None, qr_svg_data_uri=None, enabled_at=None)
        url = credit_code.public_url(base_url, state.slug)
        return cls(
            enabled=True,
            url=url,
            qr_svg_data_uri=credit_code.qr_svg_data_uri(url),
            enabled_at=state.enabled_at,
        )


@strawberry.type
class CreditCodePayload:
    credit_code: CreditCode | None
    errors: list[UserError]


def _base_url(info: Info) -> str:
    """Where the public page is reached: the configured public base URL, else the request's."""
    ctx = info.context
    return ctx.runtime.settings.public_base_url or ctx.base_url or "/"


@strawberry.type
class CreditCodeQuery:
    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="本企业的信用码（企业账户，须已实名认证）",
    )
    async def my_credit_code(self, info: Info) -> CreditCode:
        async def work(session: AsyncSession, actor: Actor) -> CreditCodeState:
            return await credit_code.my_credit_code(session=session, actor=actor)

        state = await info.context.read(work)
        return CreditCode.from_state(state, _base_url(info))


@strawberry.type
class CreditCodeMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="开启或关闭本企业的信用码（企业账户，须已实名认证）。开启时生成新的随机链接"
        "（已开启则不变）；关闭后原链接和二维码立即失效。每次变更都记入审计日志",
    )
    async def set_credit_code(self, info: Info, enabled: bool) -> CreditCodePayload:
        ctx = info.context

        async def work(session: AsyncSession, actor: Actor) -> CreditCodeState:
            return await credit_code.set_credit_code(
                session=session, runtime=ctx.runtime, actor=actor, enabled=enabled
            )

        state, errors = await ctx.transact(work)
        return CreditCodePayload(
            credit_code=None if state is None else CreditCode.from_state(state, _base_url(info)),
            errors=errors,
        )
