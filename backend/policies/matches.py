"""``policyMatches``: the policies in force for the signed-in firm, and why, in three groups.

1. ELIGIBLE: the rule holds and the policy applies in the firm's region; the satisfied conditions
   with the firm's own values as reasons ("成立年限需≥2年，当前5年").
2. UNKNOWN: the rule needs a fact the platform does not have; the missing facts, and whether the
   firm can declare them.
3. INELIGIBLE (on request): near misses first (one or two conditions the firm can change, the
   smallest change first, ``matching.whatif``), then the rest, with the failed conditions.

The firm's facts are its stored ``enterprise_features`` row: the same facts the push compiles to
SQL, so a firm the push told is ELIGIBLE here. Two statements whatever the number of policies
(the policies in force, and the firm with its features). The firm reads about itself: no audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.identity.regions import region_name
from backend.lending.catalog import region_prefix
from backend.lending.matches import (
    MissingFact,
    UnmetCondition,
    firm_with_facts,
    missing_fact,
    missing_reason,
    unmet_condition,
)
from backend.policies.models import Policy
from backend.policies.targeting import policies_in_force
from backend.rules import sentence
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id
from matching.facts import CATALOG
from matching.rules import RuleError, Status, evaluate, parse_rule
from matching.whatif import NearMiss, near_miss

OUTSIDE_REGION = "政策适用地区不含企业所在地"
MAX_POLICIES = 500


@dataclass(frozen=True)
class PolicyMatch:
    """One policy's answer for the firm."""

    policy: Policy
    status: Status
    reasons: list[str] = field(default_factory=list)
    unmet: list[UnmetCondition] = field(default_factory=list)
    missing: list[MissingFact] = field(default_factory=list)
    near_miss: NearMiss | None = None


def _applies(policy: Policy, region_code: str | None) -> bool:
    prefixes = [region_prefix(code) for code in policy.region_codes or ()]
    if not prefixes:
        return True
    return region_code is not None and any(region_code.startswith(p) for p in prefixes)


def _outside(policy: Policy, region_code: str | None) -> UnmetCondition:
    places = "、".join(region_name(c.ljust(6, "0")) or c for c in policy.region_codes)
    return UnmetCondition(
        fact="region_code",
        label=CATALOG["region_code"].label,
        op="within_region",
        expected=list(policy.region_codes),
        actual=region_code,
        message=f"{OUTSIDE_REGION}（适用地区：{places}；企业所在地：{region_code or '暂无数据'}）",
    )


def match_policy(policy: Policy, facts: dict[str, Any], region_code: str | None) -> PolicyMatch:
    """The firm's answer for one policy (a stored rule that no longer parses is INELIGIBLE
    with a plain reason rather than an error: the firm can do nothing about it)."""
    try:
        rule = parse_rule(policy.eligibility)
    except RuleError:
        return PolicyMatch(policy, Status.INELIGIBLE, reasons=["政策条件暂不可用，请联系发布单位"])
    result = evaluate(rule, facts)
    applies = _applies(policy, region_code)
    if result.status is Status.ELIGIBLE and applies:
        reasons = [sentence(r) for r in result.results if r.satisfied]
        if policy.region_codes:
            reasons.append("政策适用地区覆盖企业所在地")
        return PolicyMatch(policy, Status.ELIGIBLE, reasons=reasons)
    if result.status is Status.UNKNOWN and applies:
        missing = [missing_fact(name) for name in result.missing_facts]
        return PolicyMatch(
            policy, Status.UNKNOWN, reasons=[missing_reason(m) for m in missing], missing=missing
        )
    unmet = [] if applies else [_outside(policy, region_code)]
    unmet.extend(unmet_condition(r) for r in result.unmet)
    near = applies and result.status is Status.INELIGIBLE
    miss = near_miss(rule, facts, evaluated=result) if near else None
    return PolicyMatch(
        policy,
        Status.INELIGIBLE,
        reasons=[u.message for u in unmet],
        unmet=unmet,
        near_miss=miss,
    )


def _order(match: PolicyMatch) -> tuple[int, int, float, int]:
    group = {Status.ELIGIBLE: 0, Status.UNKNOWN: 1, Status.INELIGIBLE: 2}[match.status]
    if match.status is Status.UNKNOWN:
        return (group, len(match.missing), 0.0, -match.policy.id)
    if match.status is Status.INELIGIBLE:
        miss = match.near_miss
        if miss is not None:
            return (group, len(miss.changes), miss.gap, -match.policy.id)
        return (group + 1, 0, 0.0, -match.policy.id)
    return (group, 0, 0.0, -match.policy.id)


async def policy_matches(
    *, session: AsyncSession, actor: Actor, include_ineligible: bool = False
) -> list[PolicyMatch]:
    """The policies in force for the actor's own verified firm: eligible, then unknown, then
    (on request) ineligible with near misses first."""
    enterprise_id = own_enterprise_id(actor, "查看适用的政策")
    enterprise, facts = await firm_with_facts(session, enterprise_id)
    answers = [
        match_policy(policy, facts, enterprise.region_code)
        for policy in await policies_in_force(session, china_today(), limit=MAX_POLICIES)
    ]
    if not include_ineligible:
        answers = [a for a in answers if a.status is not Status.INELIGIBLE]
    return sorted(answers, key=_order)
