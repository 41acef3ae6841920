"""Rules answered together (``RuleSet``: shared clauses, big-integer sets) answer as one rule at a
time does, and pick out the rules with given answers as going through them would; an evaluation
keeps each node's truth; near misses (what-ifs from one evaluation's outcomes, or from the
caller's evaluation) are those ``truth_with`` gives."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.rules import (
    Group,
    Negation,
    Node,
    Rule,
    Status,
    evaluate,
    kleene_truth,
    parse_rule,
    status_of,
    truth_with,
)
from matching.ruleset import RuleSet
from matching.whatif import MAX_CHANGES, NearMiss, change_for, near_miss

LEAVES = [
    {"fact": "years_in_business", "op": "gte", "value": 2},
    {"fact": "years_in_business", "op": "between", "value": [1, 5]},
    {"fact": "employees", "op": "lt", "value": 50},
    {"fact": "employees", "op": "eq", "value": 8},
    {"fact": "annual_tax_paid", "op": "gte", "value": 50000},
    {"fact": "credit_grade", "op": "gte", "value": "B"},
    {"fact": "tax_credit_grade", "op": "in", "value": ["A", "B"]},
    {"fact": "region_code", "op": "within_region", "value": "3713"},
    {"fact": "is_high_tech", "op": "eq", "value": True},
    {"fact": "on_dishonest_list", "op": "eq", "value": True},
]

_rules = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4).map(lambda kids: {"all": kids}),
        st.lists(children, min_size=1, max_size=4).map(lambda kids: {"any": kids}),
        children.map(lambda kid: {"not": kid}),
    ),
    max_leaves=8,
)
_firms = st.fixed_dictionaries(
    {
        "years_in_business": st.sampled_from([None, 0, 1, 2, 6]),
        "employees": st.sampled_from([None, 8, 40, 120]),
        "annual_tax_paid": st.sampled_from([None, Decimal(0), Decimal(80000)]),
        "credit_grade": st.sampled_from([None, "A+", "B", "C"]),
        "tax_credit_grade": st.sampled_from([None, "A", "M"]),
        "region_code": st.sampled_from([None, "371302", "320505"]),
        "is_high_tech": st.sampled_from([None, True, False]),
        "on_dishonest_list": st.sampled_from([None, True, False]),
    }
)


@settings(max_examples=300, deadline=None)
@given(raws=st.lists(_rules, min_size=1, max_size=25), firms=st.lists(_firms, max_size=4))
def test_a_rule_set_answers_as_each_rule_does(
    raws: list[dict[str, Any]], firms: list[dict[str, Any]]
) -> None:
    # given many rules sharing clauses, prepared together
    rules = [parse_rule(raw) for raw in raws]
    rule_set = RuleSet(rules)

    # when / then every firm gets each rule's own answer, in rule order
    for firm in firms:
        statuses = rule_set.statuses(firm)
        assert statuses == [evaluate(rule, firm).status for rule in rules]
        # and the rules with given answers are picked out as going through them would
        answers = rule_set.answers(firm)
        for chosen in ([Status.ELIGIBLE], [Status.INELIGIBLE, Status.UNKNOWN], list(Status)):
            expected = [i for i, status in enumerate(statuses) if status in chosen]
            assert answers.positions(*chosen) == expected == list(answers.where(*chosen))


def test_an_empty_rule_set_answers_nothing() -> None:
    assert RuleSet([]).statuses({}) == []
    assert RuleSet([]).answers({}).positions(Status.ELIGIBLE) == []


@settings(max_examples=300, deadline=None)
@given(raw=_rules, firm=_firms)
def test_an_evaluation_keeps_every_nodes_truth(raw: dict[str, Any], firm: dict[str, Any]) -> None:
    # given
    rule = parse_rule(raw)

    # when
    result = evaluate(rule, firm)

    # then each node's truth is ``kleene_truth``'s, and the root's gives the status
    outcomes = {id(r.condition): r.outcome for r in result.results}
    nodes: list[Node] = [rule.root]
    while nodes:
        node = nodes.pop()
        assert result.truths[id(node)] is kleene_truth(node, outcomes)
        if isinstance(node, Group):
            nodes.extend(node.children)
        elif isinstance(node, Negation):
            nodes.append(node.child)
    assert status_of(result.truths[id(rule.root)]) is result.status


def _near_miss_by_truth_with(rule: Rule, firm: dict[str, Any]) -> NearMiss | None:
    """``near_miss`` as first written: every combination answered by ``truth_with``."""
    result = evaluate(rule, firm)
    if result.status is not Status.INELIGIBLE:
        return None
    failed = [
        (r, change) for r in result.results if r.satisfied is False and (change := change_for(r))
    ]
    for size in range(1, MAX_CHANGES + 1):
        options = [
            NearMiss(tuple(change for _, change in combo))
            for combo in combinations(failed, size)
            if truth_with(rule, firm, [r.condition for r, _ in combo]) is True
        ]
        if options:
            return min(options, key=lambda miss: (miss.gap, [c.fact for c in miss.changes]))
    return None


@settings(max_examples=400, deadline=None)
@given(raw=_rules, firm=_firms)
def test_near_misses_answer_as_truth_with_does(raw: dict[str, Any], firm: dict[str, Any]) -> None:
    # given
    rule = parse_rule(raw)
    expected = _near_miss_by_truth_with(rule, firm)

    # when the evaluation is made inside, and when the caller gives the one it has
    found = near_miss(rule, firm)
    given_evaluation = near_miss(rule, firm, evaluated=evaluate(rule, firm))

    # then
    assert found == given_evaluation == expected
