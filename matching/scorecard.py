"""The transparent credit scorecard: facts in, score, grade and the reason for every point out.

The card itself (dimensions, factors, points, grade bands) is data in
``seed_products/scorecard.json``; ``matching.scorecard_spec`` reads and checks it. Here a card is
applied to one enterprise's facts (``matching.features``):

    evaluation = evaluate(facts, declared=computed.declared)

Every factor of the card appears in ``evaluation.factors``, also when its fact is unknown (0 points,
"暂无数据"), so the enterprise sees what was looked at and why it scored what it did.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Set
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from matching.rules import Status
from matching.rules import evaluate as evaluate_rule
from matching.scorecard_spec import (
    FactorSpec,
    Outcome,
    Scorecard,
    ScorecardError,
    parse_scorecard,
)
from matching.values import as_decimal

__all__ = [
    "DEFAULT_PATH",
    "Evaluation",
    "Factor",
    "Scorecard",
    "ScorecardError",
    "evaluate",
    "explain",
    "load_scorecard",
    "parse_scorecard",
]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "seed_products" / "scorecard.json"
MIN_SCORE, MAX_SCORE = 0, 100
_TEN_THOUSAND = Decimal(10000)


@dataclass(frozen=True)
class Factor:
    """One scored factor as the enterprise sees it."""

    name: str
    dimension: str
    points: int
    explanation: str


@dataclass(frozen=True)
class Evaluation:
    """Score (0-100), grade, the card's version and every factor behind the score."""

    score: int
    grade: str
    version: str
    factors: list[Factor]
    base_score: int = 0

    def dimension_points(self) -> dict[str, int]:
        """Points per dimension, in the card's order (base score not included)."""
        totals: dict[str, int] = {}
        for factor in self.factors:
            totals[factor.dimension] = totals.get(factor.dimension, 0) + factor.points
        return totals


@lru_cache(maxsize=8)
def load_scorecard(path: Path = DEFAULT_PATH) -> Scorecard:
    """Read and check a scorecard file (cached per path; the default is the seed card)."""
    with path.open(encoding="utf-8") as handle:
        return parse_scorecard(json.load(handle))


def evaluate(
    facts: Mapping[str, Any],
    *,
    declared: Set[str] = frozenset(),
    card: Scorecard | None = None,
) -> Evaluation:
    """Score ``facts`` with ``card`` (default: the seed card).

    ``declared`` names the facts that rest on the enterprise's own declarations: a factor reading
    one of them scores the card's ``declared_weight`` of its points and says （自主填报）.
    """
    card = card or load_scorecard()
    factors = [_score_factor(spec, facts, declared, card) for spec in card.factors]
    total = card.base_score + sum(f.points for f in factors)
    score = max(MIN_SCORE, min(MAX_SCORE, total))
    return Evaluation(
        score=score,
        grade=card.grade_for(score),
        version=card.version,
        factors=factors,
        base_score=card.base_score,
    )


def _score_factor(
    spec: FactorSpec, facts: Mapping[str, Any], declared: Set[str], card: Scorecard
) -> Factor:
    outcome = _outcome(spec, facts)
    if outcome is None:
        return Factor(spec.name, spec.dimension, 0, f"{spec.name}：{card.missing_explanation}")
    points = outcome.points
    explanation = _render(outcome.explanation, facts)
    if declared & set(spec.facts):
        weighted = Decimal(points) * card.declared_weight
        points = int(weighted.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        explanation += card.declared_suffix
    return Factor(spec.name, spec.dimension, points, explanation)


def _outcome(spec: FactorSpec, facts: Mapping[str, Any]) -> Outcome | None:
    """The case or band that applies, or None when the data to decide is missing."""
    if spec.condition is not None:
        status = evaluate_rule(spec.condition, facts).status
        if status is Status.UNKNOWN:
            return None
        return spec.cases[_case_key(status is Status.ELIGIBLE)]
    value = facts.get(spec.fact or "")
    if value is None:
        return None
    if spec.bands:
        number = as_decimal(value)
        if number is None:
            return None
        return next((b.outcome for b in spec.bands if b.holds(number)), None)
    return spec.cases.get(_case_key(value))


def _case_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Formatter(string.Formatter):
    """``str.format`` plus a ``万元`` spec (yuan shown in 万元, two decimals)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "暂无数据"
        if format_spec == "万元":
            amount = as_decimal(value)
            if amount is None:
                return str(value)
            try:
                wan = (amount / _TEN_THOUSAND).quantize(Decimal("0.01"), ROUND_HALF_UP)
            except ArithmeticError:  # too large to show in 万元 with two decimals
                return str(value)
            return f"{wan:f}"
        return str(super().format_field(value, format_spec))


def _render(template: str, facts: Mapping[str, Any]) -> str:
    return _Formatter().vformat(template, (), _Facts(facts))


class _Facts(dict[str, Any]):
    """Template values: every fact, None for the unknown ones."""

    def __init__(self, facts: Mapping[str, Any]) -> None:
        super().__init__(facts)

    def __missing__(self, key: str) -> Any:
        return None


def explain(evaluation: Evaluation) -> list[str]:
    """One line per factor, ``维度 · 名称 ±分：说明``, for logs and the report's plain-text form."""
    return [f"{f.dimension} · {f.name} {f.points:+d}：{f.explanation}" for f in evaluation.factors]
