"""An enterprise's facts as last stored in ``enterprise_features`` (what the matcher reads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.enterprises.models import EnterpriseFeatures
from matching.facts import FACT_TYPES


def facts_of(row: EnterpriseFeatures | None) -> dict[str, Any]:
    """The rule-language facts of a stored features row (None where unknown or no row yet)."""
    return {name: getattr(row, name, None) if row is not None else None for name in FACT_TYPES}


async def stored_facts(session: AsyncSession, enterprise_id: int) -> dict[str, Any]:
    """The stored facts of one enterprise (every fact None before its first computation)."""
    return facts_of(await session.get(EnterpriseFeatures, enterprise_id))
