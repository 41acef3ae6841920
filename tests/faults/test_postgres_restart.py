"""PostgreSQL going away under the running app, and coming back: every ingestion batch is wholly
in or wholly out, the policy push resumes and tells each firm once, and the SAME app (same
runtime, same connection pool) serves requests again without a restart."""

from __future__ import annotations

import asyncio

import pytest

from backend.credit import bulk
from backend.db.outage import UNAVAILABLE_MESSAGE
from backend.policies import push
from backend.policies.models import JobStatus, Policy, PolicyPushJob
from backend.policies.worker import poll_forever, start_push
from backend.runtime import Runtime
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
from tests.support.policy_push_rows import insert_firms, insert_policy, messages_per_firm
from tests.support.postgres import Cluster

GAS_PROVIDER_PHONE = "13600000007"  # the demo account of the gas company
BATCHES, ROWS, CHUNK = 4, 2500, 500
VICTIM = "gas-fault-2"  # the batch in flight when the database goes away
PIECE = 16 * 1024
ME_AND_INSTITUTIONS = "{ me { role } institutions { name } }"


async def test_postgres_stopped_in_the_middle_of_a_bulk_load_leaves_every_batch_whole(
    fault_cluster: Cluster, fault_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given four gas files of 2500 rows, each written in chunks of 500 in one transaction
    monkeypatch.setattr(bulk, "CHUNK_ROWS", CHUNK)
    files = {f"gas-fault-{n}": jsonl(gas_rows(ROWS, tag=f"F{n}")) for n in range(BATCHES)}
    before = await gas_records(fault_runtime)
    down = asyncio.Event()
    written_when_stopped: list[int] = []

    async def stop_postgres() -> None:
        written_when_stopped.append(await records_sequence(fault_runtime))
        await asyncio.to_thread(fault_cluster.stop_server, "immediate")
        down.set()

    async with app_client(fault_runtime) as (http, graphql):
        token = await login(graphql, GAS_PROVIDER_PHONE)
        bank = await login(graphql, BANK_PHONE)

        async def send(batch_id: str) -> tuple[int, dict]:
            fault = stop_postgres if batch_id == VICTIM and not down.is_set() else None
            response = await http.post(
                "/ingest/gas_fee",
                params={"batchId": batch_id},
                content=sent_in_pieces(files[batch_id], PIECE, fault),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-ndjson",
                },
                timeout=120,
            )
            return response.status_code, response.json()

        # when PostgreSQL is killed (immediate mode) halfway through the third file
        sent = {batch_id: await send(batch_id) for batch_id in list(files)[:2]}
        start = await records_sequence(fault_runtime)
        sent[VICTIM] = await send(VICTIM)
        assert down.is_set() and written_when_stopped[0] - start >= CHUNK  # rows were written
        # then the calls before it were stored, and the one in flight failed cleanly
        assert [sent[b][0] for b in ("gas-fault-0", "gas-fault-1")] == [200, 200]
        status, body = sent[VICTIM]
        assert status == 503, body
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        # and while it is down: /healthz says so, GraphQL answers with a coded, masked error
        assert (await http.get("/healthz")).status_code == 503
        outage = await graphql.execute(ME_AND_INSTITUTIONS, token=bank)
        assert outage.status == 200 and outage.errors
        assert {e["message"] for e in outage.errors} == {UNAVAILABLE_MESSAGE}
        assert {e["extensions"]["code"] for e in outage.errors} == {"SERVICE_UNAVAILABLE"}
        assert (await send("gas-fault-3"))[0] == 503

        # when PostgreSQL is started again (crash recovery), the same app serves at once
        await asyncio.to_thread(fault_cluster.start_server)
        assert (await http.get("/healthz")).status_code == 200
        after = await graphql.execute(ME_AND_INSTITUTIONS, token=bank)
        assert after.status == 200 and after.errors == [], after.errors
        assert after.data["me"]["role"] == "INSTITUTION" and after.data["institutions"]

        # then each batch is wholly in or wholly out: the stored ones have all their rows and
        # the one cut off left nothing, not even its batch row
        census = await batch_census(fault_runtime)
        assert {b: (c.status, c.accepted, c.records) for b, c in census.items() if b in files} == {
            "gas-fault-0": ("ACCEPTED", ROWS, ROWS),
            "gas-fault-1": ("ACCEPTED", ROWS, ROWS),
        }
        # and sending every file again completes the load without doubling anything
        again = {batch_id: await send(batch_id) for batch_id in files}
        assert all(s == 200 for s, _r in again.values()), again
        assert {b: (s, r["batch"]["replayed"]) for b, (s, r) in again.items()} == {
            "gas-fault-0": (200, True),
            "gas-fault-1": (200, True),
            "gas-fault-2": (200, False),
            "gas-fault-3": (200, False),
        }
    census = await batch_census(fault_runtime)
    assert all(census[b].records == census[b].accepted == ROWS for b in files)
    total, distinct = await gas_records(fault_runtime)
    assert total == distinct == before[0] + BATCHES * ROWS


async def _job_row(runtime: Runtime, job_id: int) -> PolicyPushJob:
    async with runtime.sessionmaker() as session:
        job = await session.get(PolicyPushJob, job_id)
        assert job is not None
        return job


async def test_postgres_restarted_during_a_policy_push_the_push_resumes_and_tells_each_firm_once(
    fault_cluster: Cluster, fault_runtime: Runtime
) -> None:
    # given 4000 firms in a city without demo firms (2000 qualify) and a push job of chunks of
    # 10 ids, started in the background as a staff push starts it, with the app's poller on
    firms = await insert_firms(fault_runtime, 4000, region_code="410105")
    policy = await insert_policy(fault_runtime, region_codes=["4101"])
    async with fault_runtime.sessionmaker() as session:
        stored = await session.get(Policy, policy.id)
        assert stored is not None
        job_id = (await push.create_job(session, stored, chunk_size=10)).id
        await session.commit()
    fault_runtime.spawn("policy-push-poller", poll_forever(fault_runtime, every=0.2))
    start_push(fault_runtime, job_id)

    async def midway() -> PolicyPushJob | None:
        job = await _job_row(fault_runtime, job_id)
        return job if job.pushed_count >= 50 else None

    # when PostgreSQL is restarted (fast mode: open transactions are cut off) midway
    halfway = await wait_for(midway, within=60, what="the push to write its first chunks")
    assert halfway.status == JobStatus.RUNNING.value
    await asyncio.to_thread(fault_cluster.restart_server, "fast")

    # then the job goes on by itself and finishes
    async def done() -> PolicyPushJob | None:
        job = await _job_row(fault_runtime, job_id)
        return job if job.status != JobStatus.RUNNING.value else None

    finished = await wait_for(done, within=60, what="the push to resume and finish")
    assert finished.status == JobStatus.DONE.value, finished.error
    assert finished.attempts >= 2, "the restart did not interrupt the push"
    assert finished.matched_count == finished.pushed_count == 2000
    # and every qualifying firm was told exactly once, nobody else at all
    told = await messages_per_firm(fault_runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
