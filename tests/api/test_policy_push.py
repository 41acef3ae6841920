"""Policy push jobs: every qualifying firm told exactly once, also when a job is killed midway and
run again; jobs resumable by another instance; set-based (statements per chunk, not per firm);
incremental matching of changed and new firms."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backend.db.base import utcnow
from backend.inbox.models import InboxMessage
from backend.policies import push
from backend.policies.incremental import tell_changed
from backend.policies.models import JobStatus, Policy, PolicyPushJob
from backend.runtime import Runtime
from tests.support.policy_push_rows import insert_firms, insert_policy, messages_per_firm


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the job catches it."""


async def _job(runtime: Runtime, policy_id: int, chunk_size: int) -> int:
    async with runtime.sessionmaker() as session:
        policy = await session.get(Policy, policy_id)
        assert policy is not None
        job = await push.create_job(session, policy, chunk_size=chunk_size)
        await session.commit()
        return job.id


async def _job_row(runtime: Runtime, job_id: int) -> PolicyPushJob:
    async with runtime.sessionmaker() as session:
        job = await session.get(PolicyPushJob, job_id)
        assert job is not None
        return job


async def _expire_lease(runtime: Runtime, job_id: int) -> None:
    """As if the lease's time had passed (the instance holding it is gone)."""
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(PolicyPushJob)
            .where(PolicyPushJob.id == job_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()


async def test_a_push_tells_every_qualifying_firm_once(runtime: Runtime) -> None:
    # given 60 firms in Linyi (30 qualify) and 10 qualifying firms elsewhere
    linyi = await insert_firms(runtime, 60)
    await insert_firms(runtime, 10, region_code="320505", qualifying=lambda _i: True)
    policy = await insert_policy(runtime)
    # when the policy is pushed in chunks of 7 ids
    job_id = await _job(runtime, policy.id, chunk_size=7)
    outcome = await push.run_job(runtime.sessionmaker, job_id, owner="a")
    # then each qualifying Linyi firm has exactly one message, and nobody else has one
    assert outcome.status == JobStatus.DONE.value
    assert outcome.matched_count == 30 and outcome.pushed_count == 30
    told = await messages_per_firm(runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(linyi) if i % 2 == 0}
    job = await _job_row(runtime, job_id)
    assert job.finished_at is not None and job.lease_owner == "a" and job.attempts == 1
    # and a second push tells nobody again
    again = await push.run_job(
        runtime.sessionmaker, await _job(runtime, policy.id, chunk_size=50), owner="b"
    )
    assert (again.status, again.matched_count, again.pushed_count) == ("DONE", 30, 0)
    assert await messages_per_firm(runtime, policy.id) == told


async def test_a_push_killed_midway_and_run_again_tells_every_firm_exactly_once(
    runtime: Runtime,
) -> None:
    # given 120 firms, 60 of them qualifying, and a job of chunks of 10 ids
    firms = await insert_firms(runtime, 120)
    policy = await insert_policy(runtime)
    job_id = await _job(runtime, policy.id, chunk_size=10)
    progress: list[push.PushProgress] = []

    def die_after_three_chunks(step: push.PushProgress) -> None:
        progress.append(step)
        if len(progress) == 3:
            raise Crash

    # when the instance running it dies after its third chunk committed
    with pytest.raises(Crash):
        await push.run_job(
            runtime.sessionmaker, job_id, owner="dead", on_progress=die_after_three_chunks
        )
    halfway = await _job_row(runtime, job_id)
    assert halfway.status == JobStatus.RUNNING.value
    assert 0 < halfway.pushed_count < 60
    assert sum((await messages_per_firm(runtime, policy.id)).values()) == halfway.pushed_count
    # then another instance cannot take it while the lease holds …
    early = await push.run_job(runtime.sessionmaker, job_id, owner="other")
    assert early.status == JobStatus.RUNNING.value and early.pushed_count == halfway.pushed_count
    # … and resumes it after the last committed chunk once the lease ran out
    await _expire_lease(runtime, job_id)
    resumed = await push.run_job(runtime.sessionmaker, job_id, owner="other")
    assert resumed.status == JobStatus.DONE.value
    assert resumed.matched_count == 60 and resumed.pushed_count == 60
    told = await messages_per_firm(runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
    assert (await _job_row(runtime, job_id)).attempts == 2


async def test_a_push_cancelled_inside_a_chunk_loses_nothing_and_repeats_nothing(
    runtime: Runtime,
) -> None:
    # given a job whose runner is cancelled (a lost connection, a shutdown) in mid-chunk
    firms = await insert_firms(runtime, 80)
    policy = await insert_policy(runtime)
    job_id = await _job(runtime, policy.id, chunk_size=5)
    started = asyncio.Event()

    def note(_step: push.PushProgress) -> None:
        started.set()

    task = asyncio.create_task(
        push.run_job(runtime.sessionmaker, job_id, owner="stopping", on_progress=note)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # when the job is run again after its lease ran out
    await _expire_lease(runtime, job_id)
    outcome = await push.run_job(runtime.sessionmaker, job_id, owner="next")
    # then every qualifying firm has exactly one message and the counts agree
    told = await messages_per_firm(runtime, policy.id)
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
    assert outcome.pushed_count == 40 == outcome.matched_count


async def test_the_push_is_set_based_its_statements_grow_with_chunks_not_firms(
    runtime: Runtime, statement_counter: list[str]
) -> None:
    # given the same policy over 20 firms and over 200 firms, one chunk each
    small_policy = await insert_policy(runtime, region_codes=["320505"])
    await insert_firms(runtime, 20, region_code="320505")
    statement_counter.clear()
    await push.run_job(runtime.sessionmaker, await _job(runtime, small_policy.id, 10**6), owner="a")
    small = len(statement_counter)
    big_policy = await insert_policy(runtime, region_codes=["6401"])
    await insert_firms(runtime, 200, region_code="640104")
    statement_counter.clear()
    outcome = await push.run_job(
        runtime.sessionmaker, await _job(runtime, big_policy.id, 10**6), owner="a"
    )
    # then ten times the firms cost the same statements
    assert outcome.pushed_count == 100
    assert len(statement_counter) == small
    assert sum(s.lstrip().upper().startswith("INSERT INTO INBOX") for s in statement_counter) == 1


async def test_one_unfinished_job_per_policy(runtime: Runtime) -> None:
    # given a policy with a pending job
    policy = await insert_policy(runtime)
    first = await _job(runtime, policy.id, chunk_size=10)
    # when a job is asked for again before it ran
    second = await _job(runtime, policy.id, chunk_size=10)
    # then it is the same job
    assert first == second


async def test_a_withdrawn_policy_job_fails_without_telling_anyone(runtime: Runtime) -> None:
    await insert_firms(runtime, 10)
    policy = await insert_policy(runtime)
    job_id = await _job(runtime, policy.id, chunk_size=10)
    async with runtime.sessionmaker() as session:
        stored = await session.get(Policy, policy.id)
        assert stored is not None
        stored.status = "WITHDRAWN"
        await session.commit()
    outcome = await push.run_job(runtime.sessionmaker, job_id, owner="a")
    assert outcome.status == JobStatus.FAILED.value and outcome.error == "政策已撤回，不再推送"
    assert await messages_per_firm(runtime, policy.id) == {}


async def test_changed_firms_are_told_of_live_policies_only(runtime: Runtime) -> None:
    # given a pushed (live) policy and one never pushed, and firms that qualify for both
    live = await insert_policy(runtime, pushed=True)
    draft = await insert_policy(runtime, pushed=False)
    firms = await insert_firms(runtime, 4, qualifying=lambda _i: True)
    # when their features change (the refresh calls this with the chunk's firms)
    async with runtime.sessionmaker() as session:
        told = await tell_changed(session, firms)
        again = await tell_changed(session, firms)
        await session.commit()
    # then each is told of the live policy once, and of the draft not at all
    assert (told, again) == (4, 0)
    assert await messages_per_firm(runtime, live.id) == dict.fromkeys(firms, 1)
    assert await messages_per_firm(runtime, draft.id) == {}


async def test_expired_policies_are_not_matched_incrementally(runtime: Runtime) -> None:
    from datetime import date

    policy = await insert_policy(runtime, pushed=True)
    firms = await insert_firms(runtime, 2, qualifying=lambda _i: True)
    async with runtime.sessionmaker() as session:
        told = await tell_changed(session, firms, today=date(2099, 1, 1))
        await session.commit()
    assert told == 0
    async with runtime.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(InboxMessage.policy_id == policy.id)
        )
    assert count == 0


async def test_withdrawing_a_policy_stops_its_running_push_at_the_next_chunk(
    runtime: Runtime,
) -> None:
    # given a push in chunks of 4 ids over 100 firms (50 qualify)
    await insert_firms(runtime, 100)
    policy = await insert_policy(runtime)
    job_id = await _job(runtime, policy.id, chunk_size=4)
    withdrawn = asyncio.Event()

    async def withdraw() -> None:
        async with runtime.sessionmaker() as session:
            await session.execute(
                update(Policy).where(Policy.id == policy.id).values(status="WITHDRAWN")
            )
            await session.commit()
        withdrawn.set()

    def after_first_chunk(_step: push.PushProgress) -> None:
        if not withdrawn.is_set():
            pending.append(asyncio.ensure_future(withdraw()))

    pending: list[asyncio.Future[None]] = []
    # when staff withdraw the policy while it runs (here: right after its first chunk)
    task = asyncio.create_task(
        push.run_job(runtime.sessionmaker, job_id, owner="a", on_progress=after_first_chunk)
    )
    await withdrawn.wait()
    outcome = await task
    # then the job stops with the reason, having told only the firms of the chunks before
    assert outcome.status == JobStatus.FAILED.value
    assert outcome.error == "政策已撤回，推送已停止"
    assert 0 < outcome.pushed_count < 50
    assert sum((await messages_per_firm(runtime, policy.id)).values()) == outcome.pushed_count
