"""The enterprise inbox: delivering messages (idempotently) and reading them.

Other services call :func:`deliver` inside their own transaction, so a message exists exactly
when the change it announces was committed. A ``dedupe_key`` names the event (for example
``objection:12:filed``): delivering the same event twice leaves one message, even when two
transactions race (``INSERT … ON CONFLICT DO NOTHING`` on both back ends).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, parse_id
from backend.identity.models import Role
from backend.inbox.models import InboxMessage, MessageKind
from backend.security.actor import Actor

MAX_PAGE = 100
MAX_MARK = 100


async def deliver(
    session: AsyncSession,
    *,
    enterprise_id: int,
    kind: MessageKind | str,
    title: str,
    body: str,
    dedupe_key: str | None = None,
) -> InboxMessage:
    """Put a message in an enterprise's inbox; with ``dedupe_key`` a repeat returns the first."""
    kind = MessageKind(kind).value
    title = title[:200]
    if dedupe_key is None:
        message = InboxMessage(enterprise_id=enterprise_id, kind=kind, title=title, body=body)
        session.add(message)
        await session.flush()
        return message
    dedupe_key = dedupe_key[:120]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(InboxMessage)
        .values(
            enterprise_id=enterprise_id,
            kind=kind,
            title=title,
            body=body,
            dedupe_key=dedupe_key,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return (
        await session.execute(select(InboxMessage).where(InboxMessage.dedupe_key == dedupe_key))
    ).scalar_one()


def _message_id(value: int | str) -> int:
    """A message id; anything that cannot be one is simply not found."""
    return parse_id(value, "ids", "消息不存在")


def _own_enterprise_id(actor: Actor) -> int:
    if actor.role != Role.ENTERPRISE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "只有企业用户可以查看消息")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    return actor.enterprise_id


async def my_inbox(
    *, session: AsyncSession, actor: Actor, first: int = 20, unread_only: bool = False
) -> list[InboxMessage]:
    """The newest messages of the actor's own enterprise."""
    enterprise_id = _own_enterprise_id(actor)
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_PAGE} 条", field="first")
    query = select(InboxMessage).where(InboxMessage.enterprise_id == enterprise_id)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    query = query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(first)
    return list((await session.execute(query)).scalars())


async def mark_read(
    *, session: AsyncSession, actor: Actor, ids: Sequence[int | str]
) -> list[InboxMessage]:
    """Mark the actor's own messages read (already read ones keep their first reading time).

    An id that is not a message of the actor's enterprise is NOT_FOUND, whoever it belongs to.
    """
    enterprise_id = _own_enterprise_id(actor)
    if not 1 <= len(ids) <= MAX_MARK:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"每次标记 1 到 {MAX_MARK} 条消息", field="ids"
        )
    wanted = {_message_id(value) for value in ids}
    messages = list(
        (
            await session.execute(
                select(InboxMessage).where(
                    InboxMessage.id.in_(wanted), InboxMessage.enterprise_id == enterprise_id
                )
            )
        ).scalars()
    )
    if len(messages) != len(wanted):
        raise DomainError(ErrorCode.NOT_FOUND, "消息不存在", field="ids")
    now = utcnow()
    for message in messages:
        if message.read_at is None:
            message.read_at = now
    await session.flush()
    return sorted(messages, key=lambda m: (m.created_at, m.id), reverse=True)
