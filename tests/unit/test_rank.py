"""Ranking: the order of hand-built cases, every component's value and reason, the weights file."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.rank import (
    COMPONENTS,
    DEFAULT_PATH,
    DemandView,
    ProductView,
    RankedProduct,
    RankingConfigError,
    Weights,
    load_config,
    parse_config,
    prepare,
    rank,
)

FILE = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FACTS: dict[str, Any] = {"region_code": "371302", "credit_grade": "B", "entity_type": "enterprise"}
DEMAND = DemandView(amount=Decimal(3_000_000), term_months=24, purpose="补充流动资金")


def product(product_id: str = "p", **changes: Any) -> ProductView:
    """A plain nationwide product covering DEMAND; keyword arguments change single fields."""
    base = ProductView(
        id=product_id,
        name="经营贷",
        institution_name="临沂示范银行",
        product_type="credit",
        min_amount=Decimal(100_000),
        max_amount=Decimal(5_000_000),
        min_term_months=6,
        max_term_months=36,
        min_annual_rate=Decimal("0.05"),
        max_annual_rate=Decimal("0.08"),
        region_codes=(),
        description="用于日常经营",
        tags=(),
        target_grade=None,
    )
    return replace(base, **changes)


def ranked(
    *products: ProductView,
    facts: dict[str, Any] | None = None,
    demand: DemandView | None = DEMAND,
    weights: Weights | None = None,
) -> list[RankedProduct]:
    """Rank the products for FACTS (or the given facts) and the demand."""
    return rank(
        prepare(products), facts=FACTS if facts is None else facts, demand=demand, weights=weights
    )


def ids(results: list[RankedProduct]) -> list[str]:
    """The product ids in ranking order."""
    return [result.product.id for result in results]


def test_a_product_restricted_to_the_firms_city_ranks_ahead_of_a_nationwide_one() -> None:
    # given two products alike but for their regions; the nationwide one has the smaller id
    nationwide = product("a-nationwide")
    city = product("b-linyi", region_codes=("3713",))

    # when
    results = ranked(nationwide, city)

    # then
    assert ids(results) == ["b-linyi", "a-nationwide"]
    assert results[0].component("regional_focus").value == 0.8
    assert (
        results[0].component("regional_focus").explanation == "产品服务地区覆盖企业所在市（3713）"
    )
    assert results[1].component("regional_focus").value == 0.3


def test_a_county_product_ranks_ahead_of_a_city_product() -> None:
    # given
    city = product("a-city", region_codes=("3713",))
    county = product("b-lanshan", region_codes=("371302",))

    # when
    results = ranked(city, county)

    # then
    assert ids(results) == ["b-lanshan", "a-city"]
    assert results[0].component("regional_focus").value == 1.0


@pytest.mark.parametrize(
    ("regions", "region_code", "value"),
    [
        (("37",), "371302", 0.6),
        (("370000",), "371302", 0.6),  # a 6-digit province code reads as its prefix
        (("371300",), "371302", 0.8),
        (("3714", "37"), "371302", 0.6),
        (("37", "371302"), "371302", 1.0),  # the most specific match counts
        (("3714",), "371302", 0.0),  # not served
        ((), None, 0.3),  # firm region unknown: nationwide as usual
        (("3713",), None, 0.0),  # firm region unknown: regional cannot be confirmed
    ],
)
def test_regional_focus_values(
    regions: tuple[str, ...], region_code: str | None, value: float
) -> None:
    # given
    facts = {**FACTS, "region_code": region_code}

    # when
    (result,) = ranked(product(region_codes=regions), facts=facts)

    # then
    assert result.component("regional_focus").value == value


def test_a_product_whose_maximum_is_below_the_demand_ranks_below_one_that_covers_it() -> None:
    # given a 300万 demand; the small product (smaller id) lends at most 100万
    small = product("a-small", max_amount=Decimal(1_000_000))
    covering = product("b-covering")

    # when
    results = ranked(small, covering)

    # then
    assert ids(results) == ["b-covering", "a-small"]
    fit = results[1].component("amount_fit")
    assert fit.value == pytest.approx(1 / 3, abs=1e-4)
    assert fit.explanation == "需求金额300万元高于产品最高额度100万元，匹配度0.33"
    assert (
        results[0].component("amount_fit").explanation
        == "需求金额300万元在产品额度10万–500万元之内"
    )


def test_a_demand_below_the_minimum_and_a_term_beyond_the_maximum_are_ranked_down() -> None:
    # given a 5万, 60-month demand against a product from 10万 and up to 36 months
    demand = DemandView(amount=Decimal(50_000), term_months=60, purpose="")

    # when
    (result,) = ranked(product(), demand=demand)

    # then
    assert result.component("amount_fit").value == 0.5
    assert result.component("amount_fit").explanation == (
        "需求金额5万元低于产品最低额度10万元，匹配度0.50"
    )
    assert result.component("term_fit").value == 0.6
    assert result.component("term_fit").explanation == (
        "需求期限60个月长于产品最长期限36个月，匹配度0.60"
    )


def test_a_term_shorter_than_the_minimum_is_ranked_down() -> None:
    # given
    demand = replace(DEMAND, term_months=3)

    # when
    (result,) = ranked(product(), demand=demand)

    # then
    assert result.component("term_fit").value == 0.5
    assert "短于产品最短期限6个月" in result.component("term_fit").explanation


def test_a_cheaper_product_ranks_ahead_of_a_dearer_one() -> None:
    # given
    dear = product("a-dear", min_annual_rate=Decimal("0.09"), max_annual_rate=Decimal("0.12"))
    cheap = product("b-cheap", min_annual_rate=Decimal("0.04"), max_annual_rate=Decimal("0.06"))

    # when
    results = ranked(dear, cheap)

    # then the value is 1 - (rate - 3%) / (24% - 3%) and the reason shows the range in per cent
    assert ids(results) == ["b-cheap", "a-dear"]
    rate = results[0].component("rate")
    assert rate.value == pytest.approx(1 - 0.01 / 0.21, abs=1e-4)
    assert rate.explanation.startswith("产品年利率4%–6%，")


def test_the_purpose_ranks_a_vehicle_product_above_an_agricultural_one() -> None:
    # given a cold-chain vehicle purpose; the agricultural product has the smaller id
    agriculture = product(
        "a-agri",
        name="惠农种植贷",
        description="面向种植养殖户购买种子化肥等农资",
        tags=("涉农", "种植"),
    )
    vehicles = product(
        "b-vehicles",
        name="冷链物流车辆贷",
        description="支持物流企业购置冷链运输车辆和冷库设备",
        tags=("冷链", "物流", "车辆"),
    )
    demand = replace(DEMAND, purpose="购买冷链运输车辆")

    # when
    results = ranked(agriculture, vehicles, demand=demand)

    # then
    assert ids(results) == ["b-vehicles", "a-agri"]
    first, second = (result.component("text_relevance") for result in results)
    assert first.value == 1.0  # the best BM25 of the call and a tag found word for word
    assert "冷链、运输、车辆" in first.explanation
    assert 0 <= second.value < first.value


def test_text_relevance_is_zero_and_says_why_without_shared_words() -> None:
    # given
    demand = replace(DEMAND, purpose="购买冷链运输车辆")

    # when
    (result,) = ranked(product(name="惠农贷", description="种植业", tags=("涉农",)), demand=demand)

    # then
    relevance = result.component("text_relevance")
    assert relevance.value == 0.0
    assert relevance.explanation == "融资用途“购买冷链运输车辆”与产品名称、介绍和标签无共同关键词"


@pytest.mark.parametrize(
    ("grade", "target", "value", "explanation"),
    [
        ("A+", "B", 1.0, "企业信用等级A+不低于产品目标等级B"),
        ("B", "B", 1.0, "企业信用等级B不低于产品目标等级B"),
        ("B", "A", 0.5, "企业信用等级B比产品目标等级A低一级"),
        ("D", "A", 0.1, "企业信用等级D比产品目标等级A低3级"),
        (None, "A", 0.5, "企业信用等级未知，获批可能按中性值0.5计"),
        ("B", None, 0.5, "产品未设目标信用等级，获批可能按中性值0.5计"),
    ],
)
def test_approval_likelihood_compares_the_grade_with_the_target(
    grade: str | None, target: str | None, value: float, explanation: str
) -> None:
    # given / when
    (result,) = ranked(product(target_grade=target), facts={**FACTS, "credit_grade": grade})

    # then
    approval = result.component("approval_likelihood")
    assert (approval.value, approval.explanation) == (value, explanation)


def test_a_grade_below_the_target_ranks_the_product_down() -> None:
    # given a B-grade firm; the product for A firms has the smaller id
    for_a = product("a-for-a", target_grade="A")
    for_b = product("b-for-b", target_grade="B")

    # when / then
    assert ids(ranked(for_a, for_b)) == ["b-for-b", "a-for-a"]


def test_without_a_demand_fit_is_neutral_and_relevance_zero_and_each_says_so() -> None:
    # given / when
    (result,) = ranked(product(), demand=None)

    # then
    assert result.component("amount_fit").value == 0.5
    assert result.component("term_fit").value == 0.5
    assert result.component("text_relevance").value == 0.0
    for name in ("amount_fit", "term_fit", "text_relevance"):
        assert result.component(name).explanation.startswith("未填写融资需求")


def test_a_demand_without_purpose_scores_no_relevance() -> None:
    # given / when
    (result,) = ranked(product(), demand=replace(DEMAND, purpose="  "))

    # then
    assert result.component("text_relevance").value == 0.0
    assert result.component("text_relevance").explanation == "融资需求未写明用途"


def test_exact_ties_are_ordered_by_product_id_whatever_the_input_order() -> None:
    # given identical products in a shuffled order
    products = [product(product_id) for product_id in ("p3", "p10", "p1", "p2")]

    # when
    first = ranked(*products)
    again = ranked(*reversed(products))

    # then string order of ids, the same every time, with equal scores
    assert ids(first) == ids(again) == ["p1", "p10", "p2", "p3"]
    assert len({result.score for result in first}) == 1


def test_every_result_has_all_six_components_whose_points_add_up_to_the_score() -> None:
    # given a varied set
    products = [
        product("a", region_codes=("3713",), target_grade="A", tags=("流动资金",)),
        product("b", max_amount=Decimal(1_000_000), min_annual_rate=Decimal("0.1")),
        product("c", region_codes=("3714",), max_term_months=12, description="补充流动资金周转"),
    ]

    # when
    results = ranked(*products)

    # then
    assert [result.score for result in results] == sorted(
        (result.score for result in results), reverse=True
    )
    for result in results:
        assert tuple(c.name for c in result.components) == COMPONENTS
        assert sum(c.points for c in result.components) == pytest.approx(result.score, abs=1e-9)
        assert result.score == round(result.score, 2)
        assert 0 <= result.score <= 100
        for component in result.components:
            assert 0 <= component.value <= 1
            assert component.points == pytest.approx(component.weight * component.value, abs=5e-3)
            assert CHINESE.search(component.label)
            assert CHINESE.search(component.explanation)
    assert sum(c.weight for c in results[0].components) == pytest.approx(100)


def test_results_are_frozen() -> None:
    # given
    (result,) = ranked(product())

    # when / then
    with pytest.raises(FrozenInstanceError):
        result.score = 100.0  # type: ignore[misc]
    assert result == RankedProduct(result.product, result.score, result.components)


def test_weights_change_the_order_and_are_scaled_to_100() -> None:
    # given a cheap product outside the firm's city and a dear one inside it
    cheap = product("a-cheap", min_annual_rate=Decimal("0.04"), region_codes=("3714",))
    local = product("b-local", min_annual_rate=Decimal("0.09"), region_codes=("371302",))
    only_region = Weights(
        amount_fit=0, term_fit=0, rate=0, text_relevance=0, regional_focus=2, approval_likelihood=0
    )

    # when
    default = ranked(cheap, local)
    regional = ranked(cheap, local, weights=only_region)

    # then
    assert ids(default) == ["b-local", "a-cheap"]  # region 10 points vs rate 4.76 points
    assert ids(regional) == ["b-local", "a-cheap"]
    assert regional[0].score == 100.0
    assert regional[0].component("regional_focus").weight == 100.0
    only_rate = replace(only_region, regional_focus=0, rate=1)
    assert ids(ranked(cheap, local, weights=only_rate)) == ["a-cheap", "b-local"]


def test_only_restricts_the_result_to_the_given_products() -> None:
    # given
    index = prepare([product("a"), product("b", region_codes=("3713",)), product("c")])

    # when
    results = rank(index, facts=FACTS, demand=DEMAND, only={"c", "b", "x"})

    # then
    assert ids(results) == ["b", "c"]


def test_limit_keeps_the_first_results_of_the_full_order() -> None:
    # given
    index = prepare([product(f"p{n}", min_annual_rate=Decimal(f"0.0{9 - n}")) for n in range(5)])

    # when
    everything = rank(index, facts=FACTS, demand=DEMAND)
    first_two = rank(index, facts=FACTS, demand=DEMAND, limit=2)

    # then
    assert first_two == everything[:2]
    assert ids(first_two) == ["p4", "p3"]
    assert rank(index, facts=FACTS, demand=DEMAND, limit=0) == []


def test_duplicate_product_ids_are_refused() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="unique"):
        prepare([product("a"), product("a")])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 50),  # max amount, 10万
            st.integers(1, 60),  # max term
            st.integers(300, 2400),  # rate, basis points
            st.sampled_from([(), ("37",), ("3713",), ("371302",), ("3714",)]),
            st.sampled_from([None, "A+", "A", "B", "C", "D"]),
            st.sampled_from(["冷链物流", "种植养殖", "科技研发", "流动资金"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_product_set_ranks_in_score_then_id_order(rows: list[tuple[Any, ...]]) -> None:
    # given
    products = [
        product(
            f"p{number}",
            max_amount=Decimal(amount * 100_000),
            min_amount=Decimal(0),
            max_term_months=term,
            min_term_months=1,
            min_annual_rate=Decimal(rate) / 10000,
            region_codes=regions,
            target_grade=grade,
            description=text,
        )
        for number, (amount, term, rate, regions, grade, text) in enumerate(rows)
    ]

    # when
    results = ranked(*products, demand=replace(DEMAND, purpose="冷链物流车辆"))

    # then
    keys = [(-result.score, result.product.id) for result in results]
    assert keys == sorted(keys)
    for result in results:
        assert sum(c.points for c in result.components) == pytest.approx(result.score, abs=1e-9)


def test_the_seed_file_loads() -> None:
    # given / when
    config = load_config()

    # then
    assert config.version == FILE["version"]
    assert sum(config.weights.scaled().values()) == pytest.approx(100)
    assert set(config.labels) == set(COMPONENTS)
    assert config.grade_order == ("A+", "A", "B", "C", "D")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("weights", "rate"), -1, "weights.rate must be a number from 0"),
        (("weights", "rate"), "20", "weights.rate must be a number"),
        (("weights", "rate"), True, "weights.rate must be a number"),
        (("weights", "speed"), 5, "unknown component speed"),
        (("labels", "rate"), "", "labels.rate must be a non-empty string"),
        (("rate", "ceiling"), 0.02, "rate.ceiling must be above rate.floor"),
        (("text", "bm25_share"), 0.9, "must add up to 1"),
        (("regional_focus", "county"), 1.5, "regional_focus.county must be a number"),
        (("approval_likelihood", "grade_order"), ["A", "A"], "distinct grades"),
        (("version",), "", "version must be a non-empty string"),
    ],
)
def test_a_malformed_ranking_file_is_refused_with_the_place(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    # given the seed file with one value changed
    data = copy.deepcopy(FILE)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    # when / then
    with pytest.raises(RankingConfigError, match=re.escape(message)):
        parse_config(data)


def test_missing_and_all_zero_weights_are_refused() -> None:
    # given
    missing = copy.deepcopy(FILE)
    del missing["weights"]["rate"]
    zero = copy.deepcopy(FILE)
    zero["weights"] = dict.fromkeys(COMPONENTS, 0)

    # when / then
    with pytest.raises(RankingConfigError, match="missing component rate"):
        parse_config(missing)
    with pytest.raises(RankingConfigError, match="at least one weight"):
        parse_config(zero)


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    # given
    broken = tmp_path / "ranking-broken.json"
    broken.write_text("{", encoding="utf-8")
    negative = tmp_path / "ranking-negative.json"
    data = copy.deepcopy(FILE)
    data["weights"]["amount_fit"] = -5
    negative.write_text(json.dumps(data), encoding="utf-8")

    # when / then
    with pytest.raises(RankingConfigError, match=re.escape("ranking-broken.json")):
        load_config(broken)
    with pytest.raises(
        RankingConfigError, match=re.escape("ranking-negative.json: weights.amount_fit")
    ):
        load_config(negative)
