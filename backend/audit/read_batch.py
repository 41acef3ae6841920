"""Audit rows for reads, chained in batches (group commit).

A change is audited in its own transaction (``service.record``): the row commits with the change.
That keeps the chain head locked from the append to the commit, one request after another. For a
read there is no change to commit with, so readers hand their event to this process's
:class:`ReadAuditBatcher` and wait: one task chains every event waiting at that moment in one
transaction (one head lock for the batch) and commits, then wakes the readers. A read still
answers only after its audit row is durable, and a failed append fails the read.

Under load the head is locked once per batch instead of once per read, so readers no longer
queue on it (``docs/benchmarks.md``, api_load).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from backend.audit.service import AuditEvent, append_events, audit_event
from backend.security.keyring import KeyRing

_log = logging.getLogger("xinrong.audit")

#: The most events chained in one transaction.
MAX_BATCH = 500


def _mark_retrieved(done: asyncio.Future[None]) -> None:
    # A reader that gave up no longer awaits its future; its failure is logged in _drain, so
    # asyncio need not warn that nobody retrieved it.
    if not done.cancelled():
        done.exception()


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    """Wake a reader: with its error, or with success."""
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


@dataclass
class ReadAuditBatcher:
    """Chains the audit events of reads in batches, one transaction per batch, per process."""

    sessionmaker: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    max_batch: int = MAX_BATCH
    #: The engine behind ``sessionmaker`` when the batcher alone uses it (closed with it).
    own_engine: AsyncEngine | None = None
    _waiting: list[tuple[AuditEvent, asyncio.Future[None]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    #: Batches committed and events in them, since the process started (for tests and metrics).
    batches: int = 0
    events: int = 0

    async def record(self, **event: Any) -> None:
        """Audit a read, given as ``service.audit_event``'s keyword arguments (actor, action,
        subject, details …), and return once its row is committed."""
        await self.append(audit_event(**event))

    async def append(self, event: AuditEvent) -> None:
        """Chain ``event`` and return once it is committed; raises what the append raised."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._adopt(loop)
        done: asyncio.Future[None] = loop.create_future()
        done.add_done_callback(_mark_retrieved)
        self._waiting.append((event, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain(), name="audit-read-batch")
        # Shielded: a reader that gives up (client gone) does not cancel the others' batch.
        await asyncio.shield(done)

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start over on a new event loop (tests run several); a busy batcher cannot move."""
        if self._task is not None and not self._task.done():
            raise RuntimeError("ReadAuditBatcher is in use on another event loop")
        self._loop, self._task, self._waiting = loop, None, []

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            try:
                await self._commit([event for event, _ in batch])
            except Exception as exc:  # handed to the readers waiting on the batch, and logged
                _log.warning("audit batch of %d read events failed: %r", len(batch), exc)
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    continue
                # One bad event must not fail the other readers: each alone, once more.
                for event, done in batch:
                    try:
                        await self._commit([event])
                    except Exception as alone:  # the reader gets it; logged above as a batch
                        _settle(done, alone)
                    else:
                        _settle(done, None)
                continue
            for _, done in batch:
                _settle(done, None)

    async def _commit(self, events: list[AuditEvent]) -> None:
        async with self.sessionmaker() as session:
            await append_events(session, keyring=self.keyring, events=events)
            await session.commit()
        self.batches += 1
        self.events += len(events)

    async def flush(self) -> None:
        """Wait until every event handed in so far is committed (or failed)."""
        task = self._task
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)

    async def close(self) -> None:
        """Finish what was handed in, then release the batcher's own connections."""
        await self.flush()
        if self.own_engine is not None:
            await self.own_engine.dispose()

    def stats(self) -> dict[str, Any]:
        """Batches and events committed so far."""
        return {"batches": self.batches, "events": self.events}
