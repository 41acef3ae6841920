"""The scorecard as data: parsing and checking ``seed_products/scorecard.json``.

A card is refused at load time (``ScorecardError``) rather than mis-scoring later: unknown facts,
case keys that are not the fact's values, bands on a non-number, a last band that does not catch
every value, placeholders that are not facts, grade bands that do not fall to 0.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from matching.facts import ENUM_VALUES, FACT_TYPES
from matching.rules import Rule, RuleError, parse_rule

# The card is an input of credit_score and credit_grade, so it must not read them.
_NOT_SCORABLE = frozenset({"credit_score", "credit_grade"})
_BOOL_KEYS = ("true", "false")


class ScorecardError(ValueError):
    """The scorecard file is malformed; the message names the place."""


@dataclass(frozen=True)
class Outcome:
    """Points and the explanation template shown when a case or band applies."""

    points: int
    explanation: str


@dataclass(frozen=True)
class Band:
    """A numeric band: ``min <= value <= max`` (either bound may be absent)."""

    min: Decimal | None
    max: Decimal | None
    outcome: Outcome

    def holds(self, value: Decimal) -> bool:
        """Whether ``value`` lies in the band."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True)
class FactorSpec:
    """One factor: reads ``fact`` (by cases or bands) or a ``condition`` (by true/false case)."""

    name: str
    dimension: str
    facts: tuple[str, ...]
    fact: str | None
    condition: Rule | None
    cases: Mapping[str, Outcome]
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Grade:
    """A grade band: scores at or above ``min`` (and below the previous band)."""

    grade: str
    min: int
    label: str


@dataclass(frozen=True)
class Scorecard:
    """A whole, versioned scorecard."""

    version: str
    name: str
    source: str
    base_score: int
    declared_weight: Decimal
    declared_suffix: str
    missing_explanation: str
    grades: tuple[Grade, ...]
    dimensions: tuple[str, ...]
    factors: tuple[FactorSpec, ...]

    def grade_for(self, score: int) -> str:
        """The grade of a (clamped) score."""
        return next(g.grade for g in self.grades if score >= g.min)


def parse_scorecard(raw: Mapping[str, Any]) -> Scorecard:
    """Build and check a Scorecard from its JSON document."""
    try:
        weight = Decimal(str(raw.get("declared_weight", "1")))
    except InvalidOperation as exc:
        raise ScorecardError("declared_weight: not a number") from exc
    if not Decimal(0) <= weight <= Decimal(1):
        raise ScorecardError("declared_weight: must lie between 0 and 1")
    factors: list[FactorSpec] = []
    names: list[str] = []
    for d_index, dim in enumerate(_list(raw, "dimensions", "")):
        name = _str(dim, "name", f"dimensions[{d_index}]")
        names.append(name)
        for f_index, factor in enumerate(_list(dim, "factors", f"dimensions[{d_index}]")):
            factors.append(_factor(factor, name, f"dimensions[{d_index}].factors[{f_index}]"))
    if not factors:
        raise ScorecardError("dimensions: the card has no factor")
    return Scorecard(
        version=_str(raw, "version", ""),
        name=str(raw.get("name", "")),
        source=_str(raw, "source", ""),
        base_score=_int(raw.get("base_score"), "base_score"),
        declared_weight=weight,
        declared_suffix=str(raw.get("declared_suffix", "（自主填报）")),
        missing_explanation=str(raw.get("missing_explanation", "暂无数据")),
        grades=_grades(_list(raw, "grades", "")),
        dimensions=tuple(names),
        factors=tuple(factors),
    )


