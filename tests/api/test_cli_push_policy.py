"""``xinrong push-policy``: runs a push with progress, resumes an unfinished job, tells nobody
twice, and refuses a policy that cannot be pushed with a clear message and exit code 1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update

from backend.policies.models import Policy
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
