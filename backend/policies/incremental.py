"""Incremental matching: a firm whose features change, or that is newly verified, is told of the
live policies it now qualifies for (and not again of those it was told of already).

Called in the transaction that refreshed the firms' features, with the firms of that chunk: one
statement finds the live policies, then one ``INSERT … SELECT`` (a UNION ALL over the live
policies) restricted to those firms (the unique (policy, enterprise) index makes it idempotent).
Two statements per chunk of changed firms, whatever the number of firms or policies.

Only *live* policies count : ACTIVE, within their validity and pushed
at least once. Until government staff push a policy, no firm is told of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.enterprises.models import EnterpriseFeatures
from backend.policies.push import tell_firms
from backend.policies.targeting import policies_in_force


async def tell_changed(
    session: AsyncSession, enterprise_ids: Iterable[int], today: date | None = None
) -> int:
    """Tell the firms ``enterprise_ids`` (features already refreshed) of the live policies they
    now qualify for; returns how many messages were written."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return 0
    chosen = EnterpriseFeatures.__table__.c.enterprise_id.in_(ids)
    live = await policies_in_force(session, today or china_today(), pushed_only=True)
    return await tell_firms(session, live, chosen) if live else 0