def _factor(raw: Mapping[str, Any], dimension: str, where: str) -> FactorSpec:
    name = _str(raw, "name", where)
    default = _str(raw, "explanation", where)
    fact, condition = raw.get("fact"), raw.get("condition")
    if (fact is None) == (condition is None):
        raise ScorecardError(f"{where}: give exactly one of fact and condition")
    rule: Rule | None = None
    if condition is not None:
        try:
            rule = parse_rule(condition)
        except RuleError as exc:
            raise ScorecardError(f"{where}.condition.{exc.path}: {exc.message}") from exc
        facts = tuple(sorted(rule.facts))
        kind = "boolean"
    else:
        if not isinstance(fact, str) or fact not in FACT_TYPES:
            raise ScorecardError(f"{where}.fact: unknown fact {fact!r}")
        facts, kind = (fact,), FACT_TYPES[fact]
    if set(facts) & _NOT_SCORABLE:
        raise ScorecardError(f"{where}: the score cannot read {sorted(set(facts) & _NOT_SCORABLE)}")
    cases: dict[str, Outcome] = {}
    bands: tuple[Band, ...] = ()
    if "bands" in raw:
        if condition is not None or kind != "number":
            raise ScorecardError(f"{where}.bands: bands need a number fact")
        bands = _bands(_list(raw, "bands", where), default, where)
    else:
        raw_cases = raw.get("cases")
        if not isinstance(raw_cases, Mapping):
            raise ScorecardError(f"{where}: give cases or bands")
        allowed = _BOOL_KEYS if kind == "boolean" else ENUM_VALUES.get(str(fact), ())
        if set(raw_cases) != set(allowed):
            raise ScorecardError(f"{where}.cases: keys must be exactly {list(allowed)}")
        cases = {k: _outcome(v, default, f"{where}.cases.{k}") for k, v in raw_cases.items()}
    for template in [default, *(o.explanation for o in cases.values())] + [
        b.outcome.explanation for b in bands
    ]:
        _check_template(template, facts, where)
    return FactorSpec(
        name=name,
        dimension=dimension,
        facts=facts,
        fact=fact,
        condition=rule,
        cases=cases,
        bands=bands,
    )


def _bands(raw: Sequence[Any], default: str, where: str) -> tuple[Band, ...]:
    bands = []
    for index, item in enumerate(raw):
        at = f"{where}.bands[{index}]"
        if not isinstance(item, Mapping):
            raise ScorecardError(f"{at}: not an object")
        low, high = _number(item.get("min"), at), _number(item.get("max"), at)
        bands.append(Band(min=low, max=high, outcome=_outcome(item, default, at)))
    if not bands or bands[-1].min is not None or bands[-1].max is not None:
        raise ScorecardError(f"{where}.bands: the last band must have no min or max")
    return tuple(bands)


def _outcome(raw: Any, default: str, where: str) -> Outcome:
    if not isinstance(raw, Mapping):
        raise ScorecardError(f"{where}: not an object")
    explanation = raw.get("explanation", default)
    if not isinstance(explanation, str) or not explanation.strip():
        raise ScorecardError(f"{where}.explanation: must be text")
    return Outcome(points=_int(raw.get("points"), f"{where}.points"), explanation=explanation)


def _check_template(template: str, facts: tuple[str, ...], where: str) -> None:
    try:
        parsed = [
            (f, s or "") for _, f, s, _ in string.Formatter().parse(template) if f is not None
        ]
    except ValueError as exc:
        raise ScorecardError(f"{where}: bad explanation template {template!r}") from exc
    for field, spec in parsed:
        if field not in facts:
            raise ScorecardError(f"{where}: explanation names {field!r}, not a fact it reads")
        if spec not in ("", "万元"):
            raise ScorecardError(f"{where}: unknown format {spec!r} (only 万元)")


def _grades(raw: Sequence[Any]) -> tuple[Grade, ...]:
    grades = tuple(
        Grade(
            grade=_str(item, "grade", f"grades[{i}]"),
            min=_int(item.get("min"), f"grades[{i}].min"),
            label=str(item.get("label", "")),
        )
        for i, item in enumerate(raw)
    )
    mins = [g.min for g in grades]
    if not grades or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise ScorecardError("grades: minimums must fall strictly")
    if mins[-1] != 0:
        raise ScorecardError("grades: the last grade must start at 0")
    return grades


def _list(raw: Any, key: str, where: str) -> list[Any]:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(value, list):
        raise ScorecardError(f"{where}.{key}".lstrip(".") + ": must be a list")
    return value


def _str(raw: Any, key: str, where: str) -> str:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        raise ScorecardError(f"{where}.{key}".lstrip(".") + ": must be text")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScorecardError(f"{where}: must be a whole number")
    return int(value)


def _number(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ScorecardError(f"{where}: min/max must be numbers")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ScorecardError(f"{where}: min/max must be numbers") from exc
