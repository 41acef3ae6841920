"""``xinrong ingest`` and ``xinrong push-policy`` killed with SIGKILL midway (no cleanup of any
kind runs): the batch in flight is wholly out, the push keeps exactly what it committed, and
running the same command again completes the work with nothing doubled and nothing missing.

Midway is read from the database, not guessed with a sleep: the credit-record id sequence
(sequences are not transactional, so it shows how far an uncommitted load has written) and the
push job's committed progress.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from backend.credit.bulk import ingest_stream
from backend.credit.models import DataProvider
from backend.identity.models import Role
from backend.policies.models import PolicyPushJob
from backend.runtime import Runtime
from backend.security.actor import Actor
from tests.support.fault_processes import kill_hard, run_xinrong, start_xinrong
from tests.support.faults import (
    batch_census,
    body_of,
    gas_records,
    gas_rows,
    jsonl,
    records_sequence,
    wait_for,
)
from tests.support.policy_push_rows import insert_firms, insert_policy, messages_per_firm

FIRST_ROWS, KILLED_ROWS = 2000, 12_000  # the killed file is six chunks of 2000 rows


async def _gas_provider(runtime: Runtime) -> Actor:
    async with runtime.sessionmaker() as session:
        provider_id = await session.scalar(
            select(DataProvider.id).where(DataProvider.code == "gas")
        )
    return Actor(role=Role.DATA_PROVIDER.value, data_provider_id=provider_id, request_id="fault")


async def test_ingest_killed_midway_leaves_its_batch_out_and_a_rerun_completes_it(
    fault_database_url: str, fault_runtime: Runtime, tmp_path: Path
) -> None:
    # given a batch already stored, and a file of six chunks whose load is under way
    first = await ingest_stream(
        runtime=fault_runtime,
        actor=await _gas_provider(fault_runtime),
        batch_id="gas-kill-first",
        category="gas_fee",
        body=body_of(jsonl(gas_rows(FIRST_ROWS, tag="K1"))),
        fmt="jsonl",
    )
    assert first.batch.accepted == FIRST_ROWS
    before = await gas_records(fault_runtime)
    file = tmp_path / "gas-killed.jsonl"
    file.write_bytes(jsonl(gas_rows(KILLED_ROWS, tag="K2")))
    command = ("ingest", str(file), "--category", "gas_fee", "--provider", "gas")
    command += ("--batch-id", "gas-kill-second")
    start = await records_sequence(fault_runtime)
    log = tmp_path / "ingest.log"
    process = await start_xinrong(
        *command, database_url=fault_database_url, cwd=tmp_path, output=log
    )

    async def two_chunks_written() -> int | None:
        assert process.returncode is None, f"ingest ended before the kill: {log.read_text()}"
        written = await records_sequence(fault_runtime) - start
        return written if written >= 2 * 2000 else None

    # when the process is killed (SIGKILL) with two of its six chunks written
    written = await wait_for(two_chunks_written, within=120, what="two chunks of the load")
    await kill_hard(process)
    # then its batch is wholly out: no batch row, no record; the earlier batch is untouched
    census = await batch_census(fault_runtime)
    assert "gas-kill-second" not in census, f"{written} rows were written, {census}"
    assert census["gas-kill-first"].records == census["gas-kill-first"].accepted == FIRST_ROWS
    assert await gas_records(fault_runtime) == before
    # and the same command again loads it whole, once
    code, output = await run_xinrong(*command, database_url=fault_database_url, cwd=tmp_path)
    assert code == 0, output
    assert f"ACCEPTED, {KILLED_ROWS} accepted, 0 rejected" in output
    census = await batch_census(fault_runtime)
    assert census["gas-kill-second"].records == census["gas-kill-second"].accepted == KILLED_ROWS
    total, distinct = await gas_records(fault_runtime)
    assert total == distinct == before[0] + KILLED_ROWS


async def test_push_killed_midway_resumes_and_tells_each_firm_once(
    fault_database_url: str, fault_runtime: Runtime, tmp_path: Path
) -> None:
    # given 1200 firms in a city without demo firms, 600 of them qualifying, and a push run
    # as a command in chunks of 4 ids
    firms = await insert_firms(fault_runtime, 1200, region_code="410105")
    policy = await insert_policy(fault_runtime, region_codes=["4101"])
    command = ("push-policy", str(policy.id), "--chunk-size", "4")
    log = tmp_path / "push.log"
    process = await start_xinrong(
        *command, database_url=fault_database_url, cwd=tmp_path, output=log
    )

    async def some_chunks_committed() -> PolicyPushJob | None:
        assert process.returncode is None, f"push ended before the kill: {log.read_text()}"
        async with fault_runtime.sessionmaker() as session:
            job = await session.scalar(
                select(PolicyPushJob).where(PolicyPushJob.policy_id == policy.id)
            )
        return job if job is not None and job.pushed_count >= 40 else None

    # when the process is killed (SIGKILL) with some chunks committed
    await wait_for(some_chunks_committed, within=120, what="the push to commit some chunks")
    await kill_hard(process)
    # then exactly what the job counted was written: a chunk and its count commit together
    async with fault_runtime.sessionmaker() as session:
        job = await session.scalar(
            select(PolicyPushJob).where(PolicyPushJob.policy_id == policy.id)
        )
    assert job is not None and job.status == "RUNNING" and 40 <= job.pushed_count < 600
    told = await messages_per_firm(fault_runtime, policy.id)
    assert sum(told.values()) == job.pushed_count
    # and running it again, taking over the dead process's lease, finishes the same job
    code, output = await run_xinrong(
        *command, "--take-over", database_url=fault_database_url, cwd=tmp_path
    )
    assert code == 0, output
    assert f"job {job.id}: DONE, matched 600, pushed 600" in output
    told = await messages_per_firm(fault_runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
