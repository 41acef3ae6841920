"""The inbox of enterprises and institutions: myInbox, markInboxRead."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from backend.identity.models import Role
from backend.inbox import service as inbox
from backend.inbox.models import InboxMessage as InboxMessageModel
from backend.inbox.models import MessageKind as MessageKindValue
from backend.policies.models import Policy as PolicyModel
from backend.policies.service import policies_by_id
from backend.security.actor import Actor
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.policies import Policy

MessageKind = strawberry.enum(
    MessageKindValue,
    name="MessageKind",
    description="消息类别：POLICY 政策、RISK_ALERT 风险提示、APPLICATION 融资申请、"
    "OBJECTION 异议与信用修复、SYSTEM 系统通知",
)


@strawberry.type(
    description="站内消息：发给企业的，企业的每个账户都能看到；发给金融机构的（如贷后风险提示），"
    "机构的每位工作人员都能看到"
)
class InboxMessage:
    id: strawberry.ID
    kind: MessageKind
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    policy: Policy | None = strawberry.field(
        description="POLICY 消息所推送的政策（全文、适用条件）；其他消息为空。"
        "本企业为何符合（含当前数据）见 policyMatches"
    )

    @classmethod
    def from_model(
        cls, model: InboxMessageModel, policies: dict[int, PolicyModel] | None = None
    ) -> InboxMessage:
        """Shape a stored message (its policy from ``policies``, loaded for the whole page)."""
        policy = (policies or {}).get(model.policy_id) if model.policy_id else None
        return cls(
            id=strawberry.ID(str(model.id)),
            kind=MessageKindValue(model.kind),
            title=model.title,
            body=model.body,
            created_at=model.created_at,
            read_at=model.read_at,
            policy=Policy.from_row(policy) if policy else None,
        )


async def _linked_policies(
    session: AsyncSession, messages: list[InboxMessageModel]
) -> dict[int, PolicyModel]:
    """The policies the POLICY messages of a page announce (one statement, none if no such)."""
    return await policies_by_id(session, [m.policy_id for m in messages if m.policy_id])


@strawberry.type
class MarkInboxReadPayload:
    messages: list[InboxMessage]
    errors: list[UserError]


@strawberry.type
class InboxQuery:
    @strawberry.field(
        extensions=roles(Role.ENTERPRISE, Role.INSTITUTION),
        description="本企业或本机构的站内消息，由新到旧（企业账户须已实名认证；"
        "金融机构的接口令牌须有 ALERTS 权限）",
    )
    async def my_inbox(
        self, info: Info, first: int = 20, unread_only: bool = False
    ) -> list[InboxMessage]:
        async def work(
            session: AsyncSession, actor: Actor
        ) -> tuple[list[InboxMessageModel], dict[int, PolicyModel]]:
            messages = await inbox.my_inbox(
                session=session, actor=actor, first=first, unread_only=unread_only
            )
            return messages, await _linked_policies(session, messages)

        messages, policies = await info.context.read(work)
        return [InboxMessage.from_model(m, policies) for m in messages]


@strawberry.type
class InboxMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE, Role.INSTITUTION),
        description="将本企业或本机构的消息标记为已读（每次至多 100 条）",
    )
    async def mark_inbox_read(self, info: Info, ids: list[strawberry.ID]) -> MarkInboxReadPayload:
        async def work(
            session: AsyncSession, actor: Actor
        ) -> tuple[list[InboxMessageModel], dict[int, PolicyModel]]:
            messages = await inbox.mark_read(session=session, actor=actor, ids=list(ids))
            return messages, await _linked_policies(session, messages)

        done, errors = await info.context.transact(work)
        messages, policies = done or ([], {})
        return MarkInboxReadPayload(
            messages=[InboxMessage.from_model(m, policies) for m in messages], errors=errors
        )
