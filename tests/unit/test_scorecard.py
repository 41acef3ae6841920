"""The scorecard: demo grades, explanations, bounds, monotonicity and the card file."""

from __future__ import annotations

import copy
import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.facts import ENUM_VALUES, FACT_TYPES
from matching.features import compute_facts_with_sources
from matching.scorecard import (
    DEFAULT_PATH,
    Evaluation,
    ScorecardError,
    evaluate,
    load_scorecard,
    parse_scorecard,
)

DEMO_DIR = Path(__file__).resolve().parents[2] / "seed_products" / "demo"
TODAY = date(2026, 11, 21)
SHUNDA = "91371302MA3CDXY10K"  # 临沂沂蒙顺达物流有限公司
LIJI = "92371311MA3DXY201A"  # 罗庄区李记五金店
GOUQI = "93640100MA7DXY302U"  # 银川塞上枸杞种植专业合作社
ZHIXIN = "91320505MA1DXY4036"  # 苏州智芯微电子科技有限公司
GUANGZHOU_DIMENSIONS = ("遵纪守法", "履约践诺", "资质荣誉", "社会责任", "监管风险")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
CARD = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def demo_evaluation(uscc: str) -> Evaluation:
    """The evaluation of a demo enterprise's records visible on TODAY."""
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(DEMO_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row["uscc"] == uscc:
                records[path.stem].append(row)
    records["admin_penalty"] = [
        r for r in records["admin_penalty"] if date.fromisoformat(r["publicity_until"]) >= TODAY
    ]
    registration = records.pop("registration")[0]
    computed = compute_facts_with_sources(registration=registration, records=records, today=TODAY)
    return evaluate(computed.values, declared=computed.declared)


def _points(evaluation: Evaluation) -> dict[str, int]:
    return {f.name: f.points for f in evaluation.factors}


# ---- the four demo enterprises ---------------------------------------------------------------


def test_demo_enterprises_get_four_different_grades_in_order() -> None:
    # 顺达: A taxpayer, clean record, honours, ten years             -> 96 A+
    # 合作社: clean record, new (M) taxpayer, little tax and staff       -> 82 A
    # 李记: a publicised penalty and water arrears now                  -> 68 C
    # 智芯: serious penalty and a court enforcement case in three years -> 57 D (high-tech or not)
    shunda, gouqi, liji, zhixin = (demo_evaluation(u) for u in (SHUNDA, GOUQI, LIJI, ZHIXIN))
    assert [e.grade for e in (shunda, gouqi, liji, zhixin)] == ["A+", "A", "C", "D"]
    assert shunda.score > gouqi.score > liji.score > zhixin.score
    assert (shunda.score, gouqi.score, liji.score, zhixin.score) == (96, 82, 68, 57)


def test_demo_factors_say_why() -> None:
    liji, zhixin = demo_evaluation(LIJI), demo_evaluation(ZHIXIN)
    assert _points(liji)["公用事业缴费"] < 0
    assert _points(liji)["行政处罚"] < 0
    assert _points(zhixin)["严重违法失信行为"] == -15
    assert _points(zhixin)["强制执行"] < 0
    assert _points(zhixin)["高新技术企业"] > 0
    shunda = demo_evaluation(SHUNDA)
    by_name = {f.name: f for f in shunda.factors}
    assert by_name["纳税信用"].explanation == "最近年度纳税信用等级为 A 级"
    assert by_name["纳税贡献"].explanation == "最近年度纳税 161.88 万元"
    assert by_name["荣誉表彰"].explanation == "近三年获得 2 项荣誉表彰"
    assert sum(shunda.dimension_points().values()) + shunda.base_score == shunda.score


@pytest.mark.parametrize("uscc", [SHUNDA, LIJI, GOUQI, ZHIXIN])
def test_every_factor_is_listed_with_a_chinese_explanation(uscc: str) -> None:
    evaluation = demo_evaluation(uscc)
    card = load_scorecard()
    assert [f.name for f in evaluation.factors] == [f.name for f in card.factors]
    assert {f.dimension for f in evaluation.factors} == set(GUANGZHOU_DIMENSIONS)
    for factor in evaluation.factors:
        assert CHINESE.search(factor.explanation), factor
        assert "{" not in factor.explanation and "None" not in factor.explanation
    assert evaluation.version == CARD["version"]


# ---- missing and declared data ----------------------------------------------------------------


def test_missing_facts_score_zero_and_say_no_data() -> None:
    evaluation = evaluate(dict.fromkeys(FACT_TYPES))
    assert evaluation.score == CARD["base_score"] == 60
    assert evaluation.grade == "C"
    for factor in evaluation.factors:
        assert factor.points == 0
        assert factor.explanation == f"{factor.name}：暂无数据"


def test_one_missing_fact_gives_zero_for_its_factor_only() -> None:
    facts = _good_facts()
    facts["tax_credit_grade"] = None
    points = {f.name: (f.points, f.explanation) for f in evaluate(facts).factors}
    assert points["纳税信用"] == (0, "纳税信用：暂无数据")
    assert points["行政处罚"][0] > 0


def test_declared_figures_score_half_and_say_so() -> None:
    facts = _good_facts() | {"employees": 150}
    official = {f.name: f for f in evaluate(facts).factors}["吸纳就业"]
    declared = {f.name: f for f in evaluate(facts, declared={"employees"}).factors}["吸纳就业"]
    assert official.points == 3
    assert declared.points == 2  # 1.5 rounded half away from zero
    assert declared.explanation == "从业（参保）人数 150 人（自主填报）"
    assert not official.explanation.endswith("（自主填报）")


def test_declared_negative_points_are_halved_too() -> None:
    card = _card_with(
        {
            "name": "员工规模",
            "fact": "employees",
            "explanation": "{employees} 人",
            "bands": [{"max": 2, "points": -5}, {"points": 1}],
        }
    )
    evaluation = evaluate({"employees": 1}, declared={"employees"}, card=card)
    assert evaluation.factors[0].points == -3


# ---- properties -------------------------------------------------------------------------------


def _fact_strategy(fact: str) -> st.SearchStrategy[Any]:
    kind = FACT_TYPES[fact]
    if fact in ENUM_VALUES:
        value: st.SearchStrategy[Any] = st.sampled_from(ENUM_VALUES[fact])
    elif kind == "boolean":
        value = st.booleans()
    elif kind == "number":
        value = st.one_of(
            st.integers(min_value=-10, max_value=10**9),
            st.decimals(min_value=0, max_value=10**9, places=2),
        )
    else:
        value = st.text(max_size=8)
    return st.one_of(st.none(), value)


FACTS = st.fixed_dictionaries({fact: _fact_strategy(fact) for fact in FACT_TYPES})
DECLARED = st.sets(st.sampled_from(sorted(FACT_TYPES)))


@settings(max_examples=300, deadline=None)
@given(facts=FACTS, declared=DECLARED)
def test_score_is_within_bounds_and_deterministic(
    facts: dict[str, Any], declared: set[str]
) -> None:
    first = evaluate(facts, declared=declared)
    assert 0 <= first.score <= 100
    assert first.grade in ENUM_VALUES["credit_grade"]
    assert len(first.factors) == len(load_scorecard().factors)
    assert all(CHINESE.search(f.explanation) for f in first.factors)
    assert evaluate(dict(reversed(list(facts.items()))), declared=set(declared)) == first


# Each fact's values from better to worse.
WORSE: dict[str, list[Any]] = {
    "admin_penalties_3y": [0, 1, 2, 3, 7],
    "serious_penalties_3y": [0, 1, 2, 5],
    "has_utility_arrears": [False, True],
    "on_dishonest_list": [False, True],
    "on_abnormal_list": [False, True],
    "has_enforcement": [False, True],
    "tax_credit_grade": ["A", "B", "M", "C", "D"],
}


@settings(max_examples=300, deadline=None)
@given(
    facts=FACTS,
    declared=DECLARED,
    fact=st.sampled_from(sorted(WORSE)),
    data=st.data(),
)
def test_a_worse_value_never_raises_the_score(
    facts: dict[str, Any], declared: set[str], fact: str, data: st.DataObject
) -> None:
    values = WORSE[fact]
    better = data.draw(st.integers(0, len(values) - 2))
    worse = data.draw(st.integers(better + 1, len(values) - 1))
    good = evaluate(facts | {fact: values[better]}, declared=declared)
    bad = evaluate(facts | {fact: values[worse]}, declared=declared)
    assert bad.score <= good.score


def test_grade_bands() -> None:
    card = load_scorecard()
    assert [g.grade for g in card.grades] == list(ENUM_VALUES["credit_grade"])
    expected = {100: "A+", 90: "A+", 89: "A", 80: "A", 79: "B", 70: "B", 69: "C", 60: "C", 59: "D"}
    for score, grade in expected.items():
        assert card.grade_for(score) == grade
    assert card.grade_for(0) == "D"


def test_best_facts_score_100_and_worst_clamp_at_0() -> None:
    assert evaluate(_good_facts()).score == 100
    worst = _good_facts() | {
        "admin_penalties_3y": 9,
        "serious_penalties_3y": 9,
        "on_dishonest_list": True,
        "tax_credit_grade": "D",
        "has_utility_arrears": True,
        "has_enforcement": True,
        "on_abnormal_list": True,
    }
    evaluation = evaluate(worst)
    assert evaluation.score == 0 and evaluation.grade == "D"


# ---- the card file ----------------------------------------------------------------------------


def test_card_file_is_versioned_and_sourced() -> None:
    card = load_scorecard()
    assert card is load_scorecard()  # cached
    assert card.version == CARD["version"]
    assert card.dimensions == GUANGZHOU_DIMENSIONS
    assert all(name in card.source for name in GUANGZHOU_DIMENSIONS)
    assert card.declared_weight == Decimal("0.5")
    positive = sum(
        max([o.points for o in f.cases.values()] + [b.outcome.points for b in f.bands])
        for f in card.factors
    )
    assert card.base_score + positive == 100


def test_condition_factors_use_three_valued_logic() -> None:
    card = _card_with(
        {
            "name": "守信激励",
            "condition": {
                "any": [
                    {"fact": "tax_credit_grade", "op": "in", "value": ["A"]},
                    {"fact": "annual_tax_paid", "op": "gte", "value": 1000000},
                ]
            },
            "explanation": "守信激励",
            "cases": {"true": {"points": 5}, "false": {"points": 0}},
        }
    )

    def points(**facts: Any) -> tuple[int, str]:
        factor = evaluate(facts, card=card).factors[0]
        return factor.points, factor.explanation

    assert points(tax_credit_grade="A", annual_tax_paid=None) == (5, "守信激励")
    assert points(tax_credit_grade="B", annual_tax_paid=Decimal("1000000.00")) == (5, "守信激励")
    assert points(tax_credit_grade="B", annual_tax_paid=10) == (0, "守信激励")
    assert points(tax_credit_grade="B", annual_tax_paid=None) == (0, "守信激励：暂无数据")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.update(fact="profit"), "unknown fact"),
        (lambda f: f.update(fact="credit_score"), "cannot read"),
        (lambda f: f["cases"].pop("D"), "keys must be exactly"),
        (lambda f: f.update(explanation="{annual_tax_paid} 元"), "not a fact it reads"),
        (lambda f: f.update(explanation="{tax_credit_grade:亿元}"), "unknown format"),
        (lambda f: f["cases"]["A"].update(points=1.5), "whole number"),
        (lambda f: f.update(bands=[{"points": 1}]), "bands need a number fact"),
        (lambda f: f.update(condition={"fact": "x"}), "exactly one of fact and condition"),
    ],
)
def test_bad_factors_are_refused(change: Any, message: str) -> None:
    raw = copy.deepcopy(CARD)
    tax = raw["dimensions"][1]["factors"][0]
    assert tax["fact"] == "tax_credit_grade"
    change(tax)
    with pytest.raises(ScorecardError, match=message):
        parse_scorecard(raw)


