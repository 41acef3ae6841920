"""Reads are audited in batches (``backend/audit/read_batch.py``), on both back ends.

Readers waiting at the same moment share one transaction and one lock of the chain head; every
reader still gets its own row, in a chain that verifies, before it answers; a failed append fails
only the readers whose event could not be written.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from backend.audit.models import AuditEntry
from backend.audit.read_batch import ReadAuditBatcher
from backend.audit.service import verify_chain
from backend.runtime import Runtime
from backend.security.actor import Actor
from tests.support.builders import load_demo, verified_enterprise_user

PROFILE = "query { myCreditProfile { enterprise { uscc } evaluation { score } } }"


def _reader(number: int) -> Actor:
    return Actor(
        account_id=number, role="ENTERPRISE", enterprise_id=number, request_id=f"r{number}"
    )


async def _rows(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.sessionmaker() as session:
        found = await session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
        return list(found.scalars())


async def _chain_ok(runtime: Runtime) -> bool:
    async with runtime.sessionmaker() as session:
        return (await verify_chain(session, keyring=runtime.keyring)).ok


async def test_readers_waiting_together_share_one_batch(runtime):
    # given a batcher of its own and 50 readers at once
    batcher = ReadAuditBatcher(runtime.sessionmaker, runtime.keyring)
    # when
    await asyncio.gather(
        *(batcher.record(actor=_reader(n), action="test.read", subject_id=n) for n in range(50))
    )
    # then one transaction chained all 50, each with its own row, and the chain holds
    assert batcher.stats() == {"batches": 1, "events": 50}
    rows = await _rows(runtime, "test.read")
    assert sorted(int(row.subject_id) for row in rows) == list(range(50))
    assert [row.seq for row in rows] == list(range(rows[0].seq, rows[0].seq + 50))
    assert await _chain_ok(runtime)


async def test_a_batch_is_capped_and_later_readers_start_the_next(runtime):
    # given a batcher that chains at most 20 at a time
    batcher = ReadAuditBatcher(runtime.sessionmaker, runtime.keyring, max_batch=20)
    # when 45 readers come at once, then one more after they are done
    await asyncio.gather(*(batcher.record(actor=_reader(n), action="test.read") for n in range(45)))
    await batcher.record(actor=_reader(99), action="test.read")
    # then
    assert batcher.stats() == {"batches": 4, "events": 46}
    assert len(await _rows(runtime, "test.read")) == 46
    assert await _chain_ok(runtime)


async def test_one_bad_event_fails_only_its_reader(runtime):
    # given a batch where one event cannot be written (its details are not JSON)
    batcher = ReadAuditBatcher(runtime.sessionmaker, runtime.keyring)
    good = [batcher.record(actor=_reader(n), action="test.read", subject_id=n) for n in (1, 2)]
    bad = batcher.record(actor=_reader(3), action="test.read", details={"x": object()})
    # when
    outcomes = await asyncio.gather(good[0], bad, good[1], return_exceptions=True)
    # then the bad reader gets the error, the others their rows, and the chain holds
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], TypeError)
    assert sorted(row.subject_id for row in await _rows(runtime, "test.read")) == ["1", "2"]
    assert await _chain_ok(runtime)


async def test_a_reader_that_gives_up_still_leaves_its_row(runtime):
    # given a reader cancelled while its event waits in the batch (the client went away)
    batcher = ReadAuditBatcher(runtime.sessionmaker, runtime.keyring)
    reader = asyncio.ensure_future(batcher.record(actor=_reader(7), action="test.read"))
    await asyncio.sleep(0)
    reader.cancel()
    # when the batch finishes
    await batcher.flush()
    # then the read it had started is on record
    assert reader.cancelled()
    assert len(await _rows(runtime, "test.read")) == 1
    assert await _chain_ok(runtime)


async def test_concurrent_profile_reads_each_leave_one_row_before_answering(client, runtime):
    # given one verified firm reading its profile from several devices at once
    readers = 12
    await load_demo(runtime)
    token = await verified_enterprise_user(client)
    async with runtime.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
    # when
    results = await asyncio.gather(*(client.execute(PROFILE, token=token) for _ in range(readers)))
    # then every answer is whole and every read is on record by the time it answered
    assert [result.errors for result in results] == [[]] * readers
    rows = await _rows(runtime, "credit.profile.read")
    assert len(rows) == readers
    async with runtime.sessionmaker() as session:
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert after - before == readers
    assert await _chain_ok(runtime)
