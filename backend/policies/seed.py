"""Loading ``seed_products/policies.json``: the province's subsidy policies (政策找人).

Idempotent, and run on every ``xinrong seed`` and first ``serve``, right after the products:

* a policy is matched by its ``code``: missing → inserted ACTIVE with no publishing account;
  ACTIVE but different from the file → its fields take the file's values; identical →
  untouched; WITHDRAWN → left alone (its issuer withdrew it; the file must not revive it);
* an entry whose validity has already ended is checked but not loaded, so that a shipped file
  keeps loading after its oldest policy expires;
* loading is not pushing: a policy reaches firms' inboxes only through a push job (the demo
  pushes the seed policies once, :func:`push_new_seed_policies`).

Every entry goes through :func:`backend.policies.checks.check_policy`, as ``publishPolicy``
input does. Bad entries fail the whole run before anything is written, with every bad entry
named by its code and title and every bad field named as the file spells it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.db.base import utcnow
from backend.errors import DomainError
from backend.lending.product_seed import SeedFileError
from backend.policies import push
from backend.policies.checks import FIELDS, PolicyFields, check_policy
from backend.policies.models import Policy, PolicyStatus
from backend.policies.targeting import policies_in_force
from backend.runtime import Runtime
from backend.security.actor import Actor

__all__ = [
    "SEED_FILE",
    "PolicySeedReport",
    "SeedFileError",
    "push_new_seed_policies",
    "read_seed_file",
    "seed_policies",
]

SEED_FILE = "policies.json"

# check_policy names fields as the GraphQL input does; the file's editors see snake_case keys.
_FILE_KEYS = {
    "policyType": "policy_type",
    "regionCodes": "region_codes",
    "validFrom": "valid_from",
    "validUntil": "valid_until",
}


@dataclass
class PolicySeedReport:
    """What one run did with the file's entries."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0  # withdrawn by their issuer: left as they are
    expired: int = 0  # validity over: not loaded


@dataclass(frozen=True)
class SeedPolicy:
    """One checked entry of the file."""

    fields: PolicyFields
    expired: bool


def _file_key(field: str | None) -> str:
    if field is None:
        return "-"
    head, dot, rest = field.partition(".")
    return _FILE_KEYS.get(head, head) + dot + rest


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _problems(raw: Any, today: date) -> tuple[SeedPolicy | None, list[str]]:
    """The checked entry (None when it fails the policy checks) and its ``key: message``
    problems; the entry is loaded only when there are none."""
    if not isinstance(raw, Mapping):
        return None, ["-: 每条政策应为 JSON 对象"]
    problems = [f"{key}: 未知字段（可用：{'、'.join(FIELDS)}）" for key in raw if key not in FIELDS]
    if not str(raw.get("code") or "").strip():
        problems.append("code: 每条种子政策须有唯一的 code（用于再次载入时对应）")
    # Without it check_policy would take today, and every day's run would "change" the policy.
    if raw.get("valid_from") in (None, ""):
        problems.append("valid_from: 种子政策须写明生效日期 YYYY-MM-DD")
    end = _day(raw.get("valid_until"))
    # An expired entry is checked as of its last day: still a well-formed policy, not loaded.
    as_of = end if end is not None and end < today else today
    try:
        fields = check_policy(raw, today=as_of)
    except DomainError as exc:
        problems.extend(f"{_file_key(e.field)}: {e.message}" for e in exc.all)
        return None, problems
    return SeedPolicy(fields, expired=as_of < today), problems


def _where(raw: Any) -> str:
    given = raw if isinstance(raw, Mapping) else {}
    return f"政策“{given.get('title')}”（{given.get('code')}）"


def read_seed_file(path: Path, today: date | None = None) -> tuple[str, list[SeedPolicy]]:
    """The file's version and its checked policies; SeedFileError naming every bad entry."""
    today = today or china_today()
    document = json.loads(path.read_text(encoding="utf-8"))
    entries = document.get("policies") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise SeedFileError(f"{SEED_FILE}: 应有 policies 数组")
    checked: list[SeedPolicy] = []
    failures: list[str] = []
    seen: set[str] = set()
    for raw in entries:
        entry, problems = _problems(raw, today)
        code = str(raw.get("code") or "").strip() if isinstance(raw, Mapping) else ""
        if code and code in seen:
            problems.append("code: 同一 code 出现了两次")
        seen.add(code)
        if problems:
            failures.append(f"{SEED_FILE}: {_where(raw)}: {'；'.join(problems)}")
        elif entry is not None:
            checked.append(entry)
    if failures:
        raise SeedFileError("\n".join(failures))
    return str(document.get("version") or ""), checked


def _changed(policy: Policy, fields: PolicyFields) -> list[str]:
    """The fields whose stored value differs from the file's (JSON compared as values)."""
    return [name for name in FIELDS if getattr(policy, name) != getattr(fields, name)]


async def _audit(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    action: str,
    policy: Policy,
    details: dict[str, Any],
) -> None:
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action=action,
        subject_type="policy",
        subject_id=policy.id,
        details={"code": policy.code, **details, "source": f"seed_products/{SEED_FILE}"},
    )


async def seed_policies(runtime: Runtime, seed_dir: Path) -> PolicySeedReport:
    """Load the seed policies in one transaction; see the module docstring."""
    version, entries = read_seed_file(seed_dir / SEED_FILE)
    actor = Actor.system(request_id="seed")  # as every seeding step: the trail says "seed"
    report = PolicySeedReport()
    async with runtime.sessionmaker() as session:
        codes = [entry.fields.code for entry in entries]
        existing = {
            policy.code: policy
            for policy in (
                await session.execute(select(Policy).where(Policy.code.in_(codes)))
            ).scalars()
        }
        for entry in entries:
            fields = entry.fields
            policy = existing.get(fields.code)
            if entry.expired:
                report.expired += 1
            elif policy is None:
                policy = Policy(**fields.values(), status=PolicyStatus.ACTIVE.value)
                session.add(policy)
                await session.flush()
                await _audit(
                    session,
                    runtime,
                    actor,
                    "policy.seed",
                    policy,
                    {
                        "title": fields.title,
                        "policy_type": fields.policy_type,
                        "region_codes": fields.region_codes,
                        "valid_until": fields.valid_until.isoformat(),
                        "file_version": version,
                    },
                )
                report.created += 1
            elif policy.status != PolicyStatus.ACTIVE.value:
                report.withdrawn += 1
            elif changed := _changed(policy, fields):
                for name in changed:
                    setattr(policy, name, getattr(fields, name))
                policy.updated_at = utcnow()
                await session.flush()
                await _audit(
                    session,
                    runtime,
                    actor,
                    "policy.seed_update",
                    policy,
                    {"changed": changed, "file_version": version},
                )
                report.updated += 1
            else:
                report.unchanged += 1
        await session.commit()
    return report


async def push_new_seed_policies(runtime: Runtime) -> int:
    """Tell the demo firms, once, of every seed policy in force that was never pushed, as if
    staff had pushed each (later changes are then matched incrementally). The demo has a few
    firms: one set-based statement for all the policies, in one transaction, without push jobs.
    Returns how many policies were pushed."""
    async with runtime.sessionmaker() as session:
        policies = [
            policy
            for policy in await policies_in_force(session, china_today())
            if policy.code is not None and policy.pushed_at is None
        ]
        if policies:
            await push.tell_firms(session, policies, true())
            for policy in policies:
                policy.pushed_at = utcnow()
        await session.commit()
    return len(policies)
