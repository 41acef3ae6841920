"""Everything a process builds once from its settings: engine, sessions, keys, hasher."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.audit.read_batch import ReadAuditBatcher
from backend.db.engine import create_engine, create_sessionmaker
from backend.security.keyring import KeyRing
from backend.security.passwords import Passwords
from backend.settings import Settings

_log = logging.getLogger("xinrong.runtime")


@dataclass
class Runtime:
    """The long-lived objects of one app or command-line process."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    passwords: Passwords
    # One connector (and so one circuit breaker) per provider and interface setting, per process.
    connectors: dict[tuple[int, str], Any] = field(default_factory=dict)
    # Background work of this process (policy pushes), by name: one task per name at a time.
    tasks: dict[str, asyncio.Task[Any]] = field(default_factory=dict)
    # Who this process is when it holds a job's lease (host, pid and a random part).
    instance: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )

    # Audit rows of reads, chained in batches (one chain-head lock per batch).
    audit_reads: ReadAuditBatcher = field(init=False)

    def __post_init__(self) -> None:
        # Its own connections, outside the request pool: a request holds a pooled connection
        # while it waits for its read's audit row, so the batch must never wait for that pool.
        audit_engine = create_engine(self.settings, pool_size=1, max_overflow=1)
        self.audit_reads = ReadAuditBatcher(
            create_sessionmaker(audit_engine), self.keyring, own_engine=audit_engine
        )

    def spawn(self, name: str, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` in the background unless a task of that name is still running; failures
        are logged (a background task has nobody to raise to)."""
        running = self.tasks.get(name)
        if running is not None and not running.done():
            work.close()
            return running
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.tasks[name] = task

        def finished(done: asyncio.Task[Any]) -> None:
            if self.tasks.get(name) is done:
                del self.tasks[name]
            if not done.cancelled() and done.exception() is not None:
                _log.error("background task %s failed", name, exc_info=done.exception())

        task.add_done_callback(finished)
        return task

    def connector_for(self, provider_id: int, interface: dict[str, Any]) -> Any:
        """The HTTP connector of a provider's interface setting, made once per process."""
        from backend.credit.connectors.http import HttpConnector

        key = (provider_id, repr(sorted(interface.items())))
        if key not in self.connectors:
            self.connectors[key] = HttpConnector(
                interface["base_url"],
                timeout_s=float(interface.get("timeout_s", 3.0)),
                retries=int(interface.get("retries", 2)),
                backoff_s=float(interface.get("backoff_s", 0.2)),
            )
        return self.connectors[key]

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Create the runtime for ``settings`` (the engine connects lazily)."""
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            keyring=KeyRing(settings.secret_key, settings.previous_secret_keys),
            passwords=Passwords(settings.password_hash_profile),
        )

    async def close(self) -> None:
        """Stop background work (a push resumes later from its last chunk) and release the
        database connections."""
        await self.audit_reads.close()
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.engine.dispose()
