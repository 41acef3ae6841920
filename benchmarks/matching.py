"""Matching 5,000 products for one enterprise, against a generic JSON-rules interpreter.

    .venv/bin/python -m benchmarks.matching [--products 5000] [--runs 101]

What is timed, per run, for one enterprise and its demand:

* ours: every product's rule answered in three states (``matching.ruleset.RuleSet.answers``,
  prepared once when products load) and the eligible ones picked out; all eligible products
  scored and ordered, the first page (20) built with its six components and Chinese explanations
  (``matching.rank``); and the first ineligible products explained condition by condition with
  their near miss (``matching.whatif``): what one ``productMatches`` page returns. The demand is
  the same in every run, so its purpose is cut into words once (``matching.text.query_terms``
  keeps recent ones); otherwise only what depends on the products alone, and pure rounding and
  number formatting, is kept from one run to the next.
* peer: the same 5,000 rules translated to JsonLogic and answered by ``json-logic-qubit``
  (``jsonLogic(rule, data)``), true/false only, no ranking, no explanations.

Before timing, both must give the same eligible set (the enterprise has every fact, so three
states reduce to two). Prints a table and, as its last line, one JSON object with p50 times and
the ratio. Timing never fails anything.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from json_logic import jsonLogic

from matching.facts import CATALOG
from matching.rank import DemandView, ProductView, prepare, rank
from matching.rules import Rule, Status, evaluate, parse_rule
from matching.ruleset import RuleSet
from matching.text import warm_up
from matching.whatif import near_miss

PAGE = 20
FIRM: dict[str, Any] = {
    "entity_type": "enterprise",
    "region_code": "371302",
    "industry_code": "G54",
    "size_class": "small",
    "years_in_business": 9,
    "registered_capital": Decimal("5000000"),
    "employees": 86,
    "annual_revenue": Decimal("46820000"),
    "tax_credit_grade": "A",
    "annual_tax_paid": Decimal("1618750"),
    "is_high_tech": False,
    "admin_penalties_3y": 1,
    "serious_penalties_3y": 0,
    "has_enforcement": False,
    "on_dishonest_list": False,
    "on_abnormal_list": False,
    "has_utility_arrears": False,
    "honors_3y": 2,
    "credit_score": 84,
    "credit_grade": "A",
    "is_first_time_borrower": False,
}
DEMAND = DemandView(Decimal("3000000"), 24, "购买冷链运输车辆，扩大物流配送能力")
WORDS = tuple(
    "物流 运输 车辆 冷链 仓储 设备 采购 科技 研发 农业 种植 养殖 流动资金 订单 政府采购 "  # noqa: SIM905
    "纳税 信用 小微 个体 商户 创业 担保 贴息 外贸 出口 制造 技改 专精特新 乡村振兴 合作社".split()
)


def _condition(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(12)
    if choice == 0:
        return {"fact": "years_in_business", "op": "gte", "value": rng.choice([1, 2, 3, 5])}
    if choice == 1:
        return {"fact": "tax_credit_grade", "op": "in", "value": rng.choice([["A"], ["A", "B"]])}
    if choice == 2:
        prefix = rng.choice(["37", "3713", "371302", "371311", "32", "64"])
        return {"fact": "region_code", "op": "within_region", "value": prefix}
    if choice == 3:
        return {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}}
    if choice == 4:
        return {"fact": "credit_grade", "op": "gte", "value": rng.choice(["A", "B", "C"])}
    if choice == 5:
        return {"fact": "employees", "op": "between", "value": [1, rng.choice([50, 100, 300])]}
    if choice == 6:
        kinds = rng.choice([["enterprise"], ["enterprise", "individual_business"]])
        return {"fact": "entity_type", "op": "in", "value": kinds}
    if choice == 7:
        return {
            "any": [
                {"fact": "is_high_tech", "op": "eq", "value": True},
                {"fact": "annual_tax_paid", "op": "gte", "value": rng.choice([50000, 2000000])},
            ]
        }
    if choice == 8:
        return {"fact": "admin_penalties_3y", "op": "lte", "value": rng.choice([0, 1, 2])}
    if choice == 9:
        return {"fact": "has_utility_arrears", "op": "eq", "value": False}
    if choice == 10:
        return {"fact": "annual_revenue", "op": "lte", "value": rng.choice([2e7, 5e7, 1e8])}
    return {"not": {"fact": "on_abnormal_list", "op": "eq", "value": True}}


def make_products(count: int, seed: int = 2026) -> list[tuple[ProductView, dict[str, Any]]]:
    """``count`` synthetic products with 3 to 7 conditions each (deterministic)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    products = []
    for i in range(count):
        low = Decimal(rng.choice([10_000, 100_000, 500_000, 1_000_000]))
        high = low * rng.choice([5, 10, 20, 50])
        rate = Decimal(rng.choice(["0.0345", "0.0385", "0.0435", "0.055", "0.065"]))
        words = rng.sample(WORDS, 6)
        region = rng.choice([(), ("37",), ("3713",), ("371302",), ("32",)])
        product = ProductView(
            id=f"p{i:05d}",
            name=f"{words[0]}{words[1]}贷{i}",
            institution_name=f"银行{i % 60}",
            product_type=rng.choice(["CREDIT", "GUARANTEED", "MORTGAGE", "PLEDGE"]),
            min_amount=low,
            max_amount=high,
            min_term_months=rng.choice([3, 6, 12]),
            max_term_months=rng.choice([12, 24, 36, 60]),
            min_annual_rate=rate,
            max_annual_rate=rate + Decimal("0.02"),
            region_codes=region,
            description="支持" + "、".join(words) + "等融资需求",
            tags=tuple(words[2:5]),
            target_grade=rng.choice(["A", "B", "C", None]),
        )
        rule = {"all": [_condition(rng) for _ in range(rng.randint(3, 7))]}
        products.append((product, rule))
    return products


