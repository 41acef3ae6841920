"""Which firms a policy is for, as one SQL condition over ``enterprise_features``.

The policy's eligibility rule is compiled by ``matching.rules.compile_to_sql`` (three-valued: a
firm whose needed fact is unknown does not match) and combined with the policy's regions, read
from the features' own ``region_code`` column so that the whole selection runs on one table.
Pushes, incremental matching and the statistics' "matched" figure all use this one condition.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from backend.enterprises.models import FEATURE_COLUMNS, EnterpriseFeatures
from backend.lending.catalog import region_prefix
from backend.policies.models import Policy, PolicyStatus
from matching.rules import compile_to_sql, parse_rule


def region_condition(region_codes: list[str] | None) -> ColumnElement[bool] | None:
    """The firm is registered within one of ``region_codes`` (None: nationwide)."""
    prefixes = list(dict.fromkeys(filter(None, map(region_prefix, region_codes or ()))))
    if not prefixes:
        return None
    column = EnterpriseFeatures.__table__.c.region_code
    return or_(*(column.startswith(prefix, autoescape=True) for prefix in prefixes))


def policy_condition(policy: Policy) -> ColumnElement[bool]:
    """The SQL condition "this firm's features qualify for ``policy``" over
    ``enterprise_features`` (the policy's rule and regions; not its status or validity)."""
    parts: list[ColumnElement[bool]] = [
        compile_to_sql(parse_rule(policy.eligibility), FEATURE_COLUMNS)
    ]
    regions = region_condition(policy.region_codes)
    if regions is not None:
        parts.append(regions)
    return and_(*parts)


async def policies_in_force(
    session: AsyncSession, today: date, *, pushed_only: bool = False, limit: int | None = None
) -> list[Policy]:
    """The ACTIVE policies valid on ``today``, newest first; ``pushed_only`` keeps the live
    ones (pushed at least once: those firms are told of when their features change)."""
    query = select(Policy).where(
        Policy.status == PolicyStatus.ACTIVE.value,
        Policy.valid_from <= today,
        Policy.valid_until >= today,
    )
    if pushed_only:
        query = query.where(Policy.pushed_at.is_not(None))
    query = query.order_by(Policy.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())
