"""The matching engine's view of the product catalogue, built once and kept per process.

Parsing every product's rule and building the ranking index (BM25, name and tag indexes, grouped
components) costs far more than matching one firm against them (about 1.7 s for 5,000 products
against a few milliseconds), so neither happens per request. Each request instead reads a cheap
fingerprint of the catalogue in ONE SQL statement and rebuilds the cached :class:`Catalog` only
when it changed. The fingerprint covers everything that changes which products are on offer or
what they say:

* publishing a product: the active count, the sum of active ids and the newest id change;
* updating one: its version goes up (the sum of active versions) and ``updated_at`` moves;
* pausing, resuming or retiring one: the active count and sum of ids, and ``updated_at``;
* suspending, revoking or reactivating an institution: its products leave or rejoin the active
  set, and ``institutions.status_changed_at`` moves.

Every app instance keeps its own cache and checks the fingerprint on every request, so a change
made through any instance is seen by all of them on their next request. The cache is keyed by the
database URL too (tests run many databases in one process) and holds a few databases at most.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.institutions.models import Institution, InstitutionStatus
from backend.lending.models import LoanProduct, ProductStatus
from matching.rank import ProductView, RankingIndex, prepare
from matching.rules import (
    Condition,
    Negation,
    Node,
    Rule,
    RuleError,
    Status,
    parse_rule,
    truth_with,
)
from matching.ruleset import RuleSet

log = logging.getLogger("xinrong.lending.catalog")

MAX_CACHED_DATABASES = 4

Fingerprint = tuple[Any, ...]


@dataclass(frozen=True)
class CatalogProduct:
    """One active product of an active institution, its parsed rule and its ranking view.

    ``product`` and ``institution`` are detached rows shared by every request: read them, never
    change them. ``rule`` is None for a product without conditions (every firm qualifies).
    """

    product: LoanProduct
    institution: Institution
    rule: Rule | None
    regions: tuple[str, ...]  # served division-code prefixes; empty = nationwide
    view: ProductView
    # The rule's leaves a firm can act on (``changeable_leaves``): a near miss's candidates.
    changeable: tuple[tuple[Condition, bool], ...] = ()
    # Where the product sits in the catalogue (and so in its ranking index): set by ``Catalog``.
    position: int = -1

    @property
    def id(self) -> int:
        """The product's id."""
        return self.product.id

    def may_be_near_miss(self, facts: dict[str, Any]) -> bool:
        """Whether ``matching.whatif.near_miss`` could find anything (see ``could_qualify``)."""
        return self.rule is not None and could_qualify(self.rule, self.changeable, facts)

    def serves(self, region_code: str | None) -> bool:
        """Whether the product serves a firm registered in ``region_code``."""
        if not self.regions:
            return True
        return bool(region_code) and str(region_code).startswith(self.regions)


def region_prefix(code: str) -> str:
    """A served region as a match prefix: ``370000`` → ``37``, ``371300`` → ``3713``."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def view_id(product_id: int) -> str:
    """The ranking id of a product: zero-padded, so that ties in score keep numeric id order."""
    return f"{product_id:019d}"


def _view(product: LoanProduct, institution: Institution, regions: tuple[str, ...]) -> ProductView:
    return ProductView(
        id=view_id(product.id),
        name=product.name,
        institution_name=institution.name,
        product_type=product.product_type,
        min_amount=product.min_amount,
        max_amount=product.max_amount,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        min_annual_rate=product.min_annual_rate,
        max_annual_rate=product.max_annual_rate,
        region_codes=regions,
        description=product.description or "",
        tags=tuple(product.tags or ()),
        target_grade=product.target_grade,
    )


Leaves = tuple[tuple[Condition, bool], ...]


def changeable_leaves(node: Node, negated: bool = False) -> Leaves:
    """The leaves under ``node`` whose fact a firm can act on, each with whether it sits under
    an odd number of ``not`` (then the rule wants it false)."""
    if isinstance(node, Condition):
        return ((node, negated),) if node.fact.changeable else ()
    if isinstance(node, Negation):
        return changeable_leaves(node.child, not negated)
    return tuple(leaf for child in node.children for leaf in changeable_leaves(child, negated))


def could_qualify(rule: Rule, leaves: Leaves, facts: dict[str, Any]) -> bool:
    """A cheap test before ``near_miss``: False when even meeting every changeable condition the
    firm now fails would not make the rule hold. Then no one or two of them would either, since
    meeting more conditions never makes a rule less true."""
    wrong = [condition for condition, negated in leaves if condition.outcome(facts) == negated]
    return bool(wrong) and truth_with(rule, facts, wrong) is True


def product_rule(product: LoanProduct) -> Rule | None:
    """The product's parsed eligibility rule (None when it sets no conditions); RuleError when
    the stored rule no longer parses (a fact retired from the catalog, say)."""
    return parse_rule(product.eligibility) if product.eligibility else None


class Catalog:
    """The active products, their rules answered together (``RuleSet``) and the ranking index."""

    def __init__(self, fingerprint: Fingerprint, products: Sequence[CatalogProduct]) -> None:
        """Prepare rules and ranking for ``products`` (CPU work: run it off the event loop)."""
        self.fingerprint = fingerprint
        ordered = sorted(products, key=lambda p: p.id)
        self.products = tuple(replace(p, position=i) for i, p in enumerate(ordered))
        self.by_id = {p.id: p for p in self.products}
        self.by_view_id = {p.view.id: p for p in self.products}
        self._ruled = [i for i, p in enumerate(self.products) if p.rule is not None]
        self._rules = RuleSet([p.rule for p in self.products if p.rule is not None])
        self.index: RankingIndex = prepare([p.view for p in self.products])
        # Zero-padded view ids sort like product ids: a product's position is its index position.
        if self.index.ids != [p.view.id for p in self.products]:
            raise RuntimeError("the ranking index does not hold the products in catalogue order")

    def statuses(self, facts: dict[str, Any]) -> list[Status]:
        """Every product's rule answer for ``facts``, in ``products`` order."""
        answers = [Status.ELIGIBLE] * len(self.products)
        for position, status in zip(self._ruled, self._rules.statuses(facts), strict=True):
            answers[position] = status
        return answers

    def of_institution(self, institution_id: int) -> list[CatalogProduct]:
        """The active products of one institution, by id."""
        return [p for p in self.products if p.institution.id == institution_id]


