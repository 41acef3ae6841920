"""Publishing, withdrawing and reading policies, and asking for a push.

Government staff publish policies (``publishPolicy``), withdraw them and push them; anyone may
read the policies in force (they are public government information, like the loan catalogue).
Every change is audited. The push itself runs in the background (``backend.policies.push``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, check_each, parse_id
from backend.inbox.models import InboxMessage
from backend.lending.product_checks import region_filter
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.policies import push
from backend.policies.checks import check_policy
from backend.policies.models import Policy, PolicyPushJob, PolicyStatus, PolicyType
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.staff import government_staff

_CURSOR_TAG = "policies"
MAX_JOBS = 50
#: Policies scanned for one page: the region filter runs after the scan (few are in force).
MAX_SCAN = 1000


def require_government(actor: Actor, doing: str) -> int:
    """The staff member's account id; anyone else is FORBIDDEN."""
    return government_staff(actor, f"只有政府部门工作人员可以{doing}")


def policy_id_of(value: int | str) -> int:
    """A policy id; anything that cannot be one is NOT_FOUND."""
    return parse_id(value, "policyId", "政策不存在")


async def get_policy(session: AsyncSession, policy_id: int | str) -> Policy:
    """The policy, or NOT_FOUND."""
    policy = await session.get(Policy, policy_id_of(policy_id))
    if policy is None:
        raise DomainError(ErrorCode.NOT_FOUND, "政策不存在", "policyId")
    return policy


async def publish_policy(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, data: dict[str, Any]
) -> Policy:
    """Publish a policy (GOVERNMENT); every bad field is reported at once. Nobody is told until
    the policy is pushed (``request_push``)."""
    account_id = require_government(actor, "发布政策")
    fields = check_policy(data)
    if fields.code is not None:
        taken = await session.execute(select(Policy.id).where(Policy.code == fields.code))
        if taken.first() is not None:
            raise DomainError(ErrorCode.CONFLICT, "政策代码已被使用", "code")
    policy = Policy(**fields.values(), published_by_account_id=account_id)
    session.add(policy)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="policy.publish",
        subject_type="policy",
        subject_id=policy.id,
        details={"title": policy.title, "policy_type": policy.policy_type},
    )
    return policy


async def withdraw_policy(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, policy_id: int | str, reason: str
) -> Policy:
    """Withdraw a policy (GOVERNMENT): no more pushes or matches; messages already sent stay.
    A running push stops at its next chunk. Withdrawing twice changes nothing."""
    require_government(actor, "撤回政策")
    text = reason.strip() if isinstance(reason, str) else ""
    if not 2 <= len(text) <= 500:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写撤回原因（2 到 500 个字符）", "reason")
    policy = await get_policy(session, policy_id)
    if policy.status == PolicyStatus.WITHDRAWN.value:
        return policy
    policy.status = PolicyStatus.WITHDRAWN.value
    policy.updated_at = utcnow()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="policy.withdraw",
        subject_type="policy",
        subject_id=policy.id,
        details={"reason": text},
    )
    return policy


@dataclass(frozen=True)
class PolicyPage:
    """A page of policies, newest first, with the cursor of the next page."""

    policies: list[Policy]
    has_next_page: bool
    end_cursor: str | None


def _type_filter(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return PolicyType(getattr(value, "value", value)).value
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "政策类型无效", "policyType") from exc