# --- the peer: JsonLogic ----------------------------------------------------------------------

_PEER_OPS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def to_json_logic(node: dict[str, Any]) -> dict[str, Any]:
    """Our rule as the same JsonLogic rule (ordered grades become the list of good enough ones)."""
    if "all" in node:
        return {"and": [to_json_logic(child) for child in node["all"]]}
    if "any" in node:
        return {"or": [to_json_logic(child) for child in node["any"]]}
    if "not" in node:
        return {"!": to_json_logic(node["not"])}
    fact, op, value = node["fact"], node["op"], node["value"]
    var = {"var": fact}
    spec = CATALOG[fact]
    if spec.kind == "enum" and spec.ordered and op in _PEER_OPS:
        position = spec.values.index(value)
        good = [v for v in spec.values if _compare(op, spec.values.index(v), position)]
        return {"in": [var, good]}
    if op == "in":
        return {"in": [var, value]}
    if op == "not_in":
        return {"!": {"in": [var, value]}}
    if op == "between":
        return {"<=": [value[0], var, value[1]]}
    if op == "within_region":
        prefixes = value if isinstance(value, list) else [value]
        return {"or": [{"==": [{"substr": [var, 0, len(p)]}, p]} for p in prefixes]}
    return {_PEER_OPS[op]: [var, value]}


def _compare(op: str, left: int, right: int) -> bool:
    return {
        "eq": left == right,
        "ne": left != right,
        "lt": left < right,
        "lte": left <= right,
        "gt": left > right,
        "gte": left >= right,
    }[op]


def peer_data(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as JsonLogic reads them (numbers as floats)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in facts.items()}


# --- the runs ---------------------------------------------------------------------------------


def ours(
    rule_set: RuleSet, rules: list[Rule], index: Any, facts: dict[str, Any]
) -> tuple[int, int]:
    """productMatches for one firm: answers, ranking with explanations, a page of the rest."""
    answers = rule_set.answers(facts)
    # The products are in the index's (id) order, as the catalogue keeps them: rank by position.
    eligible = answers.positions(Status.ELIGIBLE)
    ranked = rank(index, facts=facts, demand=DEMAND, positions=eligible, limit=PAGE)
    explained = 0
    for i in answers.where(Status.INELIGIBLE, Status.UNKNOWN):
        result = evaluate(rules[i], facts)
        explained += len([r.message for r in result.unmet]) + len(result.missing_facts)
        near_miss(rules[i], facts, evaluated=result)
        if explained >= PAGE:
            break
    return len(ranked), explained


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Build the products, check both answer alike, time both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=101)
    args = parser.parse_args()

    warm_up()
    products = make_products(args.products)
    started = time.perf_counter()
    rules = [parse_rule(raw) for _, raw in products]
    rule_set = RuleSet(rules)
    index = prepare([product for product, _ in products])
    prepare_s = time.perf_counter() - started
    ids = [product.id for product, _ in products]
    if index.ids != ids:
        raise SystemExit("the products must be made in id order")
    peer_rules = [to_json_logic(raw) for _, raw in products]
    data = peer_data(FIRM)

    ours_eligible = {i for i, s in enumerate(rule_set.statuses(FIRM)) if s is Status.ELIGIBLE}
    peer_eligible = {i for i, rule in enumerate(peer_rules) if jsonLogic(rule, data)}
    if ours_eligible != peer_eligible:
        raise SystemExit(
            f"ours and the peer disagree on {len(ours_eligible ^ peer_eligible)} rules"
        )

    gc.collect()
    ours_ms, peer_ms = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        ranked, _explained = ours(rule_set, rules, index, FIRM)
        ours_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        answered = [bool(jsonLogic(rule, data)) for rule in peer_rules]
        peer_ms.append((time.perf_counter() - start) * 1000)
    assert ranked == min(PAGE, len(ours_eligible)) and len(answered) == len(peer_rules)

    ours_p50, peer_p50 = statistics.median(ours_ms), statistics.median(peer_ms)
    print(f"products {args.products}, eligible {len(ours_eligible)}, runs {args.runs}")
    print(f"prepare (parse, rule set, text index) once: {prepare_s * 1000:.0f} ms")
    print(f"ours  p50 {ours_p50:8.2f} ms   p90 {percentile(ours_ms, 0.9):8.2f} ms")
    print(
        f"peer  p50 {peer_p50:8.2f} ms   p90 {percentile(peer_ms, 0.9):8.2f} ms  (json-logic-qubit)"
    )
    print(f"peer / ours: {peer_p50 / ours_p50:.1f}x")
    print(
        json.dumps(
            {
                "benchmark": "matching",
                "products": args.products,
                "eligible": len(ours_eligible),
                "p50_ms": round(ours_p50, 2),
                "peer": "json-logic-qubit",
                "peer_p50_ms": round(peer_p50, 2),
                "ratio": round(peer_p50 / ours_p50, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