def _active() -> list[Any]:
    return [
        LoanProduct.status == ProductStatus.ACTIVE.value,
        Institution.status == InstitutionStatus.ACTIVE.value,
    ]


async def fingerprint(session: AsyncSession) -> Fingerprint:
    """The catalogue's fingerprint, in one statement (see the module docstring)."""
    active = (
        select(
            func.count(LoanProduct.id),
            func.coalesce(func.sum(LoanProduct.id), 0),
            func.coalesce(func.sum(LoanProduct.version), 0),
        )
        .join(Institution, Institution.id == LoanProduct.institution_id)
        .where(*_active())
        .subquery()
    )
    row = (
        await session.execute(
            select(
                *active.c,
                select(func.max(LoanProduct.id)).scalar_subquery(),
                select(func.max(LoanProduct.updated_at)).scalar_subquery(),
                select(func.max(Institution.status_changed_at)).scalar_subquery(),
            )
        )
    ).one()
    # Plain values (asyncpg gives Decimal sums, SQLite ints), compared as text for stability.
    return tuple(None if value is None else str(value) for value in row)


async def _load(session: AsyncSession) -> list[tuple[LoanProduct, Institution]]:
    """The active products of active institutions with their institutions, detached."""
    rows = (
        await session.execute(
            select(LoanProduct, Institution)
            .join(Institution, Institution.id == LoanProduct.institution_id)
            .where(*_active())
        )
    ).all()
    detached: set[int] = set()
    for product, institution in rows:
        session.expunge(product)
        if id(institution) not in detached:
            session.expunge(institution)
            detached.add(id(institution))
    return [(product, institution) for product, institution in rows]


def _build(fingerprint: Fingerprint, rows: list[tuple[LoanProduct, Institution]]) -> Catalog:
    products = []
    for product, institution in rows:
        try:
            rule = product_rule(product)
        except RuleError as error:
            # Rules are checked at publish time; one that no longer parses must not take the
            # whole catalogue down with it. The bank sees it in the log; firms do not see it.
            log.warning("product %s left out of matching: %s", product.id, error)
            continue
        regions = tuple(dict.fromkeys(filter(None, map(region_prefix, product.region_codes or ()))))
        view = _view(product, institution, regions)
        changeable = changeable_leaves(rule.root) if rule is not None else ()
        products.append(CatalogProduct(product, institution, rule, regions, view, changeable))
    return Catalog(fingerprint, products)


_cache: dict[str, Catalog] = {}
_lock = threading.Lock()


def _build_once(key: str, fingerprint: Fingerprint, rows: list[Any]) -> Catalog:
    """Build and cache, unless a concurrent request built this same catalogue meanwhile."""
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        catalog = _build(fingerprint, rows)
        _cache.pop(key, None)
        while len(_cache) >= MAX_CACHED_DATABASES:
            _cache.pop(next(iter(_cache)))
        _cache[key] = catalog
        return catalog


async def current_catalog(session: AsyncSession) -> Catalog:
    """The catalogue as it is now: the cached one when its fingerprint still holds, else rebuilt
    (one more statement, and the build in a worker thread so other requests keep being served).
    """
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    now = await fingerprint(session)
    cached = _cache.get(key)
    if cached is not None and cached.fingerprint == now:
        return cached
    rows = await _load(session)
    return await asyncio.to_thread(_build_once, key, now, rows)


def forget() -> None:
    """Drop every cached catalogue (for tests and the command line)."""
    with _lock:
        _cache.clear()
