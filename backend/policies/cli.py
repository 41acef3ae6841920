"""``xinrong push-policy POLICY_ID``: run a policy's push job in this process, with a progress bar.

It starts a job, or resumes the policy's unfinished one (a job interrupted anywhere goes on after
its last committed chunk; nobody is told twice). A job whose lease another instance still holds
is left to it unless ``--take-over`` says that instance is gone.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import update

from backend.audit import service as audit
from backend.errors import DomainError, ErrorCode
from backend.policies import push
from backend.policies.models import PolicyPushJob, PolicyStatus
from backend.policies.service import get_policy
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.settings import Settings

console = Console(stderr=True)


async def _prepare(
    runtime: Runtime, policy_id: str, chunk_size: int | None, take_over: bool
) -> int:
    """The job to run: the policy's unfinished one, or a new one (audited as the platform's)."""
    async with runtime.sessionmaker() as session:
        policy = await get_policy(session, policy_id)
        if policy.status != PolicyStatus.ACTIVE.value:
            raise DomainError(ErrorCode.CONFLICT, "政策已撤回，不能推送")
        job = await push.create_job(session, policy, chunk_size=chunk_size)
        if take_over:
            await session.execute(
                update(PolicyPushJob)
                .where(PolicyPushJob.id == job.id)
                .values(lease_until=None)
                .execution_options(synchronize_session=False)
            )
        await audit.record(
            session,
            keyring=runtime.keyring,
            actor=Actor.system(request_id="cli"),
            action="policy.push",
            subject_type="policy",
            subject_id=policy.id,
            details={"job_id": job.id, "from": "cli"},
        )
        await session.commit()
        return job.id


async def run_push(
    settings: Settings, policy_id: str, chunk_size: int | None, take_over: bool
) -> push.PushOutcome:
    """Prepare and run the job with a rich progress bar on standard error."""
    runtime = Runtime.build(settings)
    try:
        job_id = await _prepare(runtime, policy_id, chunk_size, take_over)
        with Progress(
            TextColumn("[bold]政策推送[/bold] 任务 {task.fields[job]}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("已发送 {task.fields[pushed]:,} / 符合 {task.fields[matched]:,}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("push", total=None, job=job_id, pushed=0, matched=0)

            def show(progress: push.PushProgress) -> None:
                fields: dict[str, Any] = {
                    "pushed": progress.pushed_count,
                    "matched": progress.matched_count,
                }
                bar.update(
                    task,
                    total=progress.upper_enterprise_id,
                    completed=progress.last_enterprise_id,
                    **fields,
                )

            outcome = await push.run_job(
                runtime.sessionmaker, job_id, owner=runtime.instance, on_progress=show
            )
            if outcome.status == push.JobStatus.DONE.value:
                bar.update(task, total=1, completed=1, pushed=outcome.pushed_count)
        return outcome
    finally:
        await runtime.close()


def report(outcome: push.PushOutcome) -> None:
    """Print how the run ended; exit 1 unless the job is done."""
    typer.echo(
        f"job {outcome.job_id}: {outcome.status}, matched {outcome.matched_count}, "
        f"pushed {outcome.pushed_count} (match {outcome.match_seconds:.2f} s, "
        f"write {outcome.write_seconds:.2f} s)"
    )
    if outcome.status == push.JobStatus.RUNNING.value:
        console.print(
            "[yellow]another instance holds this job; it goes on there "
            "(use --take-over if that instance is gone)[/yellow]"
        )
    if outcome.error:
        console.print(f"[red]{outcome.error}[/red]")
    if outcome.status != push.JobStatus.DONE.value:
        raise typer.Exit(1)


def push_policy_command(
    settings: Settings, policy_id: str, chunk_size: int | None, take_over: bool
) -> None:
    """The command's body (``backend.cli`` parses the options)."""
    try:
        outcome = asyncio.run(run_push(settings, policy_id, chunk_size, take_over))
    except DomainError as exc:
        console.print(f"[red]{exc.code.value}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    report(outcome)
