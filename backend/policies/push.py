"""Policy push jobs (政策找人): telling every firm that qualifies for a policy, at provincial scale.

A job runs in two phases, both set-based SQL over ``enterprise_features``:

1. **Match**: one ``SELECT count(*), max(enterprise_id)`` with the policy's condition
   (``targeting.policy_condition``) gives ``matched_count`` (the progress bar's total) and the
   highest id to visit.
2. **Write**: for each range of ``chunk_size`` enterprise ids, one
   ``INSERT INTO inbox_messages … SELECT … WHERE <condition> ON CONFLICT DO NOTHING`` writes the
   chunk's messages, and the job's ``last_enterprise_id`` and ``pushed_count`` move in the SAME
   transaction. No Python loop over firms: Python only walks the id ranges.

Exactly once: a chunk's messages and the job's progress commit together, so a job stopped
anywhere (killed process, lost connection) resumes after the last finished chunk; and the unique
(policy, enterprise) index on ``inbox_messages`` makes a repeat, a second job or incremental
matching harmless anyway: a firm is told of a policy once, whoever gets there first.

Any app instance may run a job: jobs live in the database and are claimed with a lease
(``lease_owner``, ``lease_until``). A running instance renews the lease with each chunk; a job
whose lease ran out (its instance died) is taken over by the next instance that looks (the worker
in ``backend.policies.worker``, or ``xinrong push-policy``). After ``MAX_ATTEMPTS`` failed runs a
job is FAILED with the error kept. A run cut off by the database going away (restart, failover)
is not the job's fault: it never makes the job FAILED, and the instance that held it resumes it
as soon as the database is back (see ``claimable_job_ids``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, false, func, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.clock import china_today
from backend.db.base import utcnow
from backend.db.outage import database_unreachable
from backend.enterprises.models import EnterpriseFeatures
from backend.inbox.models import InboxMessage, MessageKind
from backend.policies.messages import policy_message_body, policy_message_title
from backend.policies.models import (
    UNFINISHED,
    JobStatus,
    Policy,
    PolicyPushJob,
    PolicyStatus,
)
from backend.policies.targeting import policy_condition
from matching.rules import RuleError

log = logging.getLogger("xinrong.policies.push")

#: Enterprise ids per chunk: one INSERT … SELECT and one commit each.
DEFAULT_CHUNK = 50_000
MIN_CHUNK, MAX_CHUNK = 1, 1_000_000
#: How long an instance may go without finishing a chunk before another may take the job over.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
ERROR_MAX = 500

_FEATURES = cast(Table, EnterpriseFeatures.__table__)
_MESSAGES = cast(Table, InboxMessage.__table__)


@dataclass(frozen=True)
class PushProgress:
    """Where a job stands after a chunk: for progress bars and logs."""

    job_id: int
    policy_id: int
    matched_count: int
    pushed_count: int
    last_enterprise_id: int
    upper_enterprise_id: int


@dataclass(frozen=True)
class PushOutcome:
    """How a run of a job ended (``status`` is the job's status afterwards)."""

    job_id: int
    status: str
    matched_count: int | None
    pushed_count: int
    match_seconds: float
    write_seconds: float
    error: str | None = None


class LeaseLost(RuntimeError):
    """Another instance took the job over (this one was presumed dead): stop quietly."""


def clean_chunk_size(value: int | None) -> int:
    """A chunk size within bounds (None: the default)."""
    if value is None:
        return DEFAULT_CHUNK
    if not MIN_CHUNK <= value <= MAX_CHUNK:
        raise ValueError(f"chunk size must be within {MIN_CHUNK}..{MAX_CHUNK}")
    return value


async def unfinished_job(session: AsyncSession, policy_id: int) -> PolicyPushJob | None:
    """The policy's PENDING or RUNNING job, if any (there is at most one)."""
    return (
        await session.execute(
            select(PolicyPushJob).where(
                PolicyPushJob.policy_id == policy_id, PolicyPushJob.status.in_(UNFINISHED)
            )
        )
    ).scalar_one_or_none()


async def create_job(
    session: AsyncSession,
    policy: Policy,
    *,
    requested_by: int | None = None,
    chunk_size: int | None = None,
) -> PolicyPushJob:
    """A new PENDING job for ``policy``, or its unfinished one (at most one per policy, also
    under races: a unique partial index). Marks the policy pushed, which from now on tells firms
    whose features change. The caller commits."""
    existing = await unfinished_job(session, policy.id)
    if existing is not None:
        return existing
    job = PolicyPushJob(
        policy_id=policy.id,
        status=JobStatus.PENDING.value,
        requested_by_account_id=requested_by,
        chunk_size=clean_chunk_size(chunk_size),
    )
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:
        # Another request created the policy's job between our look and our insert.
        raced = await unfinished_job(session, policy.id)
        if raced is None:
            raise
        return raced
    if policy.pushed_at is None:
        policy.pushed_at = utcnow()
    return job


async def _claim(session: AsyncSession, job_id: int, owner: str) -> bool:
    """Take the job's lease if it is PENDING, or RUNNING with a lease that ran out (or ours)."""
    now = utcnow()
    result = await session.execute(
        update(PolicyPushJob)
        .where(
            PolicyPushJob.id == job_id,
            or_(
                PolicyPushJob.status == JobStatus.PENDING.value,
                and_(
                    PolicyPushJob.status == JobStatus.RUNNING.value,
                    or_(
                        PolicyPushJob.lease_until.is_(None),
                        PolicyPushJob.lease_until < now,
                        PolicyPushJob.lease_owner == owner,
                    ),
                ),
            ),
        )
        .values(
            status=JobStatus.RUNNING.value,
            lease_owner=owner,
            lease_until=now + LEASE,
            attempts=PolicyPushJob.attempts + 1,
            started_at=func.coalesce(PolicyPushJob.started_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(cast(Any, result).rowcount)


async def _advance(session: AsyncSession, job_id: int, owner: str, values: dict[str, Any]) -> None:
    """Move the job on and renew the lease, in the caller's transaction, if still ours."""
    result = await session.execute(
        update(PolicyPushJob)
        .where(PolicyPushJob.id == job_id, PolicyPushJob.lease_owner == owner)
        .values(lease_until=utcnow() + LEASE, **values)
        .execution_options(synchronize_session=False)
    )
    if not cast(Any, result).rowcount:
        raise LeaseLost(f"push job {job_id} was taken over by another instance")


def _rows_for(policy: Policy, chosen: Any) -> Select[Any]:
    """The message rows of ``policy`` for the qualifying firms among ``chosen``."""
    return select(
        _FEATURES.c.enterprise_id,
        literal(MessageKind.POLICY.value),
        literal(policy_message_title(policy)),
        literal(policy_message_body(policy)),
        literal(policy.id),
        literal(utcnow(), type_=_MESSAGES.c.created_at.type),
    ).where(policy_condition(policy), chosen)


async def tell_firms(session: AsyncSession, policies: Sequence[Policy], chosen: Any) -> int:
    """Tell the firms among ``chosen`` (a WHERE clause over ``enterprise_features``) of each of
    ``policies`` they qualify for, in ONE ``INSERT … SELECT`` (a UNION ALL over the policies),
    skipping firms already told; returns how many messages were new.

    A stored rule that no longer parses (a fact renamed by a later catalogue) is logged and
    left out: it must not stop the other policies, nor the change that called this.
    """
    selects = []
    for policy in policies:
        try:
            selects.append(_rows_for(policy, chosen))
        except RuleError:
            log.error("policy %s: stored rule does not parse; firms not told", policy.id)
    if not selects:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = selects[0] if len(selects) == 1 else union_all(*selects)
    statement = (
        insert(_MESSAGES)
        .from_select(["enterprise_id", "kind", "title", "body", "policy_id", "created_at"], rows)
        .on_conflict_do_nothing(
            index_elements=["policy_id", "enterprise_id"],
            index_where=_MESSAGES.c.policy_id.is_not(None),
        )
    )
    result = await session.execute(statement)
    return int(cast(Any, result).rowcount or 0)


def _usable(policy: Policy) -> str | None:
    """Why the policy may not be pushed now, or None."""
    if policy.status != PolicyStatus.ACTIVE.value:
        return "政策已撤回，不再推送"
    if policy.valid_until < china_today():
        return "政策已过有效期，不再推送"
    return None


async def _withdrawn(session: AsyncSession, policy_id: int) -> bool:
    """Whether staff withdrew the policy since the job started (checked before each chunk)."""
    status = await session.scalar(select(Policy.status).where(Policy.id == policy_id))
    return status != PolicyStatus.ACTIVE.value


async def _fail(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: int,
    owner: str,
    error: str,
    *,
    outage: bool,
) -> bool:
    """Keep the error on the job and free its lease for a retry; FAILED after ``MAX_ATTEMPTS``
    runs, unless the run was cut off by a database ``outage``. Returns False when the database
    cannot be reached to say so: the job then keeps its lease, and this instance resumes it
    when the database is back (another instance once the lease ran out)."""
    try:
        async with sessionmaker() as session:
            job = await session.get(PolicyPushJob, job_id)
            if job is None or job.lease_owner != owner:
                return True
            job.error = error[:ERROR_MAX]
            job.lease_until = utcnow()  # free for a retry at once
            if job.attempts >= MAX_ATTEMPTS and not outage:
                job.status = JobStatus.FAILED.value
                job.finished_at = utcnow()
            await session.commit()
    except Exception as exc:
        if not database_unreachable(exc):
            raise
        log.error("push job %s: database unreachable, its failure could not be recorded", job_id)
        return False
    return True


async def _match(
    session: AsyncSession, job_id: int, policy: Policy, owner: str
) -> tuple[int, int, float]:
    """Phase 1: count the qualifying firms and note the highest id to visit; commits. Returns
    the count, the highest id and the seconds the counting statement took."""
    started = time.perf_counter()
    matched, highest = (
        await session.execute(
            select(func.count(), func.max(_FEATURES.c.enterprise_id)).where(
                policy_condition(policy)
            )
        )
    ).one()
    seconds = time.perf_counter() - started
    counted = (int(matched), int(highest or 0))
    await _advance(
        session, job_id, owner, {"matched_count": counted[0], "upper_enterprise_id": counted[1]}
    )
    await session.commit()
    return counted[0], counted[1], seconds


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: int,
    *,
    owner: str,
    on_progress: Callable[[PushProgress], None] | None = None,
) -> PushOutcome:
    """Claim job ``job_id`` and run it to the end, one committed chunk at a time.

    Returns the outcome; a job another live instance holds, or one already finished, is left
    alone and reported as it stands. Errors are logged and kept on the job (retried up to
    ``MAX_ATTEMPTS`` runs), never raised, except cancellation.
    """
    match_seconds = write_seconds = 0.0
    async with sessionmaker() as session:
        claimed = await _claim(session, job_id, owner)
        await session.commit()
        job = await session.get(PolicyPushJob, job_id)
        if job is None:
            raise LookupError(f"no push job {job_id}")
        if not claimed:
            return PushOutcome(
                job.id, job.status, job.matched_count, job.pushed_count, 0.0, 0.0, job.error
            )
        policy = await session.get(Policy, job.policy_id)
        assert policy is not None  # a foreign key
        # Where the job stands, kept outside the ORM object (a rollback expires that).
        matched, pushed = job.matched_count, job.pushed_count
        try:
            refusal = _usable(policy)
            if refusal is not None:
                job.status, job.error, job.finished_at = JobStatus.FAILED.value, refusal, utcnow()
                await session.commit()
                return PushOutcome(job.id, job.status, job.matched_count, 0, 0.0, 0.0, refusal)
            matched, upper = job.matched_count, job.upper_enterprise_id or 0
            if matched is None:
                matched, upper, match_seconds = await _match(session, job.id, policy, owner)
            last, pushed = job.last_enterprise_id, job.pushed_count
            started = time.perf_counter()
            while last < upper:
                if await _withdrawn(session, policy.id):
                    refusal = "政策已撤回，推送已停止"
                    await _advance(
                        session,
                        job.id,
                        owner,
                        {
                            "status": JobStatus.FAILED.value,
                            "error": refusal,
                            "finished_at": utcnow(),
                        },
                    )
                    await session.commit()
                    break
                high = min(last + job.chunk_size, upper)
                told = await tell_firms(
                    session,
                    [policy],
                    and_(_FEATURES.c.enterprise_id > last, _FEATURES.c.enterprise_id <= high),
                )
                await _advance(
                    session,
                    job.id,
                    owner,
                    {"last_enterprise_id": high, "pushed_count": PolicyPushJob.pushed_count + told},
                )
                await session.commit()
                last, pushed = high, pushed + told
                if on_progress is not None:
                    on_progress(PushProgress(job.id, policy.id, matched, pushed, last, upper))
            else:  # every chunk written (the loop was not stopped by a withdrawal)
                write_seconds = time.perf_counter() - started
                await _advance(
                    session,
                    job.id,
                    owner,
                    {"status": JobStatus.DONE.value, "finished_at": utcnow(), "error": None},
                )
                await session.commit()
        except LeaseLost:
            await session.rollback()
            log.warning("push job %s: lease lost, another instance goes on", job_id)
        except Exception as exc:  # kept on the job and retried: a job must not die silently
            await session.rollback()
            log.exception("push job %s failed", job_id)
            error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
            outage = database_unreachable(exc)
            if not await _fail(sessionmaker, job_id, owner, error, outage=outage):
                running = JobStatus.RUNNING.value
                return PushOutcome(
                    job_id, running, matched, pushed, match_seconds, write_seconds, error
                )
        await session.refresh(job)
        return PushOutcome(
            job.id,
            job.status,
            job.matched_count,
            job.pushed_count,
            match_seconds,
            write_seconds,
            job.error,
        )


async def claimable_job_ids(
    session: AsyncSession, limit: int = 10, *, owner: str | None = None
) -> list[int]:
    """Jobs waiting for an instance: PENDING, or RUNNING with a lease that ran out; and with
    ``owner``, RUNNING jobs whose lease that instance holds (its run stopped on an error it
    could not record, such as the database going away; the caller must not start a job it is
    still running, which ``Runtime.spawn`` ensures)."""
    now = utcnow()
    running = PolicyPushJob.status == JobStatus.RUNNING.value
    ours = and_(running, PolicyPushJob.lease_owner == owner) if owner is not None else false()
    rows = await session.execute(
        select(PolicyPushJob.id)
        .where(
            or_(
                PolicyPushJob.status == JobStatus.PENDING.value,
                and_(running, PolicyPushJob.lease_until < now),
                ours,
            )
        )
        .order_by(PolicyPushJob.id)
        .limit(limit)
    )
    return list(rows.scalars())