async def list_policies(
    *,
    session: AsyncSession,
    first: int = 20,
    after: str | None = None,
    region_code: str | None = None,
    policy_type: Any = None,
    include_ended: bool = False,
) -> PolicyPage:
    """Policies in force (ACTIVE and valid today), newest first; public. ``region_code``
    keeps the policies that apply there (nationwide ones, and those whose regions contain it);
    ``include_ended`` adds withdrawn and expired ones (an archive)."""
    size, after_id, region, kind = check_each(
        lambda: check_page_size(first),
        lambda: decode_cursor(_CURSOR_TAG, after) if after else None,
        lambda: region_filter(region_code),
        lambda: _type_filter(policy_type),
    )
    query = select(Policy)
    if not include_ended:
        today = china_today()
        query = query.where(
            Policy.status == PolicyStatus.ACTIVE.value,
            Policy.valid_from <= today,
            Policy.valid_until >= today,
        )
    if kind is not None:
        query = query.where(Policy.policy_type == kind)
    if after_id is not None:
        query = query.where(Policy.id < after_id)
    rows = list((await session.execute(query.order_by(Policy.id.desc()).limit(MAX_SCAN))).scalars())
    if region is not None:
        # Few policies are in force at once; the region test is the catalogue's own (prefixes).
        rows = [p for p in rows if applies_in(p, region)]
    chosen = rows[:size]
    more = len(rows) > size
    return PolicyPage(chosen, more, encode_cursor(_CURSOR_TAG, chosen[-1].id) if chosen else None)


def applies_in(policy: Policy, region: str) -> bool:
    """Whether ``policy`` applies in the region given by prefix ``region`` (nationwide ones do;
    a province-wide policy applies in each of its cities, and a city's in the province view)."""
    codes = policy.region_codes or []
    return not codes or any(code.startswith(region) or region.startswith(code) for code in codes)


async def policies_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Policy]:
    """Policy id → policy, in one statement (for inbox pages)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(Policy).where(Policy.id.in_(wanted)))
    return {policy.id: policy for policy in rows.scalars()}


async def request_push(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    policy_id: int | str,
    chunk_size: int | None = None,
) -> PolicyPushJob:
    """Start pushing a policy to every firm that qualifies (GOVERNMENT). Returns the policy's
    unfinished job if one is running (pushing twice starts nothing new). From the first push on,
    firms whose features change are told too."""
    account_id = require_government(actor, "推送政策")
    policy = await get_policy(session, policy_id)
    if policy.status != PolicyStatus.ACTIVE.value:
        raise DomainError(ErrorCode.CONFLICT, "政策已撤回，不能推送", "policyId")
    today = china_today()
    if policy.valid_until < today:
        raise DomainError(ErrorCode.CONFLICT, "政策已过有效期，不能推送", "policyId")
    if policy.valid_from > today:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"政策自 {policy.valid_from.isoformat()} 起生效，届时再推送",
            "policyId",
        )
    job = await push.create_job(session, policy, requested_by=account_id, chunk_size=chunk_size)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="policy.push",
        subject_type="policy",
        subject_id=policy.id,
        details={"job_id": job.id},
    )
    return job


async def push_job(*, session: AsyncSession, actor: Actor, job_id: int | str) -> PolicyPushJob:
    """One push job and its progress (GOVERNMENT)."""
    require_government(actor, "查看政策推送进度")
    job = await session.get(PolicyPushJob, parse_id(job_id, "id", "推送任务不存在"))
    if job is None:
        raise DomainError(ErrorCode.NOT_FOUND, "推送任务不存在", "id")
    return job


async def push_jobs(
    *, session: AsyncSession, actor: Actor, policy_id: int | str
) -> list[PolicyPushJob]:
    """A policy's push jobs, newest first (GOVERNMENT)."""
    require_government(actor, "查看政策推送进度")
    policy = await get_policy(session, policy_id)
    rows = await session.execute(
        select(PolicyPushJob)
        .where(PolicyPushJob.policy_id == policy.id)
        .order_by(PolicyPushJob.id.desc())
        .limit(MAX_JOBS)
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class PolicyReach:
    """How many firms a policy told, and how many of them read it."""

    told: int
    read: int


async def policy_reach(session: AsyncSession, policy_ids: list[int]) -> dict[int, PolicyReach]:
    """Policy id → firms told and read (one statement), for the staff's policy list."""
    if not policy_ids:
        return {}
    rows = await session.execute(
        select(
            InboxMessage.policy_id,
            func.count(),
            func.count(InboxMessage.read_at),
        )
        .where(InboxMessage.policy_id.in_(policy_ids))
        .group_by(InboxMessage.policy_id)
    )
    reach = {int(pid): PolicyReach(int(told), int(read)) for pid, told, read in rows}
    return {pid: reach.get(pid, PolicyReach(0, 0)) for pid in policy_ids}