def test_bad_bands_and_grades_are_refused() -> None:
    raw = copy.deepcopy(CARD)
    raw["dimensions"][0]["factors"][0]["bands"][-1]["min"] = 3
    with pytest.raises(ScorecardError, match="last band"):
        parse_scorecard(raw)
    raw = copy.deepcopy(CARD)
    raw["grades"][-1]["min"] = 10
    with pytest.raises(ScorecardError, match="start at 0"):
        parse_scorecard(raw)
    raw = copy.deepcopy(CARD)
    raw["grades"][0]["min"] = 50
    with pytest.raises(ScorecardError, match="fall strictly"):
        parse_scorecard(raw)


# ---- helpers ----------------------------------------------------------------------------------


def _good_facts() -> dict[str, Any]:
    return dict.fromkeys(FACT_TYPES) | {
        "admin_penalties_3y": 0,
        "serious_penalties_3y": 0,
        "on_dishonest_list": False,
        "tax_credit_grade": "A",
        "has_utility_arrears": False,
        "has_enforcement": False,
        "is_high_tech": True,
        "honors_3y": 3,
        "employees": 300,
        "annual_tax_paid": Decimal("5000000"),
        "on_abnormal_list": False,
        "years_in_business": 20,
    }


def _card_with(factor: dict[str, Any]) -> Any:
    raw = copy.deepcopy(CARD)
    raw["dimensions"] = [{"name": "测试", "factors": [factor]}]
    return parse_scorecard(raw)
