"""Ranking eligible loan products for one enterprise and its (optional) financing demand.

    score = Σ points_c,   points_c = round(weight_c × value_c, 2),   value_c ∈ 0..1

over six named components c, with the weights of ``seed_products/ranking.json`` scaled to add up
to 100 (so the score is 0..100 and the points shown add up to it):

=====================  =============================================================================
amount_fit             1 when the demand's amount is within [min, max]; max ÷ amount above the
                       maximum; amount ÷ min below the minimum; ``neutral_value`` without a demand
term_fit               the same for the term in months
rate                   1 − (min_annual_rate − floor) ÷ (ceiling − floor), clamped: cheaper is better
text_relevance         bm25_share × BM25(purpose, name + description + tags) ÷ best BM25 of the call
                       + name_tag_share × rapidfuzz similarity of the purpose to the name and tags
regional_focus         the most specific served region containing the firm: county, city, province,
                       nationwide; a product that does not serve the firm's region scores 0
approval_likelihood    the firm's credit grade against the product's target grade: at or above,
                       one grade below, two or more below; ``neutral_value`` when either is unknown
=====================  =============================================================================

Every component carries a Chinese explanation with its numbers. Order: score descending, then
product id ascending, so equal scores always come out the same way.

Speed: ``prepare`` does all the work that depends on the products alone (BM25 index, name/tag
index, rate components, formatted ranges, grouping of products that share an amount range, term
range, region list or target grade). A ``rank`` call cuts the purpose into words once, builds one
component per distinct group (for text: per distinct shared words and figures in hundredths) and
shares these immutable components between products; scores are whole hundredths, so ties are
exact. ``only`` ranks a subset (the eligible products) against the same index; ``limit`` builds
results for the first products only.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from matching.rank_config import (
    COMPONENTS,
    DEFAULT_PATH,
    RankingConfig,
    RankingConfigError,
    Weights,
    load_config,
    parse_config,
)
from matching.text import NameTagMatcher, TextIndex, tokenize

__all__ = [
    "COMPONENTS",
    "DEFAULT_PATH",
    "Component",
    "DemandView",
    "ProductView",
    "RankedProduct",
    "RankingConfig",
    "RankingConfigError",
    "RankingIndex",
    "Weights",
    "load_config",
    "parse_config",
    "prepare",
    "rank",
]

_LEVEL_NAMES = {"county": "区县", "city": "市", "province": "省"}
_WAN = Decimal(10000)
_SHOWN_PURPOSE = 20  # characters of the purpose quoted in an explanation
_SHOWN_TERMS = 3  # shared keywords named in an explanation
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class ProductView:
    """A loan product as ranking sees it.

    Amounts in yuan; rates as fractions (0.0435 = 4.35%); ``region_codes`` are division-code
    prefixes ("37" province, "3713" city, "371302" county; "370000" and "371300" are read as "37"
    and "3713"), empty for nationwide; ``target_grade`` is the lowest credit grade it is aimed at.
    """

    id: str
    name: str
    institution_name: str
    product_type: str
    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int
    min_annual_rate: Decimal
    max_annual_rate: Decimal
    region_codes: tuple[str, ...]
    description: str
    tags: tuple[str, ...]
    target_grade: str | None


@dataclass(frozen=True)
class DemandView:
    """A financing demand: amount in yuan, term in months, and what the money is for."""

    amount: Decimal
    term_months: int
    purpose: str


@dataclass(frozen=True)
class Component:
    """One scored component: ``points = weight × value`` with the reason in Chinese."""

    name: str
    label: str
    weight: float
    value: float
    points: float
    explanation: str


@dataclass(frozen=True, init=False)
class RankedProduct:
    """A product with its score (0..100) and every component behind it, in ``COMPONENTS`` order."""

    product: ProductView
    score: float
    components: tuple[Component, ...]

    def __init__(
        self, product: ProductView, score: float, components: tuple[Component, ...]
    ) -> None:
        """Make the result (still frozen: see the comment)."""
        # A frozen dataclass's generated __init__ goes through object.__setattr__ once per field,
        # most of the cost of ranking thousands of products; filling the instance dict is the same
        # assignment without the detour, and setting an attribute afterwards still raises.
        fields = self.__dict__
        fields["product"] = product
        fields["score"] = score
        fields["components"] = components

    def component(self, name: str) -> Component:
        """The component called ``name``."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros, to at most four places."""
    text = format(Decimal(value).quantize(Decimal("0.0001")).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _money(amount: Decimal) -> str:
    """Yuan as people write it: 3000000 → 300万元, 5000 → 5000元."""
    return f"{_plain(amount / _WAN)}万元" if abs(amount) >= _WAN else f"{_plain(amount)}元"


def _money_range(low: Decimal, high: Decimal) -> str:
    """An amount range: 10万–500万元."""
    if low == high:
        return _money(low)
    if abs(low) >= _WAN and abs(high) >= _WAN:
        return f"{_plain(low / _WAN)}万–{_plain(high / _WAN)}万元"
    return f"{_money(low)}–{_money(high)}"


def _percent(rate: Decimal | float) -> str:
    """A fractional rate in per cent: 0.0435 → 4.35%."""
    return f"{_plain(Decimal(str(rate)) * 100)}%"


def _region_prefix(code: str) -> str:
    """A product region as a match prefix: "370000" → "37", "371300" → "3713"."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _group(keys: Iterable[K]) -> tuple[list[K], list[int]]:
    """The distinct keys in first-seen order and, per item, the index of its key."""
    seen: dict[K, int] = {}
    groups = [seen.setdefault(key, len(seen)) for key in keys]
    return list(seen), groups


class RankingIndex:
    """Products sorted by id, with everything ranking needs that depends on them alone.

    Build it once per product set with ``prepare`` and rank any number of enterprises against it.
    """

    def __init__(self, products: Iterable[ProductView], config: RankingConfig) -> None:
        """Index the products (see ``prepare``)."""
        self.config = config
        self.products = tuple(sorted(products, key=lambda product: product.id))
        ids = [product.id for product in self.products]
        if len(set(ids)) != len(ids):
            raise ValueError("product ids must be unique")
        self.ids = ids
        self.text = TextIndex(
            {p.id: " ".join((p.name, p.description, *p.tags)) for p in self.products},
            k1=config.bm25_k1,
            b=config.bm25_b,
        )
        self.names = NameTagMatcher(
            [(p.name, p.tags) for p in self.products], cutoff=config.name_tag_cutoff
        )
        self._amount_keys, self._amount_group = _group(
            (p.min_amount, p.max_amount) for p in self.products
        )
        self._amount_texts = [
            (_money_range(low, high), _money(low), _money(high)) for low, high in self._amount_keys
        ]
        self._term_keys, self._term_group = _group(
            (p.min_term_months, p.max_term_months) for p in self.products
        )
        self._region_keys, self._region_group = _group(
            tuple(dict.fromkeys(filter(None, map(_region_prefix, p.region_codes))))
            for p in self.products
        )
        self._target_keys, self._target_group = _group(p.target_grade for p in self.products)
        self._rates: dict[float, tuple[list[Component], list[int]]] = {}
        self._rate_column(config.weights.scaled()["rate"])

    def _rate_column(self, weight: float) -> tuple[list[Component], list[int]]:
        """Every product's rate component and its points in hundredths (kept per weight)."""
        column = self._rates.get(weight)
        if column is None:
            config = self.config
            floor, ceiling = config.rate_floor, config.rate_ceiling
            span = f"{_percent(floor)}–{_percent(ceiling)}"
            components = []
            for product in self.products:
                low, high = product.min_annual_rate, product.max_annual_rate
                shown = _percent(low) if low == high else f"{_percent(low)}–{_percent(high)}"
                value = min(1.0, max(0.0, 1.0 - (float(low) - floor) / (ceiling - floor)))
                text = (
                    f"产品年利率{shown}，最低年利率{_percent(low)}对照参考区间{span}"
                    f"计{value:.2f}，利率越低越高"
                )
                components.append(_component(config, "rate", weight, value, text))
            column = self._rates[weight] = (components, _cents(components))
        return column


def prepare(
    products: Iterable[ProductView], *, config: RankingConfig | None = None
) -> RankingIndex:
    """Build the ranking index of a product set once (BM25 and name/tag indexes included)."""
    return RankingIndex(products, config or load_config())


def _component(
    config: RankingConfig, name: str, weight: float, value: float, explanation: str
) -> Component:
    """A component with its value clamped to 0..1 and its points rounded to two places."""
    value = min(1.0, max(0.0, round(value, 4)))
    return Component(
        name=name,
        label=config.labels[name],
        weight=weight,
        value=value,
        points=round(weight * value, 2),
        explanation=explanation,
    )


def _cents(components: Iterable[Component]) -> list[int]:
    """Points in hundredths, so that scores add up and tie exactly."""
    return [round(component.points * 100) for component in components]


def _pick(column: Sequence[T], positions: list[int] | None) -> Sequence[T]:
    """The column's entries at ``positions`` (all of them when None)."""
    return column if positions is None else [column[i] for i in positions]


def _spread(
    per_group: list[Component], groups: list[int], positions: list[int] | None
) -> tuple[list[Component], list[int]]:
    """Components and their points in hundredths per product, from one component per group."""
    chosen = _pick(groups, positions)
    cents = _cents(per_group)
    return list(map(per_group.__getitem__, chosen)), list(map(cents.__getitem__, chosen))


def _amount_components(
    index: RankingIndex, weight: float, demand: DemandView | None
) -> list[Component]:
    """amount_fit per distinct amount range."""
    config = index.config
    if demand is None:
        neutral = config.neutral_value
        text = f"未填写融资需求，额度匹配按中性值{neutral:g}计"
        return [_component(config, "amount_fit", weight, neutral, text)] * len(index._amount_keys)
    wanted, shown = demand.amount, _money(demand.amount)
    result = []
    for (low, high), (span, low_text, high_text) in zip(
        index._amount_keys, index._amount_texts, strict=True
    ):
        if low <= wanted <= high:
            value, text = 1.0, f"需求金额{shown}在产品额度{span}之内"
        elif wanted > high:
            value = float(high / wanted) if wanted > 0 else 0.0
            text = f"需求金额{shown}高于产品最高额度{high_text}，匹配度{value:.2f}"
        else:
            value = float(wanted / low) if low > 0 else 0.0
            text = f"需求金额{shown}低于产品最低额度{low_text}，匹配度{value:.2f}"
        result.append(_component(config, "amount_fit", weight, value, text))
    return result


def _term_components(
    index: RankingIndex, weight: float, demand: DemandView | None
) -> list[Component]:
    """term_fit per distinct term range."""
    config = index.config
    if demand is None:
        neutral = config.neutral_value
        text = f"未填写融资需求，期限匹配按中性值{neutral:g}计"
        return [_component(config, "term_fit", weight, neutral, text)] * len(index._term_keys)
    wanted = demand.term_months
    result = []
    for low, high in index._term_keys:
        if low <= wanted <= high:
            span = f"{low}个月" if low == high else f"{low}–{high}个月"
            value, text = 1.0, f"需求期限{wanted}个月在产品期限{span}之内"
        elif wanted > high:
            value = high / wanted if wanted > 0 else 0.0
            text = f"需求期限{wanted}个月长于产品最长期限{high}个月，匹配度{value:.2f}"
        else:
            value = wanted / low if low > 0 else 0.0
            text = f"需求期限{wanted}个月短于产品最短期限{low}个月，匹配度{value:.2f}"
        result.append(_component(config, "term_fit", weight, value, text))
    return result


def _region_components(
    index: RankingIndex, weight: float, facts: Mapping[str, Any]
) -> list[Component]:
    """regional_focus per distinct list of served regions."""
    config = index.config
    values = config.region_values
    code = facts.get("region_code")
    code = code.strip() if isinstance(code, str) else ""
    result = []
    for regions in index._region_keys:
        if not regions:
            value = values["nationwide"]
            text = "产品面向全国，未专门服务企业所在地区"
            if not code:
                text = f"企业所在地区未知，全国性产品按{value:g}计"
        elif not code:
            value = values["outside"]
            text = "企业所在地区未知，无法确认是否在产品服务地区内"
        else:
            matched = [prefix for prefix in regions if code.startswith(prefix)]
            if matched:
                prefix = max(matched, key=len)
                level = "province" if len(prefix) <= 2 else "city" if len(prefix) <= 4 else "county"
                value = values[level]
                text = f"产品服务地区覆盖企业所在{_LEVEL_NAMES[level]}（{prefix}）"
            else:
                value = values["outside"]
                served = "、".join(regions[:5]) + ("等" if len(regions) > 5 else "")
                text = f"产品服务地区（{served}）不含企业所在地（{code}）"
        result.append(_component(config, "regional_focus", weight, value, text))
    return result


def _approval_components(
    index: RankingIndex, weight: float, facts: Mapping[str, Any]
) -> list[Component]:
    """approval_likelihood per distinct target grade."""
    config = index.config
    order = {grade: step for step, grade in enumerate(config.grade_order)}
    grade = facts.get("credit_grade")
    result = []
    for target in index._target_keys:
        if target not in order:
            value = config.neutral_value
            text = f"产品未设目标信用等级，获批可能按中性值{value:g}计"
        elif grade not in order:
            value = config.neutral_value
            text = f"企业信用等级未知，获批可能按中性值{value:g}计"
        else:
            below = order[grade] - order[target]
            if below <= 0:
                value, text = config.at_or_above, f"企业信用等级{grade}不低于产品目标等级{target}"
            elif below == 1:
                value, text = config.one_below, f"企业信用等级{grade}比产品目标等级{target}低一级"
            else:
                value = config.further_below
                text = f"企业信用等级{grade}比产品目标等级{target}低{below}级"
        result.append(_component(config, "approval_likelihood", weight, value, text))
    return result


def _text_component(
    config: RankingConfig, weight: float, bm25: int, fuzzy: int, shared: list[str], shown: str
) -> Component:
    """text_relevance from BM25 (relative, in hundredths), name/tag similarity and shared words."""
    value = (config.bm25_share * bm25 + config.name_tag_share * fuzzy) / 100.0
    parts = []
    if shared:
        parts.append(
            f"与产品名称、介绍或标签有共同关键词“{'、'.join(shared[:_SHOWN_TERMS])}”"
            f"（关键词匹配度{bm25 / 100:.2f}）"
        )
    if fuzzy:
        parts.append(f"与产品名称或标签相似度{fuzzy / 100:.2f}")
    if round(value, 4) > 0.0:
        text = f"融资用途与产品相关度{value:.2f}：{'；'.join(parts)}"
    elif shared:
        text = f"融资用途与产品仅有常见词“{'、'.join(shared[:_SHOWN_TERMS])}”相同，相关度不足0.01"
    else:
        text = f"融资用途“{shown}”与产品名称、介绍和标签无共同关键词"
    return _component(config, "text_relevance", weight, value, text)


def _text_column(
    index: RankingIndex, weight: float, demand: DemandView | None, positions: list[int] | None
) -> tuple[list[Component], list[int]]:
    """text_relevance and its hundredths per ranked product.

    BM25 (over the best of the ranked products) and the name/tag similarity are taken in
    hundredths, so products with the same figures and shared words share one component.
    """
    config = index.config
    count = len(index.products) if positions is None else len(positions)
    purpose = demand.purpose.strip() if demand is not None else ""
    if not purpose:
        text = "未填写融资需求，无法判断用途相关度" if demand is None else "融资需求未写明用途"
        flat = [_component(config, "text_relevance", weight, 0.0, text)]
        return flat * count, _cents(flat) * count
    shown = purpose if len(purpose) <= _SHOWN_PURPOSE else purpose[:_SHOWN_PURPOSE] + "…"
    terms, raw, masks = index.text.matches(tokenize(purpose))
    similar = index.names.similarities(purpose)
    if positions is not None:
        raw, masks = [raw[i] for i in positions], [masks[i] for i in positions]
        similar = {slot: similar[i] for slot, i in enumerate(positions) if i in similar}
    best = max(raw, default=0.0)
    scale = 100.0 / best if best > 0.0 else 0.0
    # A key per product: shared-word mask, BM25 and similarity in hundredths; 0 = unrelated.
    keys = [
        mask << 14 | int(score * scale + 0.5) << 7 if mask else 0
        for score, mask in zip(raw, masks, strict=True)
    ]
    for slot, value in similar.items():
        keys[slot] |= int(value * 100.0 + 0.5)
    made: dict[int, Component] = {}
    for key in set(keys):
        mask, bm25, similarity = key >> 14, key >> 7 & 127, key & 127
        shared = [term for bit, term in enumerate(terms) if mask >> bit & 1]
        made[key] = _text_component(config, weight, bm25, similarity, shared, shown)
    made_cents = dict(zip(made, _cents(made.values()), strict=True))
    return list(map(made.__getitem__, keys)), list(map(made_cents.__getitem__, keys))


def rank(
    index: RankingIndex,
    *,
    facts: Mapping[str, Any],
    demand: DemandView | None,
    weights: Weights | None = None,
    only: Collection[str] | None = None,
    limit: int | None = None,
) -> list[RankedProduct]:
    """Score the index's products for one enterprise (its rule facts) and optional demand.

    ``only`` restricts the result to those product ids (e.g. the eligible ones); BM25 statistics
    still come from the whole product set. ``limit`` keeps the first results only (every product
    is still scored). Order: score descending, then product id ascending.
    """
    scaled = (weights or index.config.weights).scaled()
    positions = None
    if only is not None:
        wanted = set(only)
        positions = [i for i, product_id in enumerate(index.ids) if product_id in wanted]
    rate, rate_cents = index._rate_column(scaled["rate"])
    columns = (
        _spread(
            _amount_components(index, scaled["amount_fit"], demand), index._amount_group, positions
        ),
        _spread(_term_components(index, scaled["term_fit"], demand), index._term_group, positions),
        (_pick(rate, positions), _pick(rate_cents, positions)),
        _text_column(index, scaled["text_relevance"], demand, positions),
        _spread(
            _region_components(index, scaled["regional_focus"], facts),
            index._region_group,
            positions,
        ),
        _spread(
            _approval_components(index, scaled["approval_likelihood"], facts),
            index._target_group,
            positions,
        ),
    )
    # Whole hundredths: equal scores are exactly equal, and the points shown add up to the score.
    totals = [sum(cents) for cents in zip(*(cents for _, cents in columns), strict=True)]
    # Products are sorted by id and the sort is stable (in reverse too), so ties stay in id order.
    order = sorted(range(len(totals)), key=totals.__getitem__, reverse=True)
    if limit is not None:
        order = order[: max(limit, 0)]
    products = _pick(index.products, positions)
    rows = zip(*(map(components.__getitem__, order) for components, _ in columns), strict=True)
    return list(
        map(
            RankedProduct,
            map(products.__getitem__, order),
            [totals[i] / 100 for i in order],
            rows,
        )
    )
