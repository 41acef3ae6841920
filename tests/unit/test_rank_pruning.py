"""A page of ranking settled by bounds (``prune``) is exactly the page full scoring gives: the same
products in the same order with the same scores, components and sentences. Also what it rests
on: exact text points lie within the margins of their estimate, packed BM25 lies within its bounds
of the raw one, and the one-at-a-time name/tag similarity equals the bulk one."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.rank import (
    DEFAULT_PATH,
    DemandView,
    ProductView,
    RankingConfig,
    Weights,
    parse_config,
    prepare,
    rank,
)
from matching.rank_components import cents
from matching.rank_text import margins
from matching.text import UNIT, NameTagMatcher, TextIndex

FILE = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
# Few words and figures, so that products share words, names look alike and scores tie.
WORDS = ("冷链", "物流", "车辆", "运输", "种植", "养殖", "科技", "研发", "流动资金", "设备")
GRADES = (None, "A+", "A", "B", "C", "D")


def _config(bm25_share: float, cutoff: float) -> RankingConfig:
    """The seed ranking file with other text shares and name/tag cut-off."""
    data = copy.deepcopy(FILE)
    data["text"]["bm25_share"] = bm25_share
    data["text"]["name_tag_share"] = round(1.0 - bm25_share, 10)
    data["text"]["name_tag_cutoff"] = cutoff
    return parse_config(data)


CONFIGS = [_config(0.7, 60.0), _config(1.0, 60.0), _config(0.0, 30.0), _config(0.5, 0.0)]

_words = st.lists(st.sampled_from(WORDS), min_size=0, max_size=4)
# Names and tags drawn apart from the descriptions, so similarity and BM25 vary independently.
_CHARS = "冷链物流车辆运输种植科技贷企"
_product = st.fixed_dictionaries(
    {
        "name": st.one_of(
            _words.map(lambda words: "".join(words) + "贷"), st.text(alphabet=_CHARS, max_size=6)
        ),
        "description": _words.map(" ".join),
        "tags": st.lists(st.text(alphabet=_CHARS, min_size=1, max_size=4), max_size=3).map(tuple),
        "low": st.sampled_from([0, 10_000, 100_000, 1_000_000]),
        "span": st.sampled_from([1, 5, 50]),
        "terms": st.sampled_from([(1, 12), (6, 36), (12, 60), (24, 24)]),
        "rate": st.sampled_from(["0.0345", "0.0435", "0.0435", "0.065", "0.2"]),
        "regions": st.sampled_from([(), ("37",), ("3713",), ("371302",), ("32", "3713")]),
        "grade": st.sampled_from(GRADES),
    }
)


def _view(number: int, row: dict[str, Any]) -> ProductView:
    low = Decimal(row["low"])
    rate = Decimal(row["rate"])
    return ProductView(
        id=f"p{number:03d}",
        name=row["name"],
        institution_name="示范银行",
        product_type="credit",
        min_amount=low,
        max_amount=low * row["span"] + 10_000,
        min_term_months=row["terms"][0],
        max_term_months=row["terms"][1],
        min_annual_rate=rate,
        max_annual_rate=rate + Decimal("0.01"),
        region_codes=row["regions"],
        description=row["description"],
        tags=row["tags"],
        target_grade=row["grade"],
    )


_demand = st.one_of(
    st.none(),
    st.builds(
        DemandView,
        amount=st.sampled_from([Decimal(5_000), Decimal(300_000), Decimal(3_000_000)]),
        term_months=st.sampled_from([3, 24, 120]),
        purpose=st.one_of(
            st.just(""),
            _words.map(lambda words: "用于" + "、".join(words)),
            st.text(alphabet=_CHARS + " ", max_size=8),
        ),
    ),
)
_weights = st.one_of(
    st.none(),
    st.lists(st.sampled_from([0, 1, 5, 15, 30]), min_size=6, max_size=6)
    .filter(any)
    .map(lambda values: Weights(*values)),
)


@settings(max_examples=250, deadline=None)
@given(
    rows=st.lists(_product, min_size=1, max_size=45),
    config=st.sampled_from(CONFIGS),
    demand=_demand,
    weights=_weights,
    facts=st.fixed_dictionaries(
        {
            "region_code": st.sampled_from([None, "371302", "320505"]),
            "credit_grade": st.sampled_from(GRADES),
        }
    ),
    only=st.one_of(st.none(), st.sets(st.integers(0, 45), min_size=10)),
    limit=st.one_of(st.integers(0, 45), st.integers(1, 6)),
)
def test_a_pruned_page_equals_the_full_ranking(
    rows: list[dict[str, Any]],
    config: RankingConfig,
    demand: DemandView | None,
    weights: Weights | None,
    facts: dict[str, Any],
    only: set[int] | None,
    limit: int,
) -> None:
    # given a random catalogue (ids in shuffled order, some unknown ones in ``only``)
    index = prepare([_view(n, row) for n, row in reversed(list(enumerate(rows)))], config=config)
    wanted = None if only is None else [f"p{n:03d}" for n in sorted(only)]
    call: dict[str, Any] = {"facts": facts, "demand": demand, "weights": weights, "only": wanted}

    # when the page is settled by bounds, and when every product is scored
    pruned = rank(index, limit=limit, **call)
    full = rank(index, limit=limit, prune=False, **call)
    everything = rank(index, **call)

    # then the pages are equal, field for field, and are the head of the full order
    assert pruned == full
    assert pruned == everything[:limit]
    # and ranking by index positions instead of ids gives the same page
    held = [p for p, product_id in enumerate(index.ids) if wanted is None or product_id in wanted]
    by_position = {key: value for key, value in call.items() if key != "only"}
    assert rank(index, limit=limit, positions=held, **by_position) == pruned
    keys = [(-result.score, result.product.id) for result in everything]
    assert keys == sorted(keys)


def test_only_and_positions_cannot_both_be_given() -> None:
    index = prepare([])
    with pytest.raises(ValueError, match="not both"):
        rank(index, facts={}, demand=None, only=["p000"], positions=[0])


def test_a_page_of_many_equal_products_is_settled_in_id_order() -> None:
    # given 60 identical products but for their ids, and one word-for-word match
    same = {
        "name": "经营贷",
        "description": "日常经营",
        "tags": (),
        "low": 10_000,
        "span": 50,
        "terms": (6, 36),
        "rate": "0.0435",
        "regions": (),
        "grade": None,
    }
    views = [_view(n, same) for n in range(60)]
    views.append(_view(60, {**same, "name": "冷链物流贷", "description": "冷链 物流"}))
    index = prepare(views)
    demand = DemandView(Decimal(300_000), 24, "冷链物流")

    # when
    page = rank(index, facts={}, demand=demand, limit=5)

    # then the matching product leads and the ties follow by id, as full scoring has them
    assert [result.product.id for result in page] == ["p060", "p000", "p001", "p002", "p003"]
    assert page == rank(index, facts={}, demand=demand, limit=5, prune=False)


def test_products_tied_for_the_best_bm25_are_scored_as_full_scoring_has_them() -> None:
    # given products whose texts are alike, so that several share the best BM25
    alike = {"tags": (), "low": 0, "span": 50, "terms": (1, 60), "regions": (), "grade": None}
    views = [
        _view(n, {**alike, "name": f"贷{n}", "description": "冷链 物流", "rate": "0.0435"})
        for n in range(8)
    ]
    index = prepare(views)
    demand = DemandView(Decimal(300_000), 24, "冷链物流")

    # when
    page = rank(index, facts={}, demand=demand, limit=3)

    # then
    assert [result.product.id for result in page] == ["p000", "p001", "p002"]
    assert page == rank(index, facts={}, demand=demand, limit=3, prune=False)


@settings(max_examples=250, deadline=None)
@given(
    names=st.lists(
        st.tuples(
            st.text(alphabet=_CHARS, min_size=1, max_size=6),
            _words.map(" ".join),
            st.sampled_from(["0.0435", "0.044", "0.045", "0.047"]),
        ),
        min_size=2,
        max_size=30,
    ),
    purpose=st.one_of(
        st.text(alphabet=_CHARS, min_size=1, max_size=8),
        _words.map("".join),
    ),
    config=st.sampled_from(CONFIGS),
    limit=st.integers(1, 5),
)
def test_a_pruned_page_equals_the_full_ranking_when_text_decides(
    names: list[tuple[str, str, str]], purpose: str, config: RankingConfig, limit: int
) -> None:
    # given products alike but for a little rate and their texts, so text relevance decides
    plain = {"tags": (), "low": 0, "span": 50, "terms": (1, 60), "regions": (), "grade": None}
    views = [
        _view(n, {**plain, "name": name, "description": words, "rate": rate})
        for n, (name, words, rate) in enumerate(names)
    ]
    index = prepare(views, config=config)
    demand = DemandView(Decimal(100_000), 12, purpose)

    # when / then
    pruned = rank(index, facts={}, demand=demand, limit=limit)
    assert pruned == rank(index, facts={}, demand=demand, limit=limit, prune=False)


@settings(max_examples=2000, deadline=None)
@given(
    config=st.sampled_from(CONFIGS),
    weight=st.floats(0.0, 100.0),
    best=st.floats(0.01, 50.0),
    share=st.floats(0.0, 1.0),
    similarity=st.floats(0.0, 1.0),
)
def test_exact_text_points_lie_within_the_margins_of_the_estimate(
    config: RankingConfig, weight: float, best: float, share: float, similarity: float
) -> None:
    # given a product whose raw BM25 is ``share`` of the call's best
    score, scale = best * share, 100.0 / best
    bm25, alike = int(score * scale + 0.5), int(similarity * 100.0 + 0.5)
    value = (config.bm25_share * bm25 + config.name_tag_share * alike) / 100.0

    # when
    estimate = weight * config.bm25_share * scale * score
    shortfall, reach = margins(config, weight)

    # then the exact points in hundredths are within the margins
    assert estimate - shortfall <= cents(weight, value) <= estimate + reach


@settings(max_examples=300, deadline=None)
@given(
    purpose=st.text(alphabet=_CHARS + "ab ", max_size=10),
    products=st.lists(
        st.tuples(
            st.text(alphabet=_CHARS + "ab ", max_size=8),
            st.lists(st.text(alphabet=_CHARS + "ab", max_size=4), max_size=3),
        ),
        min_size=1,
        max_size=8,
    ),
    cutoff=st.sampled_from([0.0, 30.0, 60.0, 100.0]),
)
def test_the_one_at_a_time_similarity_equals_the_bulk_one(
    purpose: str, products: list[tuple[str, list[str]]], cutoff: float
) -> None:
    # given
    matcher = NameTagMatcher(products, cutoff=cutoff)

    # when
    bulk = matcher.similarities(purpose)
    one = matcher.scorer(purpose)

    # then (asked in reverse order, and twice, to exercise the scorer's memory)
    for position in [*reversed(range(len(products))), 0]:
        assert one(position) == bulk.get(position, 0.0)


_documents = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=0, max_size=6).map(" ".join), min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(documents=_documents, query=st.lists(st.sampled_from(WORDS), max_size=5))
def test_packed_bm25_is_within_its_bounds_of_the_raw_one(
    documents: list[str], query: list[str]
) -> None:
    # given the same documents with every term packed, and with none
    texts = {f"d{n}": text for n, text in enumerate(documents)}
    packed, loose = TextIndex(texts, packed_from=1), TextIndex(texts, packed_from=10**9)
    terms = list(dict.fromkeys(query))

    # when
    column = packed.packed_scores(terms)
    _, raw = loose.raw_scores(terms)

    # then the big-integer sums equal the one-by-one ones, and are within bounds of raw BM25
    assert column is not None and column == loose.packed_scores(terms)
    for position, (figure, score) in enumerate(zip(column, raw, strict=True)):
        found = packed.score_and_mask(terms, position)
        assert found == (score, loose.shared(terms, position))
        count = bin(found[1]).count("1")
        slack = count * 2.0**-52 * figure
        assert score * UNIT <= figure + slack
        assert figure <= score * UNIT + count + slack
        assert (figure == 0) == (score == 0.0)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(_product, min_size=2, max_size=45),
    config=st.sampled_from(CONFIGS),
    demand=_demand,
    limit=st.integers(1, 6),
)
def test_a_pruned_page_equals_the_full_ranking_with_every_term_packed(
    rows: list[dict[str, Any]], config: RankingConfig, demand: DemandView | None, limit: int
) -> None:
    # given an index that keeps every term packed (a large catalogue's frequent terms)
    index = prepare([_view(n, row) for n, row in enumerate(rows)], config=config)
    text = index.text
    text._packed = {term: text._pack(term) for term in text._postings}
    call: dict[str, Any] = {"facts": {"region_code": "371302"}, "demand": demand, "limit": limit}

    # when / then
    assert rank(index, **call) == rank(index, prune=False, **call)
