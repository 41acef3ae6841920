"""A network partition between the app and PostgreSQL: no reset, no error, just silence. Requests
must fail with SERVICE_UNAVAILABLE within the statement timeout instead of hanging for as long as
the partition lasts, /healthz must say 503, and once the network heals the SAME app serves again
(the connections that lived through the partition are replaced). The same holds in the middle of
a streamed bulk load (the batch in flight is wholly out, and sending it again loads it once) and
of a policy push (it resumes after healing and tells each firm once)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.credit import bulk
from backend.policies import push
from backend.policies.models import JobStatus, Policy, PolicyPushJob
from backend.policies.worker import poll_forever, start_push
from backend.runtime import Runtime
from backend.settings import load_settings
from tests.support.builders import BANK_PHONE, login
from tests.support.faults import (
    app_client,
    batch_census,
    gas_records,
    gas_rows,
    jsonl,
    records_sequence,
    sent_in_pieces,
    wait_for,
)
from tests.support.partition import PartitionProxy
from tests.support.policy_push_rows import insert_firms, insert_policy, messages_per_firm

ME_AND_INSTITUTIONS = "{ me { role } institutions { name } }"
TIMEOUT_S = 2  # the statement and connection timeouts the app runs with here
HANG_S = 30  # what "it hung" means: far beyond both timeouts and a retry
# A push run cut off needs up to four timeouts in a row to end: its statement, the cancel request
# asyncpg sends for it, then the pre-ping and the reconnect of the attempt to record the failure.
PUSH_RUN_ENDS_S = 6 * TIMEOUT_S
GAS_PROVIDER_PHONE = "13600000007"  # the demo account of the gas company
ROWS, CHUNK, PIECE = 1000, 200, 8 * 1024  # a file of five chunks, sent in pieces of 8 KiB
STORED, VICTIM = "gas-partition-0", "gas-partition-1"  # sent before / during the partition


@pytest.fixture
async def partitioned(
    fault_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[PartitionProxy, Runtime]]:
    """The app's runtime talking to PostgreSQL through a network that can go silent (the
    proxy), with statement and connection timeouts of ``TIMEOUT_S``."""
    url = make_url(fault_database_url)
    proxy = PartitionProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    env = {
        **os.environ,
        "XINRONG_DATABASE_URL": url.set(port=port).render_as_string(hide_password=False),
        "XINRONG_DB_COMMAND_TIMEOUT": str(TIMEOUT_S),
        "XINRONG_DB_CONNECT_TIMEOUT": str(TIMEOUT_S),
    }
    runtime = Runtime.build(load_settings(env, workdir=tmp_path))
    try:
        yield proxy, runtime
    finally:
        await runtime.close()
        await proxy.close()


async def test_a_partition_fails_requests_in_time_and_the_app_recovers_after(
    partitioned: tuple[PartitionProxy, Runtime],
) -> None:
    # given the app talking to PostgreSQL through a network that can go silent
    proxy, runtime = partitioned
    async with app_client(runtime) as (http, client):
        token = await login(client, BANK_PHONE)
        before = await client.execute(ME_AND_INSTITUTIONS, token=token)
        assert before.errors == [], before.errors

        # when the network goes silent
        proxy.freeze()
        started = time.monotonic()
        during = await asyncio.wait_for(client.execute(ME_AND_INSTITUTIONS, token=token), HANG_S)
        waited = time.monotonic() - started
        health = await asyncio.wait_for(http.get("/healthz"), HANG_S)

        # then the request fails, coded, within a few timeouts, and health says so
        assert "SERVICE_UNAVAILABLE" in during.error_codes(), during.errors
        assert waited < 5 * TIMEOUT_S, waited
        assert health.status_code == 503

        # when the network heals, the same app serves again
        proxy.heal()
        after = await client.execute(ME_AND_INSTITUTIONS, token=token)
        assert after.errors == [], after.errors
        assert (await http.get("/healthz")).status_code == 200


async def _backends(runtime: Runtime) -> set[int]:
    """The server processes of the app's database now (its pool's connections among them)."""
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return {int(pid) for pid in rows.scalars()}


async def _all_ended(runtime: Runtime, cut: set[int]) -> bool:
    """Whether PostgreSQL ended every server process of ``cut`` (so rolled their open
    transactions back and released their locks)."""
    return not cut & await _backends(runtime)


async def test_a_partition_in_the_middle_of_a_bulk_load_leaves_the_batch_wholly_out(
    partitioned: tuple[PartitionProxy, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two gas files of 1000 rows, each written in chunks of 200 in one transaction
    proxy, runtime = partitioned
    monkeypatch.setattr(bulk, "CHUNK_ROWS", CHUNK)
    files = {batch_id: jsonl(gas_rows(ROWS, tag=batch_id)) for batch_id in (STORED, VICTIM)}
    before = await gas_records(runtime)
    written_when_frozen: list[int] = []
    cut: set[int] = set()

    async def freeze() -> None:
        written_when_frozen.append(await records_sequence(runtime))
        cut.update(await _backends(runtime))
        proxy.freeze()

    async with app_client(runtime) as (http, graphql):
        token = await login(graphql, GAS_PROVIDER_PHONE)

        async def send(
            batch_id: str, fault: Callable[[], Awaitable[None]] | None = None
        ) -> tuple[int, dict]:
            response = await asyncio.wait_for(
                http.post(
                    "/ingest/gas_fee",
                    params={"batchId": batch_id},
                    content=sent_in_pieces(files[batch_id], PIECE, fault),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/x-ndjson",
                    },
                    timeout=HANG_S,
                ),
                HANG_S,
            )
            return response.status_code, response.json()

        stored = await send(STORED)
        assert stored[0] == 200, stored

        # when the network goes silent halfway through the second file
        start = await records_sequence(runtime)
        started = time.monotonic()
        status, body = await send(VICTIM, freeze)
        waited = time.monotonic() - started

        # then the call fails, coded, within a few timeouts, after rows of it were written
        assert written_when_frozen[0] - start >= CHUNK, "no chunk was written before the partition"
        assert status == 503, body
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert waited < 5 * TIMEOUT_S, waited

        # when the network heals
        proxy.heal()

        # then PostgreSQL ends the sessions that lived through the partition (the load's open
        # transaction is rolled back, its batch id free again), the same app serves again, and
        # the batch cut off left nothing, not even its batch row, while the one before is whole
        await wait_for(
            lambda: _all_ended(runtime, cut), within=HANG_S, what="the cut sessions to end"
        )
        census = await batch_census(runtime)
        assert {b: (c.status, c.accepted, c.records) for b, c in census.items() if b in files} == {
            STORED: ("ACCEPTED", ROWS, ROWS)
        }
        # and sending both files again replays the stored one and loads the other, once
        again = {batch_id: await send(batch_id) for batch_id in files}
        assert {b: (s, r["batch"]["replayed"]) for b, (s, r) in again.items()} == {
            STORED: (200, True),
            VICTIM: (200, False),
        }
    census = await batch_census(runtime)
    assert all(census[b].records == census[b].accepted == ROWS for b in files)
    total, distinct = await gas_records(runtime)
    assert total == distinct == before[0] + len(files) * ROWS


async def _job_row(runtime: Runtime, job_id: int) -> PolicyPushJob:
    async with runtime.sessionmaker() as session:
        job = await session.get(PolicyPushJob, job_id)
        assert job is not None
        return job


async def test_a_partition_during_a_policy_push_stalls_it_and_the_push_resumes_after(
    partitioned: tuple[PartitionProxy, Runtime],
) -> None:
    # given 1000 firms in a city without demo firms (500 qualify) and a push job of chunks of
    # 5 ids, started in the background as a staff push starts it, with the app's poller on
    proxy, runtime = partitioned
    firms = await insert_firms(runtime, 1000, region_code="410105")
    policy = await insert_policy(runtime, region_codes=["4101"])
    async with runtime.sessionmaker() as session:
        stored = await session.get(Policy, policy.id)
        assert stored is not None
        job_id = (await push.create_job(session, stored, chunk_size=5)).id
        await session.commit()
    runtime.spawn("policy-push-poller", poll_forever(runtime, every=0.2))
    task = start_push(runtime, job_id)

    async def midway() -> PolicyPushJob | None:
        job = await _job_row(runtime, job_id)
        return job if job.pushed_count >= 20 else None

    # when the network goes silent midway
    halfway = await wait_for(midway, within=HANG_S, what="the push to write its first chunks")
    assert halfway.status == JobStatus.RUNNING.value
    cut = await _backends(runtime)
    proxy.freeze()
    started = time.monotonic()

    # then the run in flight ends within a few timeouts instead of hanging, and the job is
    # neither finished nor FAILED: still RUNNING, its lease with this instance, part pushed
    outcome = await asyncio.wait_for(asyncio.shield(task), HANG_S)
    waited = time.monotonic() - started
    assert waited < PUSH_RUN_ENDS_S, waited
    assert outcome.status == JobStatus.RUNNING.value, outcome
    assert outcome.pushed_count < 500, outcome

    # when the network heals
    proxy.heal()

    # then PostgreSQL ends the sessions cut off (the chunk in flight is rolled back, the job's
    # row unlocked), and the same runtime's poller resumes the job and finishes it
    await wait_for(lambda: _all_ended(runtime, cut), within=HANG_S, what="the cut sessions to end")

    async def done() -> PolicyPushJob | None:
        job = await _job_row(runtime, job_id)
        return job if job.status != JobStatus.RUNNING.value else None

    finished = await wait_for(done, within=HANG_S, what="the push to resume and finish")
    assert finished.status == JobStatus.DONE.value, finished.error
    assert finished.attempts >= 2, "the partition did not interrupt the push"
    assert finished.matched_count == finished.pushed_count == 500
    # and every qualifying firm was told exactly once, nobody else at all
    told = await messages_per_firm(runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
