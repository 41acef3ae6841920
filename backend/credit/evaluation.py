"""The enterprise's evaluation: facts from its visible records, scored by the scorecard.

Computed from the current data on every read, so a correction, withdrawal or expiry shows at
once. (Persisting facts in an enterprise-features table for matching comes with the matcher.)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.credit.models import CreditRecord
from backend.credit.profile import visible_on
from backend.enterprises.features import declared_figures, facts_and_evaluation
from backend.enterprises.models import Enterprise
from matching.features import ComputedFacts
from matching.scorecard import Evaluation


async def enterprise_facts(
    session: AsyncSession, enterprise: Enterprise, today: date | None = None
) -> tuple[ComputedFacts, Evaluation]:
    """The rule-language facts of an enterprise and its evaluation, from its visible records
    and declarations (two queries)."""
    today = today or china_today()
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = await session.execute(
        select(CreditRecord.category, CreditRecord.fields).where(
            CreditRecord.enterprise_id == enterprise.id, visible_on(today)
        )
    )
    for category, fields in rows:
        records[category].append(fields)
    declared = await declared_figures(session, [enterprise.id])
    return facts_and_evaluation(enterprise, dict(records), declared.get(enterprise.id), today)


async def evaluate_enterprise(
    session: AsyncSession, enterprise: Enterprise, today: date | None = None
) -> Evaluation:
    """Score and grade an enterprise with the current scorecard."""
    _facts, evaluation = await enterprise_facts(session, enterprise, today)
    return evaluation
