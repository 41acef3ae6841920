"""``productMatches``: the loan products on offer for the signed-in firm, in three groups.

1. ELIGIBLE: the rule holds and the product serves the firm's region; ranked by
   ``matching.rank`` (score 0–100 with its six components), the satisfied conditions as reasons.
2. UNKNOWN: the rule needs a fact the platform does not have (never guessed); fewest missing
   facts first, then by relevance; each missing fact says whether the firm can declare it.
3. INELIGIBLE (on request): near misses first (one or two conditions the firm can change, the
   smallest change first), then the rest; the failed conditions as reasons. A product that does
   not serve the firm's region fails on that implicit condition whatever its rule says.

``first`` caps each group. The firm's facts are its stored ``enterprise_features`` row, the same
facts an application is checked against and the banks' demand matching compiles to SQL. The
products come from the cached catalogue (``backend.lending.catalog``), so a request costs a fixed
number of statements whatever the number of products. The firm reads about itself: no audit row.

``demand_offers`` lists the invitations institutions made on one of the firm's demands
(``backend.lending.demand_market`` makes them).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.errors import DomainError, ErrorCode
from backend.institutions.models import Institution
from backend.lending.catalog import Catalog, CatalogProduct, current_catalog
from backend.lending.demands import own_demand
from backend.lending.models import DemandOffer, FinancingDemand, LoanProduct
from backend.lending.stored_facts import facts_of
from backend.rules import sentence
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id
from matching.facts import CATALOG, DECLARABLE
from matching.rank import Component, DemandView, rank
from matching.rule_messages import NEGATED_OP
from matching.rules import ConditionResult, Status, evaluate
from matching.whatif import NearMiss, near_miss

MAX_FIRST = 50
OUTSIDE_REGION = "产品服务地区不含企业所在地"


@dataclass(frozen=True)
class UnmetCondition:
    """A condition the firm fails: what the rule wants (``op`` already turned round under
    ``not``), the firm's value, and the sentence."""

    fact: str
    label: str
    op: str
    expected: Any
    actual: Any
    message: str


@dataclass(frozen=True)
class MissingFact:
    """A fact a rule needs that the platform does not have for the firm."""

    fact: str
    label: str
    declarable: bool


@dataclass(frozen=True)
class ProductMatch:
    """One product's answer for the firm, with everything the page shows about it."""

    product: LoanProduct
    institution: Institution
    status: Status
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    unmet: list[UnmetCondition] = field(default_factory=list)
    missing: list[MissingFact] = field(default_factory=list)
    components: tuple[Component, ...] = ()
    near_miss: NearMiss | None = None


