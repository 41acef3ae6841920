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

Speed: ``prepare`` does all the work that depends on the products alone (BM25 index with the
weights of frequent terms packed into big integers, name/tag index, rate components once per
distinct pair of rates, grouping of products that share an amount range, term range, region list
or target grade). A ``rank`` call values each group once and adds every ranked product's points
in whole hundredths, so ties are exact. With a ``limit`` it settles the page by branch and bound
(``matching.rank_page``): every component but text relevance is exact and cheap; text relevance
is estimated from packed BM25 sums within proven margins (``matching.rank_text``), so only the
products whose best case could reach the page get their exact BM25 and name/tag similarity, the
dear part, computed. The page is the one full scoring gives (``prune=False`` scores everything;
unit tests compare the two). Sentences are written for the returned products only, one per
distinct figure. ``only`` ranks a subset (the eligible products) against the same index.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import add
from typing import Any, Generic, TypeVar

from matching.rank_components import (
    AmountRange,
    Component,
    amount_fit,
    approval_likelihood,
    cents,
    component,
    firm_region,
    money,
    neutral_fit,
    rate_component,
    region_prefix,
    regional_focus,
    term_fit,
)
from matching.rank_config import (
    COMPONENTS,
    DEFAULT_PATH,
    RankingConfig,
    RankingConfigError,
    Weights,
    load_config,
    parse_config,
)
from matching.rank_page import OtherPoints, settle_page
from matching.rank_text import TextColumn
from matching.text import NameTagMatcher, TextIndex

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

K = TypeVar("K", bound=Hashable)


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
        for part in self.components:
            if part.name == name:
                return part
        raise KeyError(name)


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
        self._position = {product_id: position for position, product_id in enumerate(ids)}
        self.text = TextIndex(
            {p.id: " ".join((p.name, p.description, *p.tags)) for p in self.products},
            k1=config.bm25_k1,
            b=config.bm25_b,
        )
        self.names = NameTagMatcher(
            [(p.name, p.tags) for p in self.products], cutoff=config.name_tag_cutoff
        )
        amount_keys, self._amount_group = _group(
            (p.min_amount, p.max_amount) for p in self.products
        )
        self._amount_keys = [AmountRange.of(low, high) for low, high in amount_keys]
        self._term_keys, self._term_group = _group(
            (p.min_term_months, p.max_term_months) for p in self.products
        )
        self._region_keys, self._region_group = _group(
            tuple(dict.fromkeys(filter(None, map(region_prefix, p.region_codes))))
            for p in self.products
        )
        self._target_keys, self._target_group = _group(p.target_grade for p in self.products)
        # Pairs of groups, so a product's points without text take three lookups: the demand's
        # (amount, term), the firm's (region, grade) and its rate.
        self._demand_keys, self._demand_group = _group(
            zip(self._amount_group, self._term_group, strict=True)
        )
        self._firm_keys, self._firm_group = _group(
            zip(self._region_group, self._target_group, strict=True)
        )
        self._rate_key = [(str(p.min_annual_rate), str(p.max_annual_rate)) for p in self.products]
        self._rate_keys = {
            key: (p.min_annual_rate, p.max_annual_rate)
            for key, p in zip(self._rate_key, self.products, strict=True)
        }
        self._rates: dict[float, tuple[list[Component], list[int]]] = {}
        self._rate_column(config.weights.scaled()["rate"])

    def _rate_column(self, weight: float) -> tuple[list[Component], list[int]]:
        """Every product's rate component and its points in hundredths (kept per weight).

        Worked out once per distinct pair of rates (``str``: the exact figures), so products that
        share one share its objects too: fewer objects, closer together, for every call to read.
        """
        column = self._rates.get(weight)
        if column is None:
            made = {
                key: rate_component(self.config, weight, low, high)
                for key, (low, high) in self._rate_keys.items()
            }
            points = {key: round(part.points * 100) for key, part in made.items()}
            column = self._rates[weight] = (
                list(map(made.__getitem__, self._rate_key)),
                list(map(points.__getitem__, self._rate_key)),
            )
        return column

    def _positions(self, only: Collection[str] | None) -> list[int]:
        """The positions of the products to rank, ascending (so in id order), once each."""
        if only is None:
            return list(range(len(self.ids)))
        # (ids the index does not hold are left out)
        positions = [p for p in map(self._position.get, only) if p is not None]
        positions.sort()  # cheap when ``only`` comes in id order, as eligible products do
        if len(set(positions)) != len(positions):
            positions = sorted(set(positions))
        return positions


def prepare(
    products: Iterable[ProductView], *, config: RankingConfig | None = None
) -> RankingIndex:
    """Build the ranking index of a product set once (BM25 and name/tag indexes included)."""
    return RankingIndex(products, config or load_config())


