"""The rule language: bad rules refused with the path, three-state evaluation, Chinese sentences."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matching.rule_messages import number_text
from matching.rules import RuleError, Status, evaluate, parse_rule

CONTRACT_EXAMPLE = {
    "all": [
        {"fact": "years_in_business", "op": "gte", "value": 2},
        {"fact": "tax_credit_grade", "op": "in", "value": ["A", "B"]},
        {"fact": "region_code", "op": "within_region", "value": "3713"},
        {"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}},
        {
            "any": [
                {"fact": "is_high_tech", "op": "eq", "value": True},
                {"fact": "annual_tax_paid", "op": "gte", "value": 100000},
            ]
        },
    ]
}
GOOD_FIRM = {
    "years_in_business": 5,
    "tax_credit_grade": "A",
    "region_code": "371302",
    "on_dishonest_list": False,
    "is_high_tech": False,
    "annual_tax_paid": Decimal("250000"),
}


def refused(rule) -> tuple[str, str]:
    with pytest.raises(RuleError) as caught:
        parse_rule(rule)
    return caught.value.path, caught.value.message


def test_the_contract_example_is_eligible_for_a_firm_that_meets_it():
    result = evaluate(parse_rule(CONTRACT_EXAMPLE), GOOD_FIRM)

    assert result.status is Status.ELIGIBLE
    assert result.unmet == () and result.missing_facts == ()
    assert len(result.results) == 6


def test_one_failed_condition_makes_it_ineligible_and_says_why():
    firm = {**GOOD_FIRM, "years_in_business": 1}

    result = evaluate(parse_rule(CONTRACT_EXAMPLE), firm)

    assert result.status is Status.INELIGIBLE
    assert [r.message for r in result.unmet] == ["成立年限需≥2年，当前1年"]
    assert result.unmet[0].condition.path == "all[0]"


def test_a_missing_fact_gives_unknown_never_a_guess():
    firm = {**GOOD_FIRM, "tax_credit_grade": None}

    result = evaluate(parse_rule(CONTRACT_EXAMPLE), firm)

    assert result.status is Status.UNKNOWN
    assert result.missing_facts == ("tax_credit_grade",)
    unknown = next(r for r in result.results if r.outcome is None)
    assert unknown.message == "纳税信用等级需为A级、B级之一，当前暂无数据"


def test_a_known_failure_wins_over_a_missing_fact():
    firm = {**GOOD_FIRM, "tax_credit_grade": None, "on_dishonest_list": True}

    result = evaluate(parse_rule(CONTRACT_EXAMPLE), firm)

    assert result.status is Status.INELIGIBLE
    [unmet] = result.unmet
    assert unmet.negated and unmet.message.startswith("需未列入失信名单，当前列入失信")


def test_any_is_satisfied_by_one_known_true_even_with_another_unknown():
    rule = parse_rule(
        {
            "any": [
                {"fact": "is_high_tech", "op": "eq", "value": True},
                {"fact": "annual_tax_paid", "op": "gte", "value": 100000},
            ]
        }
    )

    assert evaluate(rule, {"is_high_tech": True}).status is Status.ELIGIBLE
    assert evaluate(rule, {"is_high_tech": False}).status is Status.UNKNOWN
    assert evaluate(rule, {"is_high_tech": False, "annual_tax_paid": 5}).status is Status.INELIGIBLE


@pytest.mark.parametrize(
    ("condition", "actual", "message"),
    [
        (
            {"fact": "tax_credit_grade", "op": "gte", "value": "B"},
            "M",
            "纳税信用等级需≥B级，当前为M级",
        ),
        ({"fact": "credit_grade", "op": "gte", "value": "B"}, "A", "信用等级需≥B，当前为A"),
        (
            {"fact": "annual_tax_paid", "op": "gte", "value": 100000},
            Decimal("60000"),
            "年纳税额需≥10万元，当前6万元",
        ),
        (
            {"fact": "employees", "op": "between", "value": [10, 300]},
            8,
            "从业人数需在10人至300人之间，当前8人",
        ),
        (
            {"fact": "entity_type", "op": "ne", "value": "individual_business"},
            "enterprise",
            "主体类型不能为个体工商户，当前为企业",
        ),
        (
            {"fact": "industry_code", "op": "within_industry", "value": ["C", "I65"]},
            "G54",
            "所属行业需在C、I65范围内，当前为G54",
        ),
        (
            {"fact": "is_first_time_borrower", "op": "eq", "value": True},
            False,
            "需是首次贷款的企业（首贷户），当前不是首贷户",
        ),
    ],
)
def test_each_kind_of_condition_reads_as_a_chinese_sentence(condition, actual, message):
    result = evaluate(parse_rule(condition), {condition["fact"]: actual})

    assert [r.message for r in result.results] == [message]


def test_ordered_grades_compare_along_their_order():
    rule = parse_rule({"fact": "tax_credit_grade", "op": "gte", "value": "B"})

    assert [evaluate(rule, {"tax_credit_grade": g}).status for g in "ABMCD"] == [
        Status.ELIGIBLE,
        Status.ELIGIBLE,
        Status.INELIGIBLE,
        Status.INELIGIBLE,
        Status.INELIGIBLE,
    ]


def test_within_region_takes_a_prefix_or_a_list():
    single = parse_rule({"fact": "region_code", "op": "within_region", "value": "3713"})
    several = parse_rule({"fact": "region_code", "op": "within_region", "value": ["32", "64"]})

    assert evaluate(single, {"region_code": "371311"}).status is Status.ELIGIBLE
    assert evaluate(single, {"region_code": "320505"}).status is Status.INELIGIBLE
    assert evaluate(several, {"region_code": "640104"}).status is Status.ELIGIBLE


@pytest.mark.parametrize(
    ("rule", "path", "says"),
    [
        ({"all": [{"fact": "nope", "op": "eq", "value": 1}]}, "all[0].fact", "未知的事实"),
        (
            {"all": [{}, {"fact": "employees", "op": "within_region", "value": "37"}]},
            "all[0]",
            "fact、op、value",
        ),
        (
            {
                "all": [
                    {"fact": "employees", "op": "gte", "value": 1},
                    {"fact": "employees", "op": "within_region", "value": "37"},
                ]
            },
            "all[1].op",
            "不能使用运算符",
        ),
        (
            {"all": [{"fact": "is_high_tech", "op": "eq", "value": "yes"}]},
            "all[0].value",
            "true 或 false",
        ),
        ({"fact": "employees", "op": "gte", "value": "10"}, "value", "数值"),
        ({"fact": "employees", "op": "gte", "value": True}, "value", "数值"),
        ({"fact": "employees", "op": "between", "value": [10, 5]}, "value", "下限"),
        ({"fact": "tax_credit_grade", "op": "in", "value": ["A", "E"]}, "value[1]", "取值"),
        ({"fact": "tax_credit_grade", "op": "in", "value": []}, "value", "非空"),
        ({"fact": "region_code", "op": "within_region", "value": "371"}, "value", "行政区划"),
        ({"fact": "region_code", "op": "eq", "value": "3713"}, "value", "6 位"),
        ({"fact": "industry_code", "op": "eq", "value": "c13"}, "value", "行业分类"),
        ({"any": []}, "any", "非空数组"),
        ({"all": [{"not": {"all": "x"}}]}, "all[0].not.all", "非空数组"),
        ({"all": [], "any": []}, "rule", "其他键"),
        ([1, 2], "rule", "对象"),
        (None, "rule", "对象"),
    ],
)
def test_bad_rules_are_refused_with_the_path_of_the_bad_node(rule, path, says):
    got_path, message = refused(rule)

    assert got_path == path
    assert says in message


def test_too_deep_a_rule_is_refused():
    rule: dict = {"fact": "employees", "op": "gte", "value": 1}
    for _ in range(10):
        rule = {"not": rule}

    path, message = refused(rule)

    assert "嵌套过深" in message and path.startswith("not.not")


# --- near misses -------------------------------------------------------------------------------


def test_a_firm_one_condition_short_gets_that_change():
    from matching.whatif import near_miss

    firm = {**GOOD_FIRM, "is_high_tech": False, "annual_tax_paid": Decimal("60000")}

    miss = near_miss(parse_rule(CONTRACT_EXAMPLE), firm)

    assert miss is not None
    # two ways out of the failed any: the smaller relative gap (40% more tax) beats a whole step
    assert [c.message for c in miss.changes] == ["年纳税额再增加4万元（当前6万元，需≥10万元）"]


def test_two_failures_make_a_two_change_near_miss_and_three_make_none():
    from matching.whatif import near_miss

    rule = parse_rule(CONTRACT_EXAMPLE)
    two = {**GOOD_FIRM, "years_in_business": 1, "tax_credit_grade": "M"}
    three = {**two, "on_dishonest_list": True}

    miss = near_miss(rule, two)

    assert miss is not None
    assert [c.fact for c in miss.changes] == ["years_in_business", "tax_credit_grade"]
    assert miss.changes[0].message == "成立年限再满1年（当前1年，需≥2年）"
    assert near_miss(rule, three) is None


def test_facts_a_firm_cannot_change_are_never_suggested():
    from matching.whatif import near_miss

    firm = {**GOOD_FIRM, "region_code": "320505"}

    assert near_miss(parse_rule(CONTRACT_EXAMPLE), firm) is None


def test_a_negated_yes_no_condition_suggests_the_wanted_state():
    from matching.whatif import near_miss

    firm = {**GOOD_FIRM, "on_dishonest_list": True}

    miss = near_miss(parse_rule(CONTRACT_EXAMPLE), firm)

    assert miss is not None and [c.message for c in miss.changes] == ["需未列入失信名单"]


def test_eligible_and_unknown_firms_have_no_near_miss():
    from matching.whatif import near_miss

    rule = parse_rule(CONTRACT_EXAMPLE)

    assert near_miss(rule, GOOD_FIRM) is None
    assert near_miss(rule, {**GOOD_FIRM, "years_in_business": None}) is None


# --- many rules at once ---------------------------------------------------------------------


def test_a_rule_set_answers_as_evaluate_does():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from matching.ruleset import RuleSet

    rules = [
        parse_rule(CONTRACT_EXAMPLE),
        parse_rule({"not": {"any": [{"fact": "employees", "op": "lt", "value": 5}]}}),
        parse_rule({"fact": "years_in_business", "op": "gte", "value": 2}),
        parse_rule({"all": [{"fact": "credit_grade", "op": "gte", "value": "B"}]}),
    ]
    rule_set = RuleSet(rules)
    assert len(rule_set.conditions) == 8  # years ≥ 2 is tested once for two rules

    @settings(max_examples=300, derandomize=True)
    @given(
        st.fixed_dictionaries(
            {
                "years_in_business": st.sampled_from([None, 0, 1, 2, 3]),
                "tax_credit_grade": st.sampled_from([None, "A", "B", "M"]),
                "region_code": st.sampled_from([None, "371302", "320505"]),
                "on_dishonest_list": st.sampled_from([None, True, False]),
                "is_high_tech": st.sampled_from([None, True, False]),
                "annual_tax_paid": st.sampled_from([None, Decimal(0), Decimal(100000)]),
                "employees": st.sampled_from([None, 1, 5, 50]),
                "credit_grade": st.sampled_from([None, "A+", "B", "C"]),
            }
        )
    )
    def agree(firm):
        assert rule_set.statuses(firm) == [evaluate(rule, firm).status for rule in rules]

    agree()


def _number_text_as_first_written(value: object, unit: str) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = (number / 10000 if unit == "元" and abs(number) >= 10000 else number).quantize(
        Decimal("0.01")
    )
    plain = format(text.normalize(), "f")
    return f"{plain}万元" if unit == "元" and abs(number) >= 10000 else f"{plain}{unit}"


@pytest.mark.parametrize(
    "value",
    [
        0,
        Decimal("0"),
        Decimal("-0"),
        -0.0,
        1,
        1.0,
        Decimal("1.00"),
        Decimal("2E+7"),
        2e7,
        0.1,
        Decimal("1618750"),
        Decimal("-45000.5"),
        12345678,
        Decimal("0.005"),
    ],
)
@pytest.mark.parametrize("unit", ["元", "年", "次", ""])
def test_numbers_are_written_alike_whatever_was_written_before(value: object, unit: str) -> None:
    # (``number_text`` keeps what it wrote by the value's exact text: -0 and 0 stay apart)
    for _ in range(2):
        assert number_text(value, unit) == _number_text_as_first_written(value, unit)
