"""The matching benchmark's set-up holds: our rule set and an independent JsonLogic interpreter
(the benchmark's peer) agree on every synthetic product, one productMatches page runs, and a run
ends with its figures as one JSON line."""

from __future__ import annotations

import json
import sys

from json_logic import jsonLogic

from benchmarks.matching import FIRM, PAGE, main, make_products, ours, peer_data, to_json_logic
from matching.rank import prepare
from matching.rules import Status, parse_rule
from matching.ruleset import RuleSet


def test_our_answers_equal_an_independent_interpreter_on_the_benchmark_products():
    # given 400 synthetic products and a firm with every fact known
    products = make_products(400, seed=7)
    rules = [parse_rule(raw) for _, raw in products]
    rule_set = RuleSet(rules)

    # when both answer
    ours_answers = [status is Status.ELIGIBLE for status in rule_set.statuses(FIRM)]
    peer_answers = [bool(jsonLogic(to_json_logic(raw), peer_data(FIRM))) for _, raw in products]

    # then they agree, and the set is neither all eligible nor none
    assert ours_answers == peer_answers
    assert 0 < sum(ours_answers) < len(products)


def test_one_page_of_matches_is_ranked_and_explained():
    products = make_products(200, seed=8)
    rules = [parse_rule(raw) for _, raw in products]
    index = prepare([product for product, _ in products])

    ranked, explained = ours(RuleSet(rules), rules, index, FIRM)

    assert ranked == PAGE and explained >= 1


def test_the_last_line_is_one_json_object_with_the_figures(monkeypatch, capsys):
    # given a small run
    monkeypatch.setattr(sys, "argv", ["matching", "--products", "300", "--runs", "3"])

    # when
    main()

    # then
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["benchmark"] == "matching" and figures["products"] == 300
    assert figures["p50_ms"] > 0 and figures["ratio"] > 0