def plain(value: Any) -> Any:
    """A rule value or fact as JSON: whole numbers as integers, pairs and lists as lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def unmet_condition(result: ConditionResult) -> UnmetCondition:
    """A failed condition as the page shows it."""
    condition = result.condition
    return UnmetCondition(
        fact=condition.fact.name,
        label=condition.fact.label,
        op=NEGATED_OP[condition.op] if result.negated else condition.op,
        expected=plain(condition.value),
        actual=plain(result.actual),
        message=sentence(result),
    )


def _outside_region(entry: CatalogProduct, region_code: str | None) -> UnmetCondition:
    served = "、".join(entry.regions)
    return UnmetCondition(
        fact="region_code",
        label=CATALOG["region_code"].label,
        op="within_region",
        expected=list(entry.regions),
        actual=region_code,
        message=f"{OUTSIDE_REGION}（服务地区：{served}；企业所在地：{region_code or '暂无数据'}）",
    )


def missing_fact(name: str) -> MissingFact:
    """A missing fact with its label and whether the firm can declare it (自主填报)."""
    fact = CATALOG.get(name)
    return MissingFact(name, fact.label if fact else name, name in DECLARABLE)


def missing_reason(missing: MissingFact) -> str:
    """What the firm can do about a missing fact."""
    if missing.declarable:
        return f"缺少“{missing.label}”数据：可通过“自主填报”补充后重新匹配"
    return f"缺少“{missing.label}”数据：待相关部门归集后重新匹配"


def _first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_FIRST} 个产品", "first")
    return first


async def firm_with_facts(
    session: AsyncSession, enterprise_id: int
) -> tuple[Enterprise, dict[str, Any]]:
    """The firm and its stored facts (one statement; every fact unknown before the first
    computation)."""
    row = (
        await session.execute(
            select(Enterprise, EnterpriseFeatures)
            .outerjoin(EnterpriseFeatures, EnterpriseFeatures.enterprise_id == Enterprise.id)
            .where(Enterprise.id == enterprise_id)
        )
    ).one_or_none()
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "企业不存在")
    return row[0], facts_of(row[1])


def _eligible(
    catalog: Catalog,
    entries: list[CatalogProduct],
    facts: dict[str, Any],
    demand: DemandView | None,
    first: int,
) -> list[ProductMatch]:
    ranked = rank(
        catalog.index,
        facts=facts,
        demand=demand,
        positions=[e.position for e in entries],
        limit=first,
    )
    matches = []
    for item in ranked:
        entry = catalog.by_view_id[item.product.id]
        if entry.rule is not None:
            reasons = [sentence(r) for r in evaluate(entry.rule, facts).results if r.satisfied]
        else:
            reasons = ["产品未设准入条件"]
        if entry.regions:
            reasons.append(f"产品服务地区覆盖企业所在地（{'、'.join(entry.regions)}）")
        matches.append(
            ProductMatch(
                entry.product,
                entry.institution,
                Status.ELIGIBLE,
                score=item.score,
                reasons=reasons,
                components=item.components,
            )
        )
    return matches


def _relevance(
    catalog: Catalog,
    entries: list[CatalogProduct],
    facts: dict[str, Any],
    demand: DemandView | None,
) -> dict[int, int]:
    """Product id → position by relevance to the firm and demand (for ordering the others)."""
    if not entries:
        return {}
    ranked = rank(
        catalog.index, facts=facts, demand=demand, positions=[e.position for e in entries]
    )
    return {int(item.product.id): position for position, item in enumerate(ranked)}


def _unknown(
    catalog: Catalog,
    entries: list[CatalogProduct],
    facts: dict[str, Any],
    demand: DemandView | None,
    first: int,
) -> list[ProductMatch]:
    unknown = {name for name, value in facts.items() if value is None}
    order = _relevance(catalog, entries, facts, demand)

    def missing_count(entry: CatalogProduct) -> int:
        # A rule's missing facts are exactly the facts it reads that the firm has no value for.
        return len(entry.rule.facts & unknown) if entry.rule else 0

    chosen = sorted(entries, key=lambda e: (missing_count(e), order[e.id]))[:first]
    matches = []
    for entry in chosen:
        assert entry.rule is not None  # a product without conditions is never UNKNOWN
        result = evaluate(entry.rule, facts)
        missing = [missing_fact(name) for name in result.missing_facts]
        matches.append(
            ProductMatch(
                entry.product,
                entry.institution,
                Status.UNKNOWN,
                reasons=[missing_reason(m) for m in missing],
                missing=missing,
            )
        )
    return matches


def _ineligible(
    catalog: Catalog,
    entries: list[CatalogProduct],
    facts: dict[str, Any],
    region_code: str | None,
    demand: DemandView | None,
    first: int,
) -> list[ProductMatch]:
    # Near misses lead. Finding one costs a full evaluation and a few what-ifs, so only the
    # products that serve the firm and pass the cheap test are tried.
    misses = {
        entry.id: miss
        for entry in entries
        if entry.rule is not None
        and entry.serves(region_code)
        and entry.may_be_near_miss(facts)
        and (miss := near_miss(entry.rule, facts)) is not None
    }
    # Equal near misses go by relevance; the rest by catalogue order (ranking them all would
    # cost more than the page is worth).
    order = _relevance(catalog, [e for e in entries if e.id in misses], facts, demand)

    def key(entry: CatalogProduct) -> tuple[int, int, float, int]:
        miss = misses.get(entry.id)
        if miss is not None:
            return (0, len(miss.changes), miss.gap, order[entry.id])
        return (1, 0, 0.0, entry.id)

    matches = []
    for entry in sorted(entries, key=key)[:first]:
        reasons: list[str] = []
        unmet: list[UnmetCondition] = []
        if not entry.serves(region_code):
            reasons.append(OUTSIDE_REGION)
            unmet.append(_outside_region(entry, region_code))
        if entry.rule is not None:
            failed = [unmet_condition(r) for r in evaluate(entry.rule, facts).unmet]
            reasons.extend(u.message for u in failed)
            unmet.extend(failed)
        matches.append(
            ProductMatch(
                entry.product,
                entry.institution,
                Status.INELIGIBLE,
                reasons=reasons,
                unmet=unmet,
                near_miss=misses.get(entry.id),
            )
        )
    return matches


async def product_matches(
    *,
    session: AsyncSession,
    actor: Actor,
    demand_id: int | str | None = None,
    first: int = 20,
    include_ineligible: bool = False,
) -> list[ProductMatch]:
    """The products for the actor's own verified firm (and optionally one of its demands):
    eligible ranked, then unknown, then (on request) ineligible, each group at most ``first``."""
    enterprise_id = own_enterprise_id(actor, "查看匹配的贷款产品")
    first = _first(first)
    enterprise, facts = await firm_with_facts(session, enterprise_id)
    demand = None
    if demand_id is not None:
        found = await own_demand(session, enterprise_id, demand_id)
        demand = DemandView(found.amount, found.term_months, found.purpose)
    catalog = await current_catalog(session)
    answer = (catalog, facts, enterprise.region_code, demand, first, include_ineligible)
    if include_ineligible:
        # Near misses over a large catalogue take a while (about 0.3 s for 2,000 candidates):
        # off the event loop, so other requests keep being served meanwhile.
        return await asyncio.to_thread(_answer, *answer)
    return _answer(*answer)


def _answer(
    catalog: Catalog,
    facts: dict[str, Any],
    region_code: str | None,
    demand: DemandView | None,
    first: int,
    include_ineligible: bool,
) -> list[ProductMatch]:
    """The three groups for one firm (pure: no database)."""
    groups: dict[Status, list[CatalogProduct]] = {status: [] for status in Status}
    for entry, status in zip(catalog.products, catalog.statuses(facts), strict=True):
        groups[status if entry.serves(region_code) else Status.INELIGIBLE].append(entry)
    matches = _eligible(catalog, groups[Status.ELIGIBLE], facts, demand, first)
    matches += _unknown(catalog, groups[Status.UNKNOWN], facts, demand, first)
    if include_ineligible:
        matches += _ineligible(
            catalog, groups[Status.INELIGIBLE], facts, region_code, demand, first
        )
    return matches


# --- offers on the firm's demands (made in backend.lending.demand_market) ---------------


@dataclass(frozen=True)
class OfferView:
    """An offer with its product and the institution that made it."""

    offer: DemandOffer
    product: LoanProduct
    institution: Institution


async def demand_offers(
    *, session: AsyncSession, actor: Actor, demand_id: int | str
) -> list[OfferView]:
    """The offers institutions made on one of the firm's own demands, newest first."""
    enterprise_id = own_enterprise_id(actor, "查看融资需求的邀请")
    demand = await own_demand(session, enterprise_id, demand_id)
    rows = await session.execute(
        select(DemandOffer, LoanProduct, Institution)
        .join(LoanProduct, LoanProduct.id == DemandOffer.product_id)
        .join(Institution, Institution.id == DemandOffer.institution_id)
        .where(DemandOffer.demand_id == demand.id)
        .order_by(DemandOffer.id.desc())
    )
    return [OfferView(offer, product, institution) for offer, product, institution in rows]


async def referral_products(
    *,
    session: AsyncSession,
    enterprise_id: int,
    demand: FinancingDemand | None,
    exclude_institution_id: int,
    limit: int = 3,
) -> list[ProductMatch]:
    """Eligible products of other institutions, best first: what a firm that agreed to referral
    is pointed to after a rejection (推荐其他产品)."""
    enterprise, facts = await firm_with_facts(session, enterprise_id)
    wanted = DemandView(demand.amount, demand.term_months, demand.purpose) if demand else None
    catalog = await current_catalog(session)
    found = _answer(catalog, facts, enterprise.region_code, wanted, MAX_FIRST, False)
    return [
        match
        for match in found
        if match.status == Status.ELIGIBLE and match.institution.id != exclude_institution_id
    ][:limit]
