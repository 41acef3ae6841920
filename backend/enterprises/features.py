"""Keeping ``enterprise_features`` current: facts and evaluation of each changed enterprise.

Called in the transaction of every change (ingestion, withdrawal, objection, repair) with the
enterprises it touched. Set-based: one records query per chunk of enterprises, then one delete
and one insert, so a bulk load refreshes thousands of enterprises without a query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, delete, func, insert, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.credit.models import CreditRecord
from backend.credit.profile import visible_on
from backend.db.base import utcnow
from backend.declarations.models import Declaration, DeclarationStatus
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.lending import risk
from backend.lending.borrowers import first_time_borrower, platform_borrowers
from backend.policies.incremental import tell_changed
from matching.features import ComputedFacts, compute_facts_with_sources
from matching.scorecard import Evaluation, evaluate

CHUNK = 500
# Facts stored in their own typed column (the rule compiler reads these).
FACT_COLUMNS = tuple(
    c.name
    for c in EnterpriseFeatures.__table__.columns
    if c.name
    not in {"enterprise_id", "declared_facts", "evaluation", "scorecard_version", "computed_at"}
)


def _visible_records_by_probe(today: date) -> Select[tuple[int, str, dict[str, Any]]]:
    """The visible records of ``:ids``, fetched by one index probe per enterprise.

    With a plain IN list over bind parameters PostgreSQL may settle on a generic plan that scans
    the whole table and compares each row with every id: a bulk load (a table grown inside the
    transaction, statistics not yet knowing it) then takes seconds per chunk. OFFSET 0 keeps the
    lateral subquery from being flattened into a join that could become that scan again.
    """
    ids = (
        func.unnest(bindparam("ids", type_=ARRAY(BigInteger)))
        .table_valued("id")
        .render_derived(name="e")
    )
    records = (
        select(CreditRecord.category, CreditRecord.fields)
        .where(CreditRecord.enterprise_id == ids.c.id, visible_on(today))
        .offset(0)
        .lateral("r")
    )
    return select(ids.c.id, records.c.category, records.c.fields).select_from(
        ids.join(records, true())
    )


# Declared business figures count (at reduced weight) until government staff reject them.
USABLE_DECLARATIONS = (DeclarationStatus.PENDING.value, DeclarationStatus.CONFIRMED.value)


async def declared_figures(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Enterprise id → its current declared business figures (经营情况: employees, revenue…)."""
    rows = await session.execute(
        select(Declaration.enterprise_id, Declaration.content).where(
            Declaration.enterprise_id.in_(ids),
            Declaration.category == "operations",
            Declaration.is_current.is_(True),
            Declaration.status.in_(USABLE_DECLARATIONS),
        )
    )
    return {enterprise_id: content for enterprise_id, content in rows}


def facts_and_evaluation(
    enterprise: Enterprise,
    by_category: dict[str, list[dict[str, Any]]],
    declared: dict[str, Any] | None,
    today: date,
    has_platform_loan: bool = False,
) -> tuple[ComputedFacts, Evaluation]:
    """The facts of one enterprise from its visible records and declarations, and its score."""
    computed = compute_facts_with_sources(
        registration=(by_category.get("registration") or [None])[0],
        records=dict(by_category),
        declarations=declared,
        today=today,
        first_time_borrower=first_time_borrower(has_platform_loan, declared),
        entity_type=enterprise.entity_type,
        region_code=enterprise.region_code,
    )
    return computed, evaluate(computed.values, declared=computed.declared)


def _column_value(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def feature_values(
    computed: ComputedFacts,
    result: Evaluation,
    by_category: dict[str, list[dict[str, Any]]],
    today: date,
) -> dict[str, Any]:
    """The ``enterprise_features`` columns of one enterprise (all but its id and
    ``computed_at``): every fact in its typed column, the score and grade, the evaluation."""
    facts = {**computed.values, "credit_score": result.score, "credit_grade": result.grade}
    return {
        **{name: _column_value(facts.get(name)) for name in FACT_COLUMNS},
        "declared_facts": sorted(computed.declared),
        "evaluation": {
            "score": result.score,
            "grade": result.grade,
            "version": result.version,
            "as_of": today.isoformat(),
            **risk.arrears_markers(by_category, today),
        },
        "scorecard_version": result.version,
    }


async def refresh_features(
    session: AsyncSession, enterprise_ids: Iterable[int], today: date | None = None
) -> int:
    """Recompute and store the features of ``enterprise_ids``; returns how many were written."""
    today = today or china_today()
    ids = sorted(set(enterprise_ids))
    written = 0
    postgresql = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        enterprises = {
            e.id: e
            for e in (
                await session.execute(select(Enterprise).where(Enterprise.id.in_(chunk)))
            ).scalars()
        }
        records: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        if postgresql:
            rows = await session.execute(_visible_records_by_probe(today), {"ids": chunk})
        else:
            rows = await session.execute(
                select(
                    CreditRecord.enterprise_id, CreditRecord.category, CreditRecord.fields
                ).where(CreditRecord.enterprise_id.in_(chunk), visible_on(today))
            )
        for enterprise_id, category, fields in rows:
            records[enterprise_id][category].append(fields)
        declared = await declared_figures(session, chunk)
        borrowers = await platform_borrowers(session, chunk)
        # Borrowers' features before the change: new negative facts alert their lenders.
        before = await risk.borrower_features(session, chunk)
        now = utcnow()
        values = []
        for enterprise_id, enterprise in enterprises.items():
            computed, result = facts_and_evaluation(
                enterprise,
                records.get(enterprise_id, {}),
                declared.get(enterprise_id),
                today,
                has_platform_loan=enterprise_id in borrowers,
            )
            values.append(
                {
                    "enterprise_id": enterprise_id,
                    **feature_values(computed, result, records.get(enterprise_id, {}), today),
                    "computed_at": now,
                }
            )
        await session.execute(
            delete(EnterpriseFeatures).where(EnterpriseFeatures.enterprise_id.in_(chunk))
        )
        if values:
            await session.execute(insert(EnterpriseFeatures), values)
            # Firms that now qualify for a live policy are told of it (once per policy).
            await tell_changed(session, [v["enterprise_id"] for v in values], today)
        if before:
            changes = [
                risk.FeatureChange(v["enterprise_id"], enterprises[v["enterprise_id"]].name, b, v)
                for v in values
                if (b := before.get(v["enterprise_id"])) is not None
            ]
            await risk.raise_alerts(session, changes, today)
        written += len(values)
    return written


async def refresh_expired(session: AsyncSession, today: date | None = None) -> int:
    """Refresh the enterprises whose stored features still count a record whose publicity
    period has ended since they were computed (run daily); returns how many were refreshed."""
    today = today or china_today()
    rows = await session.execute(
        select(
            CreditRecord.enterprise_id, CreditRecord.visible_until, EnterpriseFeatures.evaluation
        )
        .join(EnterpriseFeatures, EnterpriseFeatures.enterprise_id == CreditRecord.enterprise_id)
        .where(CreditRecord.is_current.is_(True), CreditRecord.visible_until < today)
    )
    # Stale: computed for a day on which the record was still visible.
    stale = {
        enterprise_id
        for enterprise_id, visible_until, evaluation in rows
        if visible_until >= date.fromisoformat(evaluation.get("as_of", "0001-01-01"))
    }
    return await refresh_features(session, stale, today)
