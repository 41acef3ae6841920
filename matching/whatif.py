"""Near misses and what-if: the smallest change that would make an ineligible firm eligible.

A rule the firm fails is a near miss when making one or two of its failed conditions hold (and
nothing else) makes the whole rule hold. Facts the firm cannot act on (its region, industry,
entity type, whether it borrowed before) are never suggested. Among the changes that would do,
the one with the fewest conditions, then the smallest relative gap, comes first:
``年纳税额需再增加4万元（当前6万元，需≥10万元）``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any, Final

from matching.facts import OP_SYMBOLS
from matching.rule_messages import NEGATED_OP, number_text, value_text
from matching.rules import (
    ConditionResult,
    Facts,
    Node,
    Rule,
    RuleResult,
    Status,
    evaluate,
    kleene_truth,  # the evaluator ``truth_with`` wraps
)

MAX_CHANGES: Final = 2
_WHOLE_GAP: Final = 1.0  # a yes/no or a grade change counts as one whole step
_NUMBER_STEPS: Final = frozenset({"gte", "gt", "lte", "lt", "between"})  # (``_number_change``)


@dataclass(frozen=True, init=False)
class Change:
    """One condition the firm would have to meet, and how far it is from it."""

    fact: str
    label: str
    message: str
    gap: float

    def __init__(self, fact: str, label: str, message: str, gap: float) -> None:
        """Make the change (still frozen: see ``matching.rank.RankedProduct``)."""
        fields = self.__dict__
        fields["fact"] = fact
        fields["label"] = label
        fields["message"] = message
        fields["gap"] = gap


@dataclass(frozen=True)
class NearMiss:
    """The changes (one or two) that would make the rule hold, smallest first."""

    changes: tuple[Change, ...]

    @property
    def gap(self) -> float:
        """How far, all changes together (the sort key after the number of changes)."""
        return sum(change.gap for change in self.changes)


def _wanted_op(result: ConditionResult) -> str:
    op = result.condition.op
    return NEGATED_OP[op] if result.negated else op


def _number_change(result: ConditionResult, op: str) -> Change | None:
    fact, value = result.condition.fact, result.condition.value
    # (a Decimal is its own ``Decimal(str(…))``: sign, digits and exponent)
    actual = result.actual if type(result.actual) is Decimal else Decimal(str(result.actual))
    below = op == "between" and actual < value[0]
    target = (value[0] if below else value[1]) if op == "between" else value
    if op in ("gte", "gt") or below:
        verb, delta = "再增加", target - actual
    elif op in ("lte", "lt") or op == "between":
        verb, delta = "减少", actual - target
    else:
        return None  # eq / ne on numbers: no sensible step to suggest
    if fact.name == "years_in_business":
        verb = "再满"
    asks = (
        f"需在{number_text(value[0], fact.unit)}至{number_text(value[1], fact.unit)}之间"
        if op == "between"
        else f"需{OP_SYMBOLS[op]}{number_text(value, fact.unit)}"
    )
    message = (
        f"{fact.label}{verb}{number_text(delta, fact.unit)}"
        f"（当前{number_text(actual, fact.unit)}，{asks}）"
    )
    gap = float(abs(delta) / max(abs(target), Decimal(1)))
    return Change(fact.name, fact.label, message, gap)


def change_for(result: ConditionResult) -> Change | None:
    """What the firm would have to change to meet one failed condition (None: nothing it can)."""
    fact = result.condition.fact
    if not fact.changeable or result.actual is None:
        return None
    op = _wanted_op(result)
    if fact.kind == "number":
        return _number_change(result, op)
    if fact.kind == "boolean":
        wanted: Any = not result.actual
        return Change(fact.name, fact.label, f"需{value_text(fact, wanted)}", _WHOLE_GAP)
    if fact.kind == "enum" and fact.ordered and op in ("gte", "gt"):
        target = value_text(fact, result.condition.value)
        message = f"{fact.label}需达到{target}（当前{value_text(fact, result.actual)}）"
        return Change(fact.name, fact.label, message, _WHOLE_GAP)
    return Change(fact.name, fact.label, result.message, _WHOLE_GAP)


def _suggestible(result: ConditionResult) -> bool:
    """Whether ``change_for(result)`` gives a change (without writing its message)."""
    fact = result.condition.fact
    if not fact.changeable or result.actual is None:
        return False
    return fact.kind != "number" or _wanted_op(result) in _NUMBER_STEPS


def _clause_holds(
    clause: Node, known: Mapping[int, bool | None], met: list[ConditionResult]
) -> bool:
    """Whether ``clause`` holds once the ``met`` leaves are as it wants them (else as ``known``)."""
    outcomes = dict(known)
    for result in met:
        outcomes[id(result.condition)] = not result.negated
    return kleene_truth(clause, outcomes) is True


def _holds_with(
    rule: Rule,
    known: Mapping[int, bool | None],
    failing: frozenset[int],
    met: tuple[int, ...],
    results: tuple[ConditionResult, ...],
) -> bool:
    """Whether the rule holds once the leaves numbered ``met`` are as it wants them.

    The rule is the ``all`` of its clauses, and a clause none of those leaves is in keeps its
    truth: the rule holds exactly when each clause that does not hold now (``failing``) has one
    of them, and each clause that has one holds with them (a clause that is one leaf does).
    """
    clause_of = rule.clause_of
    touched: dict[int, list[ConditionResult]] = {}
    for leaf in met:
        touched.setdefault(clause_of[leaf], []).append(results[leaf])
    if not failing.issubset(touched):
        return False
    clauses, plain = rule.clauses, rule.plain_clauses
    return all(
        plain[c] or _clause_holds(clauses[c], known, leaves) for c, leaves in touched.items()
    )


def near_miss(
    rule: Rule,
    facts: Facts,
    max_changes: int = MAX_CHANGES,
    *,
    evaluated: RuleResult | None = None,
) -> NearMiss | None:
    """The smallest change that makes ``rule`` hold for ``facts``, or None when there is none
    within ``max_changes`` conditions (or the firm is not ineligible).

    ``evaluated``: ``evaluate(rule, facts)`` when the caller already has it (it explains the
    same product), so that the rule is not evaluated twice.
    """
    result = evaluate(rule, facts) if evaluated is None else evaluated
    if result.status is not Status.INELIGIBLE:
        return None
    # The what-ifs reuse this evaluation's outcomes (``truth_with`` would test every condition
    # again for each combination), clause by clause: the same answers, at a fraction of the cost.
    results = result.results
    if result.truths:  # (every clause's truth is there)
        known = result.truths
        truths: Iterable[bool | None] = map(known.__getitem__, rule.clause_ids)
    else:
        known = {id(r.condition): r.outcome for r in results}
        truths = (kleene_truth(clause, known) for clause in rule.clauses)
    failing = frozenset(number for number, truth in enumerate(truths) if truth is not True)
    if len(failing) > max_changes:  # each leaf is in one clause: too many to mend
        return None
    failed = [
        number for number, r in enumerate(results) if r.satisfied is False and _suggestible(r)
    ]
    changes: dict[int, Change] = {}  # written only for the combinations that hold
    for size in range(max(1, len(failing)), max_changes + 1):
        options = [
            NearMiss(tuple(_change(changes, results, leaf) for leaf in combo))
            for combo in combinations(failed, size)
            if _holds_with(rule, known, failing, combo, results)
        ]
        if options:
            return min(options, key=lambda miss: (miss.gap, [c.fact for c in miss.changes]))
    return None


def _change(changes: dict[int, Change], results: tuple[ConditionResult, ...], leaf: int) -> Change:
    """``change_for`` of leaf number ``leaf``, once per leaf."""
    made = changes.get(leaf)
    if made is None:
        found = change_for(results[leaf])
        assert found is not None  # (``_suggestible``)
        made = changes[leaf] = found
    return made
