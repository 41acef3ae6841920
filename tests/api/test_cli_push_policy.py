"""``xinrong push-policy``: runs a push with progress, resumes an unfinished job, tells nobody
twice, and refuses a policy that cannot be pushed with a clear message and exit code 1."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from backend.policies.models import Policy, PolicyPushJob
from backend.runtime import Runtime
from backend.settings import load_settings
from tests.api.test_cli import xinrong
from tests.support.policy_push_rows import insert_firms, insert_policy, messages_per_firm


def with_runtime(
    database_url: str, tmp_path: Path, work: Callable[[Runtime], Awaitable[Any]]
) -> Any:
    """Run ``work(runtime)`` on ``database_url`` in a short-lived event loop."""

    async def run() -> Any:
        runtime = Runtime.build(
            load_settings({"XINRONG_DATABASE_URL": database_url}, workdir=tmp_path)
        )
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(run())


async def _policy_with_firms(runtime: Runtime) -> tuple[int, list[int]]:
    firms = await insert_firms(runtime, 30)
    return (await insert_policy(runtime)).id, firms


def test_push_policy_tells_every_qualifying_firm_once(database_url: str, tmp_path: Path) -> None:
    # given 30 Linyi firms, 15 of which qualify
    policy_id, firms = with_runtime(database_url, tmp_path, _policy_with_firms)
    # when the command runs in chunks of 4 ids
    first = xinrong("push-policy", str(policy_id), "--chunk-size", "4", database_url=database_url)
    # then it reports the job done and each qualifying firm has one message
    assert first.exit_code == 0, first.output
    assert "DONE, matched 15, pushed 15" in first.output
    told = with_runtime(database_url, tmp_path, lambda r: messages_per_firm(r, policy_id))
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
    # and running it again tells nobody twice
    again = xinrong("push-policy", str(policy_id), database_url=database_url)
    assert again.exit_code == 0, again.output
    assert "matched 15, pushed 0" in again.output


def test_push_policy_refuses_unknown_and_withdrawn_policies(
    database_url: str, tmp_path: Path
) -> None:
    missing = xinrong("push-policy", "424242", database_url=database_url)
    assert missing.exit_code == 1 and "NOT_FOUND" in missing.output

    async def withdrawn(runtime: Runtime) -> int:
        policy = await insert_policy(runtime)
        async with runtime.sessionmaker() as session:
            await session.execute(
                update(Policy).where(Policy.id == policy.id).values(status="WITHDRAWN")
            )
            await session.commit()
        return policy.id

    policy_id = with_runtime(database_url, tmp_path, withdrawn)
    refused = xinrong("push-policy", str(policy_id), database_url=database_url)
    assert refused.exit_code == 1 and "政策已撤回" in refused.output


REPO = Path(__file__).resolve().parents[2]


async def _kill_midway(database_url: str, tmp_path: Path, policy_id: int) -> tuple[int, int]:
    """Start ``xinrong push-policy`` in its own process, SIGKILL it once a few chunks have
    committed; returns (job id, messages the job had counted when it died)."""
    runtime = Runtime.build(load_settings({"XINRONG_DATABASE_URL": database_url}, workdir=tmp_path))
    env = {**os.environ, "XINRONG_DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backend.cli",
        "push-policy",
        str(policy_id),
        "--chunk-size",
        "1",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # up to a minute for the process to start and commit a chunk
            async with runtime.sessionmaker() as session:
                job = (
                    await session.execute(
                        select(PolicyPushJob).where(PolicyPushJob.policy_id == policy_id)
                    )
                ).scalar_one_or_none()
            if job is not None and job.pushed_count >= 5:
                break
            await asyncio.sleep(0.05)
        process.kill()
        await process.wait()
        async with runtime.sessionmaker() as session:
            job = (
                await session.execute(
                    select(PolicyPushJob).where(PolicyPushJob.policy_id == policy_id)
                )
            ).scalar_one()
            return job.id, job.pushed_count
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await runtime.close()


async def _policy_with_many_firms(runtime: Runtime) -> tuple[int, list[int]]:
    firms = await insert_firms(runtime, 600)
    return (await insert_policy(runtime)).id, firms


def test_a_push_process_killed_midway_resumes_and_tells_every_firm_once(
    database_url: str, tmp_path: Path
) -> None:
    # given 600 firms, 300 qualifying, and a push process killed (SIGKILL) mid-job
    policy_id, firms = with_runtime(database_url, tmp_path, _policy_with_many_firms)
    job_id, at_death = asyncio.run(_kill_midway(database_url, tmp_path, policy_id))
    assert 5 <= at_death < 300, at_death
    told_so_far = with_runtime(database_url, tmp_path, lambda r: messages_per_firm(r, policy_id))
    # a chunk's messages and the job's count commit together: nothing half-written
    assert sum(told_so_far.values()) == at_death
    # when it is run again, taking over the dead process's lease
    result = xinrong("push-policy", str(policy_id), "--take-over", database_url=database_url)
    # then the same job finishes and every qualifying firm has exactly one message
    assert result.exit_code == 0, result.output
    assert f"job {job_id}: DONE, matched 300" in result.output
    told = with_runtime(database_url, tmp_path, lambda r: messages_per_firm(r, policy_id))
    assert told == {firm: 1 for i, firm in enumerate(firms) if i % 2 == 0}