class _Family(Generic[K]):
    """One component per distinct product figure: points for every group at once, sentences
    only for the groups asked about."""

    def __init__(
        self,
        config: RankingConfig,
        name: str,
        weight: float,
        keys: Sequence[K],
        fit: Callable[[K, bool], tuple[float, str]],
    ) -> None:
        self._config, self._name, self._weight, self._keys, self._fit = (
            config,
            name,
            weight,
            keys,
            fit,
        )
        self.cents = [cents(weight, fit(key, False)[0]) for key in keys]

    def components(self, groups: Sequence[int], of: Sequence[int]) -> list[Component]:
        """The components of the products at positions ``of`` (``groups``: group by position),
        one per group they fall in, with its sentence."""
        chosen = list(map(groups.__getitem__, of))
        config, name, weight, keys, fit = (
            self._config,
            self._name,
            self._weight,
            self._keys,
            self._fit,
        )
        made = {
            group: component(config, name, weight, *fit(keys[group], True))
            for group in dict.fromkeys(chosen)
        }
        return list(map(made.__getitem__, chosen))


def _families(
    index: RankingIndex,
    scaled: Mapping[str, float],
    facts: Mapping[str, Any],
    demand: DemandView | None,
) -> tuple[
    _Family[AmountRange],
    _Family[tuple[int, int]],
    _Family[tuple[str, ...]],
    _Family[str | None],
]:
    """amount_fit, term_fit, regional_focus and approval_likelihood for this firm and demand."""
    config = index.config
    if demand is None:
        amount_neutral, term_neutral = neutral_fit(config, "额度"), neutral_fit(config, "期限")

        def amount(key: AmountRange, explain: bool) -> tuple[float, str]:
            return amount_neutral

        def term(key: tuple[int, int], explain: bool) -> tuple[float, str]:
            return term_neutral

    else:
        wanted_amount, wanted_term = demand.amount, demand.term_months
        shown = money(wanted_amount)

        def amount(key: AmountRange, explain: bool) -> tuple[float, str]:
            return amount_fit(key, wanted_amount, explain=shown if explain else None)

        def term(key: tuple[int, int], explain: bool) -> tuple[float, str]:
            return term_fit(key[0], key[1], wanted_term, explain=explain)

    code, values, grade = firm_region(facts), config.region_values, facts.get("credit_grade")

    def region(key: tuple[str, ...], explain: bool) -> tuple[float, str]:
        return regional_focus(key, code, values, explain=explain)

    def approval(key: str | None, explain: bool) -> tuple[float, str]:
        return approval_likelihood(config, key, grade)

    return (
        _Family(config, "amount_fit", scaled["amount_fit"], index._amount_keys, amount),
        _Family(config, "term_fit", scaled["term_fit"], index._term_keys, term),
        _Family(config, "regional_focus", scaled["regional_focus"], index._region_keys, region),
        _Family(
            config,
            "approval_likelihood",
            scaled["approval_likelihood"],
            index._target_keys,
            approval,
        ),
    )


def rank(
    index: RankingIndex,
    *,
    facts: Mapping[str, Any],
    demand: DemandView | None,
    weights: Weights | None = None,
    only: Collection[str] | None = None,
    limit: int | None = None,
    prune: bool = True,
    positions: Sequence[int] | None = None,
) -> list[RankedProduct]:
    """Score the index's products for one enterprise (its rule facts) and optional demand.

    ``only`` restricts the result to those product ids (e.g. the eligible ones); BM25 statistics
    still come from the whole product set. A caller that holds the products in the index's order
    (by id) may pass their ``positions`` in it instead, ascending and each once: no id lookups.
    ``limit`` keeps the first results only (the others are bounded, not fully scored, unless
    ``prune`` is False: the result is the same). Order: score descending, then product id
    ascending.
    """
    if only is not None and positions is not None:
        raise ValueError("pass only or positions, not both")
    config = index.config
    scaled = (weights or config.weights).scaled()
    positions = list(positions) if positions is not None else index._positions(only)
    count = len(positions)
    size = count if limit is None else max(0, min(limit, count))
    if size == 0:
        return []
    amount, term, region, approval = _families(index, scaled, facts, demand)
    rates, rate_points = index._rate_column(scaled["rate"])
    # Whole hundredths: equal scores are exactly equal, and the points shown add up to the score.
    a, t, r, q = amount.cents, term.cents, region.cents, approval.cents
    points = OtherPoints(
        [a[i] + t[j] for i, j in index._demand_keys],
        index._demand_group,
        [r[i] + q[j] for i, j in index._firm_keys],
        index._firm_group,
        rate_points,
    )
    bounded = prune and size < count
    text = TextColumn(
        index.text,
        index.names,
        config,
        scaled["text_relevance"],
        None if demand is None else demand.purpose,
        positions,
        every=not bounded,
    )
    if bounded:
        returned, totals = settle_page(positions, points, text, size)
    else:
        every = list(map(add, points.each(positions), text.every_cents(positions)))
        # Positions ascend with product id and the sort is stable (in reverse too): ties stay
        # in id order.
        order = sorted(range(count), key=every.__getitem__, reverse=True)[:size]
        returned = list(map(positions.__getitem__, order))
        totals = list(map(every.__getitem__, order))
    # Sentences for the returned products only, one per distinct figure.
    return list(
        map(
            RankedProduct,
            map(index.products.__getitem__, returned),
            [total / 100 for total in totals],
            zip(
                amount.components(index._amount_group, returned),
                term.components(index._term_group, returned),
                map(rates.__getitem__, returned),
                text.components(returned),
                region.components(index._region_group, returned),
                approval.components(index._target_group, returned),
                strict=True,
            ),
        )
    )
