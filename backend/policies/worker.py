"""Running push jobs in the app: at once when staff push, and by a poller that takes over jobs
left behind (a restarted or crashed instance, whose lease ran out) on any instance.

Several instances may poll the same database: a job is run by whichever claims its lease
(``backend.policies.push``), the others skip it.
"""

from __future__ import annotations

import asyncio
import logging

from backend.policies.push import PushOutcome, claimable_job_ids, run_job
from backend.runtime import Runtime

log = logging.getLogger("xinrong.policies.worker")

#: How often an instance looks for jobs nobody is running.
POLL_SECONDS = 15.0


def start_push(runtime: Runtime, job_id: int) -> asyncio.Task[PushOutcome]:
    """Run job ``job_id`` in the background of this process (once, however often asked)."""
    return runtime.spawn(
        f"policy-push-{job_id}",
        run_job(runtime.sessionmaker, job_id, owner=runtime.instance),
    )


async def run_waiting_jobs(runtime: Runtime) -> int:
    """Start every job waiting for an instance, and resume this instance's own jobs whose
    run stopped (a job still running here is not started twice); returns how many."""
    async with runtime.sessionmaker() as session:
        ids = await claimable_job_ids(session, owner=runtime.instance)
    for job_id in ids:
        start_push(runtime, job_id)
    return len(ids)


async def poll_forever(runtime: Runtime, every: float = POLL_SECONDS) -> None:
    """The app's poller: look for waiting jobs every ``every`` seconds until cancelled."""
    while True:
        try:
            await run_waiting_jobs(runtime)
        except Exception:  # the poller must outlive a database hiccup; the next round retries
            log.exception("looking for waiting push jobs failed")
        await asyncio.sleep(every)
