"""Property: a rule evaluated in Python and the same rule compiled to SQL over
``enterprise_features`` give the same answer (ELIGIBLE, INELIGIBLE or UNKNOWN) for every
enterprise, on SQLite and on PostgreSQL. Hypothesis draws the rules and the enterprises."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, delete, insert, not_, select
from sqlalchemy.ext.asyncio import create_async_engine

from backend.enterprises.models import Enterprise, EnterpriseFeatures
from matching.facts import CATALOG, Fact
from matching.rules import Status, compile_to_sql, evaluate, parse_rule

FIRMS = 6
REGIONS = ("371302", "371311", "371300", "320505", "640104", "110105")
REGION_PREFIXES = ("37", "3713", "371302", "32", "64", "640104")
INDUSTRIES = ("C13", "C39", "G54", "I65", "A01", "C")
NUMBERS = (0, 1, 2, 3, 5, 10, 50, 300, 99999, 100000, 100000.5, 2500000)


def numbers(fact: Fact) -> st.SearchStrategy[Any]:
    """Values drawn from a small pool so that rules and firms meet at the boundaries."""
    if fact.integer or fact.name == "years_in_business":
        return st.sampled_from([n for n in NUMBERS if isinstance(n, int)])
    return st.sampled_from(NUMBERS).map(lambda n: Decimal(str(n)).quantize(Decimal("0.01")))


def fact_value(fact: Fact) -> st.SearchStrategy[Any]:
    """A value of ``fact`` as an enterprise could have it."""
    if fact.kind == "number":
        return numbers(fact)
    if fact.kind == "boolean":
        return st.booleans()
    if fact.kind == "region":
        return st.sampled_from(REGIONS)
    if fact.kind == "industry":
        return st.sampled_from(INDUSTRIES)
    return st.sampled_from(fact.values)


def rule_value(fact: Fact, op: str) -> st.SearchStrategy[Any]:
    """A JSON value for ``op`` on ``fact``."""
    if op in ("within_region", "within_industry"):
        pool = REGION_PREFIXES if op == "within_region" else INDUSTRIES
        return st.one_of(
            st.sampled_from(pool), st.lists(st.sampled_from(pool), min_size=1, max_size=3)
        )
    if op in ("in", "not_in"):
        return st.lists(fact_value(fact), min_size=1, max_size=3)
    if op == "between":
        order = fact.values.index if fact.kind == "enum" else (lambda v: v)
        return st.tuples(fact_value(fact), fact_value(fact)).map(
            lambda pair: sorted(pair, key=order)
        )
    value = fact_value(fact)
    if fact.kind == "number":
        return value.map(lambda v: v if isinstance(v, int) else float(v))
    return value


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    """One ``{fact, op, value}``."""
    fact = draw(st.sampled_from(sorted(CATALOG.values(), key=lambda f: f.name)))
    op = draw(st.sampled_from(sorted(fact.operators)))
    value = draw(rule_value(fact, op))
    if op == "between":
        value = [float(v) if isinstance(v, Decimal) else v for v in value]
    return {"fact": fact.name, "op": op, "value": value}


RULES = st.recursive(
    conditions(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"all": c}),
        st.lists(children, min_size=1, max_size=4).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=8,
)
FIRM = st.fixed_dictionaries(
    {name: st.one_of(st.none(), fact_value(fact)) for name, fact in CATALOG.items()}
)


async def _create_firms(engine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(Enterprise),
            [
                {
                    "id": i,
                    "uscc": f"91371302MA000000{i:02d}",
                    "name": f"企业{i}",
                    "entity_type": "enterprise",
                    "region_code": "371302",
                    "legal_rep_name": "张三",
                    "legal_rep_id_cipher": "x",
                    "legal_rep_id_hash": "x",
                    "legal_rep_id_masked": "x",
                }
                for i in range(1, FIRMS + 1)
            ],
        )


async def _sql_answers(engine, rule, firms: list[dict[str, Any]]) -> dict[int, Status]:
    expression = compile_to_sql(rule, EnterpriseFeatures.__table__.c)
    answer = case((expression, 1), (not_(expression), 0), else_=None)
    async with engine.begin() as connection:
        await connection.execute(delete(EnterpriseFeatures))
        await connection.execute(
            insert(EnterpriseFeatures),
            [
                {"enterprise_id": i, **firm, "declared_facts": [], "evaluation": {}}
                for i, firm in enumerate(firms, start=1)
            ],
        )
        rows = await connection.execute(
            select(EnterpriseFeatures.enterprise_id, answer).order_by(
                EnterpriseFeatures.enterprise_id
            )
        )
        statuses = {1: Status.ELIGIBLE, 0: Status.INELIGIBLE, None: Status.UNKNOWN}
        return {firm_id: statuses[value] for firm_id, value in rows}


def test_python_and_sql_agree_on_every_rule_and_firm(database_url):
    loop = asyncio.new_event_loop()
    engine = create_async_engine(database_url)
    loop.run_until_complete(_create_firms(engine))
    checked = {"rules": 0, "answers": set()}

    @settings(
        max_examples=250,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
    )
    @given(raw=RULES, firms=st.lists(FIRM, min_size=1, max_size=FIRMS))
    def agree(raw: dict[str, Any], firms: list[dict[str, Any]]) -> None:
        rule = parse_rule(raw)
        in_sql = loop.run_until_complete(_sql_answers(engine, rule, firms))
        in_python = {i: evaluate(rule, firm).status for i, firm in enumerate(firms, start=1)}
        assert in_sql == in_python, raw
        checked["rules"] += 1
        checked["answers"] |= set(in_python.values())

    try:
        agree()
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
    # the draws reached all three answers, so the property is not vacuous
    assert checked["answers"] == {Status.ELIGIBLE, Status.INELIGIBLE, Status.UNKNOWN}
