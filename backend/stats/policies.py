"""Policy reach (政策触达) of ``platformStatistics``: for each policy, how many firms of the region
qualify now, how many were told of it in the period and how many read the message.

Two statements whatever the data size: one lists the policies with their told and read counts
(a GROUP BY over the period's POLICY messages, joined to the policies), the other counts, in one
pass over ``enterprise_features``, the firms each live policy matches (one ``COUNT(CASE WHEN
<rule> …)`` column per policy) together with the period's totals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backend.enterprises.models import EnterpriseFeatures
from backend.inbox.models import InboxMessage, MessageKind
from backend.policies.models import Policy, PolicyStatus
from backend.policies.targeting import policy_condition
from backend.stats.common import in_region, share
from backend.stats.labels import POLICY_LABELS, POLICY_STATUS_LABELS
from backend.stats.scope import StatsScope

log = logging.getLogger("xinrong.stats")

#: The most policies listed (the most recently published first). One statement counts the
#: matches of every listed live policy, one column each; hundreds of columns are fine on both
#: databases, thousands would not be, and a longer list is unreadable anyway.
MAX_POLICIES = 200


@dataclass(frozen=True)
class PolicyReach:
    """One policy: firms of the region it matches now, and told of it in the period."""

    policy_id: int
    title: str
    policy_type: str
    policy_type_label: str
    status: str
    status_label: str
    matched: int | None
    told: int
    read: int
    read_share: Decimal | None


@dataclass(frozen=True)
class PolicyReachFigures:
    """Policy reach in the region and period, totals first."""

    active_policies: int
    told: int
    read: int
    read_share: Decimal | None
    firms_told: int
    policies: list[PolicyReach]
    truncated: bool


def _policy_messages(scope: StatsScope, *columns: Any) -> Any:
    """``columns`` over the POLICY messages created in the period for firms of the region."""
    stmt = (
        select(*columns)
        .select_from(InboxMessage)
        .where(
            InboxMessage.kind == MessageKind.POLICY.value,
            InboxMessage.policy_id.is_not(None),
            InboxMessage.created_at >= scope.starts_at,
            InboxMessage.created_at < scope.ends_before,
        )
    )
    return in_region(stmt, InboxMessage.enterprise_id, scope)


def _in_force(today: date) -> ColumnElement[bool]:
    """The policy is ACTIVE and ``today`` lies within its validity."""
    return (
        (Policy.status == PolicyStatus.ACTIVE.value)
        & (Policy.valid_from <= today)
        & (Policy.valid_until >= today)
    )


def _condition(row: Any) -> ColumnElement[bool] | None:
    """The stored rule of a listed policy as SQL; None (and a warning) when it cannot be read,
    so that one bad row in the database does not take the statistics down."""
    try:
        return policy_condition(Policy(eligibility=row.eligibility, region_codes=row.region_codes))
    except Exception:  # a rule stored by older code, or edited by hand: anything may be wrong
        log.warning("policy %s: stored eligibility rule unreadable; matched left empty", row.id)
        return None


async def policy_reach_figures(
    session: AsyncSession, scope: StatsScope, today: date
) -> PolicyReachFigures:
    """Policies ACTIVE, or with POLICY messages in the period for the region, most recent first
    (at most ``MAX_POLICIES``); matched counted for those in force ``today``."""
    told = (
        _policy_messages(
            scope,
            InboxMessage.policy_id.label("policy_id"),
            func.count().label("told"),
            func.count(InboxMessage.read_at).label("read"),
        )
        .group_by(InboxMessage.policy_id)
        .subquery("told")
    )
    listing = (
        select(
            Policy.id,
            Policy.title,
            Policy.policy_type,
            Policy.status,
            Policy.eligibility,
            Policy.region_codes,
            _in_force(today).label("in_force"),
            func.coalesce(told.c.told, 0).label("told"),
            func.coalesce(told.c.read, 0).label("read"),
        )
        .outerjoin(told, told.c.policy_id == Policy.id)
        .where(or_(Policy.status == PolicyStatus.ACTIVE.value, told.c.policy_id.is_not(None)))
        .order_by(Policy.created_at.desc(), Policy.id.desc())
        .limit(MAX_POLICIES + 1)  # one more, to know whether the list was cut
    )
    rows = list(await session.execute(listing))
    truncated = len(rows) > MAX_POLICIES
    rows = rows[:MAX_POLICIES]

    conditions = {row.id: _condition(row) for row in rows if row.in_force}
    countable = {key: c for key, c in conditions.items() if c is not None}
    totals = _policy_messages(
        scope,
        func.count().label("told"),
        func.count(InboxMessage.read_at).label("read"),
        func.count(distinct(InboxMessage.enterprise_id)).label("firms"),
    ).subquery("totals")
    active = select(func.count()).select_from(Policy).where(_in_force(today)).scalar_subquery()
    stmt = select(totals.c.told, totals.c.read, totals.c.firms, active)
    if countable:
        # Firms registered in the region (the features' own region, as pushes read it).
        features = select(
            *(func.count(case((c, 1))).label(f"p{key}") for key, c in countable.items())
        ).select_from(EnterpriseFeatures)
        if scope.region_prefix is not None:
            features = features.where(
                EnterpriseFeatures.region_code.like(f"{scope.region_prefix}%")
            )
        matches = features.subquery("matches")
        stmt = stmt.add_columns(*matches.c).join_from(totals, matches, true())
    answer: Any = (await session.execute(stmt)).one()
    told_total, read_total, firms, active_count, *matched_counts = answer
    matched = dict(zip(countable, matched_counts, strict=True))
    return PolicyReachFigures(
        active_policies=active_count,
        told=told_total,
        read=read_total,
        read_share=share(read_total, told_total),
        firms_told=firms,
        policies=[
            PolicyReach(
                policy_id=row.id,
                title=row.title,
                policy_type=row.policy_type,
                policy_type_label=POLICY_LABELS.get(row.policy_type, row.policy_type),
                status=row.status,
                status_label=POLICY_STATUS_LABELS.get(row.status, row.status),
                matched=matched.get(row.id),
                told=row.told,
                read=row.read,
                read_share=share(row.read, row.told),
            )
            for row in rows
        ],
        truncated=truncated,
    )
