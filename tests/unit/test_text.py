"""Text relevance: jieba tokens, Okapi BM25 and the rapidfuzz name/tag similarity."""

from __future__ import annotations

import logging
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.text import (
    BM25_B,
    BM25_K1,
    NameTagMatcher,
    TextIndex,
    name_tag_similarity,
    tokenize,
    warm_up,
)


def test_tokenize_cuts_chinese_into_search_words_without_function_words() -> None:
    # given a purpose with punctuation and function words
    text = "购买冷链运输车辆，用于企业的日常经营"

    # when
    tokens = tokenize(text)

    # then the content words remain, in order, and the fillers are gone
    assert tokens == ["购买", "冷链", "运输", "车辆", "企业", "日常", "经营"]


def test_tokenize_yields_the_parts_of_long_words() -> None:
    # given a long word that a product may spell out in parts
    # when
    tokens = tokenize("补充流动资金")

    # then both the parts and the whole word are search words
    assert {"流动", "资金", "流动资金"} <= set(tokens)


def test_tokenize_lower_cases_latin_words_and_drops_punctuation() -> None:
    # given / when
    tokens = tokenize("Tech 贷款, ETC！")

    # then
    assert tokens == ["tech", "贷款", "etc"]
    assert tokenize("，。！  ") == []
    assert tokenize("") == []


def test_warm_up_quiets_jieba_and_can_be_called_again() -> None:
    # given / when
    warm_up()
    warm_up()

    # then jieba's start-up messages (INFO/DEBUG) are not logged
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING


def test_a_term_in_fewer_documents_weighs_more() -> None:
    # given 冷链 in one document and 物流 in three, each document equally long
    index = TextIndex({"a": "冷链 仓储", "b": "物流 仓储", "c": "物流 配送", "d": "物流 加工"})

    # when
    scores = index.scores(["冷链", "物流"])

    # then the rare term has the larger IDF and its document ranks first
    assert index.idf("冷链") > index.idf("物流") > 0
    assert scores["a"] == 1.0
    assert 0 < scores["b"] < scores["a"]
    assert scores["b"] == scores["c"] == scores["d"]


def test_bm25_matches_the_okapi_formula() -> None:
    # given three documents of known term counts
    documents = {"x": "冷链 冷链 车辆", "y": "车辆 仓储", "z": "仓储"}
    index = TextIndex(documents)

    # when
    raw = index.search(["冷链", "车辆"])

    # then each score is sum idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))
    def idf(df: int) -> float:
        return math.log(1 + (3 - df + 0.5) / (df + 0.5))

    def part(tf: int, dl: int) -> float:
        return tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / 2))

    assert raw[0] == pytest.approx(idf(1) * part(2, 3) + idf(2) * part(1, 3))
    assert raw[1] == pytest.approx(idf(2) * part(1, 2))
    assert 2 not in raw


def test_a_shorter_document_with_the_same_count_scores_higher() -> None:
    # given the same term once in a short and once in a long document
    index = TextIndex({"short": "冷链 车辆", "long": "冷链 仓储 配送 加工 设备 厂房"})

    # when
    scores = index.scores(["冷链"])

    # then length normalisation (b = 0.75) favours the short one
    assert scores["short"] == 1.0
    assert 0 < scores["long"] < 1.0


def test_scores_are_normalised_and_zero_without_overlap() -> None:
    # given
    index = TextIndex({"a": "冷链物流车辆贷", "b": "惠农种植贷", "c": ""})

    # when
    scores = index.scores(tokenize("购买冷链运输车辆"))
    nothing = index.scores([])

    # then every document is present, the best is 1 and the unrelated ones 0
    assert scores == {"a": 1.0, "b": 0.0, "c": 0.0}
    assert nothing == {"a": 0.0, "b": 0.0, "c": 0.0}
    assert len(index) == 3


def test_matches_say_which_query_terms_each_document_shares() -> None:
    # given
    index = TextIndex({"a": "冷链 仓储", "b": "车辆 冷链", "c": "种植"})

    # when
    terms, raw, masks = index.matches(["冷链", "车辆", "冷链"])

    # then repeated query words count once and the masks name the shared ones, by position
    assert terms == ["冷链", "车辆"]
    assert masks == [0b01, 0b11, 0]
    assert raw[1] > raw[0] > 0 == raw[2]
    assert index.search(["冷链", "车辆"]) == {0: raw[0], 1: raw[1]}


def test_name_tag_similarity_finds_a_tag_inside_the_purpose() -> None:
    # given a logistics product and an agricultural one
    purpose = "购买冷链运输车辆"

    # when
    logistics = name_tag_similarity(purpose, "冷链物流贷", ("冷链", "物流"))
    agriculture = name_tag_similarity(purpose, "惠农种植贷", ("涉农",))

    # then the tag 冷链 is in the purpose word for word; chance characters score nothing
    assert logistics == 1.0
    assert agriculture == 0.0


def test_name_tag_similarity_ignores_case_and_empty_input() -> None:
    # given / when / then
    assert name_tag_similarity("ETC 车主贷", "etc", ()) == 1.0
    assert name_tag_similarity("  ", "冷链物流贷", ("冷链",)) == 0.0
    assert name_tag_similarity("冷链", "", ("", "  ")) == 0.0


def test_name_tag_similarity_catches_what_segmentation_misses() -> None:
    # given a purpose word jieba keeps whole and a name that spells it differently
    # when
    similarity = name_tag_similarity("冷链车", "冷链物流贷", ())

    # then
    assert similarity >= 0.6
    assert name_tag_similarity("冷链车", "冷链物流贷", (), cutoff=90) == 0.0


_ALPHABET = "冷链物流车辆贷款农业科技企ab "
_TEXT = st.text(alphabet=_ALPHABET, max_size=10)


@settings(max_examples=300, deadline=None)
@given(
    purpose=_TEXT,
    products=st.lists(
        st.tuples(_TEXT, st.lists(st.text(alphabet=_ALPHABET, max_size=4), max_size=3)),
        min_size=1,
        max_size=6,
    ),
    cutoff=st.sampled_from([0.0, 30.0, 60.0, 75.0, 100.0]),
)
def test_the_bulk_matcher_equals_the_single_similarity(
    purpose: str, products: list[tuple[str, list[str]]], cutoff: float
) -> None:
    # given a matcher over the products
    matcher = NameTagMatcher(products, cutoff=cutoff)

    # when
    bulk = matcher.similarities(purpose)

    # then its character filter skips only strings that cannot reach the cut-off
    for position, (name, tags) in enumerate(products):
        assert bulk.get(position, 0.0) == name_tag_similarity(purpose, name, tags, cutoff=cutoff)
