"""The per-request context: runtime, request metadata and the signed-in account (loaded once).

A request takes one pooled database connection, at its first read, and gives it back when the
operation ends (``release``). Every read, the sign-in lookup and every mutation run on it, one at
a time, each in its own transaction committed at once: one pool checkout (and one pre-ping)
per request instead of one per field. graphql-core resolves sibling fields concurrently; they
take turns on the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend.errors import DomainError
from backend.identity import service as identity
from backend.identity.models import Account
from backend.runtime import Runtime
from backend.security.actor import Actor
from graphql_schema.errors import UserError, query_error

T = TypeVar("T")


@dataclass
class Context:
    """What every resolver gets as ``info.context``."""

    runtime: Runtime
    request_id: str | None
    client_ip: str | None
    user_agent: str | None
    bearer_token: str | None
    # The ``Idempotency-Key`` header: a retried mutation with the same key changes nothing twice.
    idempotency_key: str | None = None
    # The request's own base URL ("http://host:port/"): absolute links when no public base URL
    # is configured (the credit code's page).
    base_url: str | None = None
    _account: Account | None = None
    _principal: identity.Principal | None = None
    _loaded: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _connection: AsyncConnection | None = None
    # One unit of work on the connection at a time.
    _db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session on the request's connection, for one transaction; others wait their turn."""
        async with self._db_lock:
            if self._connection is None:
                self._connection = await self.runtime.engine.connect()
            async with self.runtime.sessionmaker(bind=self._connection) as session:
                yield session

    async def release(self) -> None:
        """Give the request's connection back to the pool (the operation is over)."""
        async with self._db_lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.close()

    async def account(self) -> Account | None:
        """The signed-in account, or None; looked up at most once per request."""
        async with self._lock:
            if not self._loaded:
                if self.bearer_token:
                    async with self.session() as session:
                        self._principal = await identity.authenticate(
                            session=session, token=self.bearer_token
                        )
                        await session.commit()  # an API token's last use
                    self._account = self._principal.account if self._principal else None
                self._loaded = True
        return self._account

    def forget_account(self) -> None:
        """Drop the cached account (after sign-in, sign-out or verification changed it)."""
        self._loaded = False
        self._account = None
        self._principal = None

    async def actor(self) -> Actor:
        """The acting party for services: the signed-in account or an anonymous caller."""
        account = await self.account()
        if account is None:
            return Actor.anonymous(client_ip=self.client_ip, request_id=self.request_id)
        return identity.actor_for(
            account,
            client_ip=self.client_ip,
            request_id=self.request_id,
            api_token=self._principal.api_token if self._principal else None,
        )

    async def transact(
        self, work: Callable[[AsyncSession, Actor], Awaitable[T]]
    ) -> tuple[T | None, list[UserError]]:
        """Run ``work`` in its own transaction: commit on success, roll back on a DomainError.

        Expected failures come back as ``UserError`` values for the payload; anything else
        propagates and is masked by the schema.
        """
        actor = await self.actor()
        async with self.session() as session:
            try:
                result = await work(session, actor)
                await session.commit()
            except DomainError as exc:
                await session.rollback()
                return None, [UserError.from_domain(error) for error in exc.all]
        return result, []

    async def read(self, work: Callable[[AsyncSession, Actor], Awaitable[T]]) -> T:
        """Run a read (which may write audit rows) in its own session and commit it.

        A read has no payload, so an expected failure becomes a GraphQL error with its code.
        """
        actor = await self.actor()
        async with self.session() as session:
            try:
                result = await work(session, actor)
            except DomainError as exc:
                raise query_error(exc) from exc
            await session.commit()
        return result
