"""The inbox: delivering messages (idempotently) to an enterprise or an institution, and
reading them.

Other services call :func:`deliver` (or :func:`deliver_many`) inside their own transaction, so a
message exists exactly when the change it announces was committed. A ``dedupe_key`` names the
event (for example ``objection:12:filed``): delivering the same event twice leaves one message,
even when two transactions race (``INSERT … ON CONFLICT DO NOTHING`` on both back ends).

A message is addressed to exactly one enterprise (every verified account of it reads it) or one
institution (its staff read it, and its API tokens with the ALERTS scope: institution messages
are mostly post-loan risk alerts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, parse_id
from backend.identity.models import Role
from backend.inbox.models import InboxMessage, MessageKind
from backend.institutions.models import ApiScope
from backend.security.actor import Actor

MAX_PAGE = 100
MAX_MARK = 100


@dataclass(frozen=True)
class Delivery:
    """One message to deliver: to an enterprise or to an institution (exactly one of them)."""

    kind: MessageKind | str
    title: str
    body: str
    enterprise_id: int | None = None
    institution_id: int | None = None
    dedupe_key: str | None = None

    def row(self) -> dict[str, Any]:
        """The column values (kind checked, title and key cut to their column sizes)."""
        if (self.enterprise_id is None) == (self.institution_id is None):
            raise ValueError("a message goes to exactly one enterprise or one institution")
        return {
            "enterprise_id": self.enterprise_id,
            "institution_id": self.institution_id,
            "kind": MessageKind(self.kind).value,
            "title": self.title[:200],
            "body": self.body,
            "dedupe_key": None if self.dedupe_key is None else self.dedupe_key[:120],
            "created_at": utcnow(),
        }


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(cast(Table, InboxMessage.__table__)).on_conflict_do_nothing(
        index_elements=["dedupe_key"]
    )


async def deliver(
    session: AsyncSession,
    *,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    kind: MessageKind | str,
    title: str,
    body: str,
    dedupe_key: str | None = None,
) -> InboxMessage:
    """Put a message in an enterprise's or an institution's inbox (exactly one of the two ids);
    with ``dedupe_key`` a repeat returns the first."""
    row = Delivery(kind, title, body, enterprise_id, institution_id, dedupe_key).row()
    if row["dedupe_key"] is None:
        message = InboxMessage(**row)
        session.add(message)
        await session.flush()
        return message
    await session.execute(_insert_ignoring_duplicates(session).values(**row))
    return (
        await session.execute(
            select(InboxMessage).where(InboxMessage.dedupe_key == row["dedupe_key"])
        )
    ).scalar_one()


async def deliver_many(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
    """Deliver several deduplicated messages in one statement (set-based senders)."""
    rows = [delivery.row() for delivery in deliveries]
    if any(row["dedupe_key"] is None for row in rows):
        raise ValueError("deliver_many needs a dedupe_key on every message")
    if rows:
        await session.execute(_insert_ignoring_duplicates(session), rows)


def _message_id(value: int | str) -> int:
    """A message id; anything that cannot be one is simply not found."""
    return parse_id(value, "ids", "消息不存在")


def _addressee(actor: Actor) -> ColumnElement[bool]:
    """Which messages are the actor's: its enterprise's, or its institution's."""
    if actor.role == Role.ENTERPRISE.value:
        if actor.enterprise_id is None:
            raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
        return InboxMessage.enterprise_id == actor.enterprise_id
    if actor.role == Role.INSTITUTION.value and actor.institution_id is not None:
        if not actor.may_use(ApiScope.ALERTS.value):
            raise DomainError(ErrorCode.FORBIDDEN, "该接口令牌没有读取机构消息的权限（ALERTS）")
        return InboxMessage.institution_id == actor.institution_id
    raise DomainError(ErrorCode.FORBIDDEN, "只有企业用户和金融机构可以查看消息")


async def my_inbox(
    *, session: AsyncSession, actor: Actor, first: int = 20, unread_only: bool = False
) -> list[InboxMessage]:
    """The newest messages of the actor's own enterprise or institution."""
    addressee = _addressee(actor)
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_PAGE} 条", field="first")
    query = select(InboxMessage).where(addressee)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    query = query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(first)
    return list((await session.execute(query)).scalars())


async def mark_read(
    *, session: AsyncSession, actor: Actor, ids: Sequence[int | str]
) -> list[InboxMessage]:
    """Mark the actor's own messages read (already read ones keep their first reading time).

    An id that is not a message of the actor's enterprise (or institution) is NOT_FOUND,
    whoever it belongs to.
    """
    addressee = _addressee(actor)
    if not 1 <= len(ids) <= MAX_MARK:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"每次标记 1 到 {MAX_MARK} 条消息", field="ids"
        )
    wanted = {_message_id(value) for value in ids}
    messages = list(
        (
            await session.execute(
                select(InboxMessage).where(InboxMessage.id.in_(wanted), addressee)
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
