"""Incremental matching: a firm whose features change, or that is newly verified, is told of the
live policies it now qualifies for (and not again of those it was told of already).

Called in the transaction that refreshed the firms' features, with the firms of that chunk: one
statement finds the live policies, then one ``INSERT … SELECT`` per live policy restricted to
those firms (the unique (policy, enterprise) index makes it idempotent). The work is per chunk of
changed firms, never per firm, so a bulk load of thousands of firms costs a few statements.

Only *live* policies count (``targeting.is_live``): ACTIVE, within their validity and pushed
at least once. Until government staff push a policy, no firm is told of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.enterprises.models import EnterpriseFeatures
from backend.policies.push import tell_firms
from backend.policies.targeting import policies_in_force
from matching.rules import RuleError

log = logging.getLogger("xinrong.policies.incremental")


async def tell_changed(
    session: AsyncSession, enterprise_ids: Iterable[int], today: date | None = None
) -> int:
    """Tell the firms ``enterprise_ids`` (features already refreshed) of the live policies they
    now qualify for; returns how many messages were written."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return 0
    told = 0
    chosen = EnterpriseFeatures.__table__.c.enterprise_id.in_(ids)
    for policy in await policies_in_force(session, today or china_today(), pushed_only=True):
        try:
            told += await tell_firms(session, policy, chosen)
        except RuleError:
            # A stored rule passed the checks when published; one that no longer parses (a fact
            # renamed by a later catalogue) must not stop the firm's own data from being saved.
            log.error("policy %s: stored rule does not parse; firms not told", policy.id)
    return told
