"""The bank side of financing demands (抢单): open demands its products match, and offers.

``matched_demands`` is set-based: each of the institution's active products becomes one SQL
condition (amount and term within the product's range, the firm's region served, and the
eligibility rule compiled by ``matching.rules.compile_to_sql`` over ``enterprise_features``), and
one statement pages through the open demands that meet any of them. A firm whose needed fact is
unknown does not match (three-valued logic: only ELIGIBLE counts).

Privacy: matching reads non-public facts, so the bank learns only *that* its product matches. It
sees the demand and the firm's public identity (name, USCC, entity type, region, industry, size
class), the names of its own products that match and whether the firm has a live authorisation
for it; no fact value, score or grade. Each page is audited with the enterprises it showed.

``offer_for_demand`` invites the firm to apply for one matching product (idempotent per demand
and product), records the first response time and tells the firm in its inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import and_, case, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from backend.audit import service as audit
from backend.consent.models import Authorization
from backend.db.base import utcnow
from backend.enterprises.models import FEATURE_COLUMNS, Enterprise, EnterpriseFeatures
from backend.errors import DomainError, ErrorCode, check_each, parse_id
from backend.inbox.models import MessageKind
from backend.inbox.service import deliver
from backend.institutions.access import acting_institution
from backend.institutions.models import ApiScope, Institution
from backend.lending.catalog import current_catalog, product_rule, region_prefix
from backend.lending.matches import OfferView
from backend.lending.models import (
    DemandOffer,
    DemandStatus,
    FinancingDemand,
    LoanProduct,
    ProductStatus,
)
from backend.pagination import check_page_size, decode_cursor, encode_cursor
from backend.runtime import Runtime
from backend.security.actor import Actor
from matching.rule_messages import number_text
from matching.rules import Rule, RuleError, compile_to_sql

_CURSOR_TAG = "demands"
MESSAGE_MAX = 500
# The insert statement that understands ON CONFLICT, per back end.
_INSERTS: dict[str, Any] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def lending_institution(actor: Actor) -> int:
    """The actor's institution id, for its staff or an API token with APPLICATIONS."""
    return acting_institution(actor, ApiScope.APPLICATIONS, "查看和响应融资需求")


def demand_condition(product: LoanProduct, rule: Rule | None) -> ColumnElement[bool]:
    """The SQL condition for "this demand and its firm fit ``product``" over
    ``financing_demands`` joined with ``enterprises`` and (outer) ``enterprise_features``."""
    parts: list[ColumnElement[bool]] = [
        FinancingDemand.amount.between(literal(product.min_amount), literal(product.max_amount)),
        FinancingDemand.term_months.between(
            literal(product.min_term_months), literal(product.max_term_months)
        ),
    ]
    prefixes = list(dict.fromkeys(filter(None, map(region_prefix, product.region_codes or ()))))
    if prefixes:
        parts.append(
            or_(*(Enterprise.region_code.startswith(p, autoescape=True) for p in prefixes))
        )
    if rule is not None:
        parts.append(compile_to_sql(rule, FEATURE_COLUMNS))
    return and_(*parts)


@dataclass(frozen=True)
class MatchedProduct:
    """One of the institution's own products that matches a demand."""

    id: int
    name: str


@dataclass(frozen=True)
class MatchedDemand:
    """An open demand with only what a bank may see of its firm before an authorisation."""

    id: int
    amount: Decimal
    term_months: int
    purpose: str
    published_at: datetime
    enterprise_name: str
    enterprise_uscc: str
    entity_type: str
    region_code: str
    industry_code: str | None
    size_class: str | None
    products: list[MatchedProduct]
    offered_product_ids: list[int]
    authorized: bool


@dataclass(frozen=True)
class MatchedDemandPage:
    """A page of matched demands, newest first, with the cursor of the next page."""

    demands: list[MatchedDemand]
    has_next_page: bool
    end_cursor: str | None


async def _authorized(
    session: AsyncSession, institution_id: int, enterprise_ids: list[int]
) -> set[int]:
    """The firms among ``enterprise_ids`` with a live grant to the institution (one statement;
    the conditions of ``backend.consent.service.live_grants``, for many firms at once)."""
    if not enterprise_ids:
        return set()
    rows = await session.execute(
        select(Authorization.enterprise_id)
        .where(
            Authorization.enterprise_id.in_(enterprise_ids),
            Authorization.institution_id == institution_id,
            Authorization.revoked_at.is_(None),
            Authorization.valid_until > utcnow(),
        )
        .distinct()
    )
    return set(rows.scalars())


async def _offered(
    session: AsyncSession, institution_id: int, demand_ids: list[int]
) -> dict[int, list[int]]:
    """Demand id → the institution's products already offered on it."""
    if not demand_ids:
        return {}
    rows = await session.execute(
        select(DemandOffer.demand_id, DemandOffer.product_id)
        .where(DemandOffer.demand_id.in_(demand_ids), DemandOffer.institution_id == institution_id)
        .order_by(DemandOffer.product_id)
    )
    offered: dict[int, list[int]] = {}
    for demand_id, product_id in rows:
        offered.setdefault(demand_id, []).append(product_id)
    return offered


async def matched_demands(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    first: int = 20,
    after: str | None = None,
) -> MatchedDemandPage:
    """One page of open demands that at least one of the institution's active products matches,
    newest first; audited with the enterprises shown."""
    institution_id = lending_institution(actor)
    checked = check_each(
        lambda: check_page_size(first),
        lambda: decode_cursor(_CURSOR_TAG, after) if after else None,
    )
    size, after_id = cast(int, checked[0]), checked[1]
    own = (await current_catalog(session)).of_institution(institution_id)
    rows: list[Any] = []
    if own:
        conditions = [demand_condition(p.product, p.rule) for p in own]
        flags = [case((c, 1), else_=0).label(f"p{i}") for i, c in enumerate(conditions)]
        query = (
            select(
                FinancingDemand,
                Enterprise.name,
                Enterprise.uscc,
                Enterprise.entity_type,
                Enterprise.region_code,
                Enterprise.industry_code,
                EnterpriseFeatures.size_class,
                *flags,
            )
            .join(Enterprise, Enterprise.id == FinancingDemand.enterprise_id)
            .outerjoin(
                EnterpriseFeatures,
                EnterpriseFeatures.enterprise_id == FinancingDemand.enterprise_id,
            )
            .where(FinancingDemand.status == DemandStatus.OPEN.value, or_(*conditions))
            .order_by(FinancingDemand.id.desc())
            .limit(size + 1)
        )
        if after_id is not None:
            query = query.where(FinancingDemand.id < after_id)
        rows = list((await session.execute(query)).all())
    shown = rows[:size]
    enterprise_ids = list(dict.fromkeys(row[0].enterprise_id for row in shown))
    demand_ids = [row[0].id for row in shown]
    authorized = await _authorized(session, institution_id, enterprise_ids)
    offered = await _offered(session, institution_id, demand_ids)
    demands = []
    for row in shown:
        demand = row[0]
        demands.append(
            MatchedDemand(
                id=demand.id,
                amount=demand.amount,
                term_months=demand.term_months,
                purpose=demand.purpose,
                published_at=demand.created_at,
                enterprise_name=row[1],
                enterprise_uscc=row[2],
                entity_type=row[3],
                region_code=row[4],
                industry_code=row[5],
                size_class=row[6],
                products=[
                    MatchedProduct(p.id, p.product.name)
                    for p, flag in zip(own, row[7:], strict=True)
                    if flag
                ],
                offered_product_ids=offered.get(demand.id, []),
                authorized=demand.enterprise_id in authorized,
            )
        )
    await runtime.audit_reads.record(
        actor=actor,
        action="demand.matched.read",
        subject_type="financing_demand",
        enterprise_id=enterprise_ids[0] if len(enterprise_ids) == 1 else None,
        institution_id=institution_id,
        details={"enterprise_ids": enterprise_ids, "demand_ids": demand_ids, "after": after_id},
    )
    has_next = len(rows) > size
    return MatchedDemandPage(
        demands=demands,
        has_next_page=has_next,
        end_cursor=encode_cursor(_CURSOR_TAG, demand_ids[-1]) if has_next else None,
    )


# --- offers ---------------------------------------------------------------------------------


def _message(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MESSAGE_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"邀请留言不超过 {MESSAGE_MAX} 个字符", "message"
        )
    return text


def _yuan(amount: Decimal) -> str:
    return number_text(amount, "元")


def _fits(product: LoanProduct, demand: FinancingDemand) -> None:
    """The demand's amount and term within the product's ranges (the bank sees both, so say
    which one does not fit)."""
    if not product.min_amount <= demand.amount <= product.max_amount:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"需求金额{_yuan(demand.amount)}不在该产品额度"
            f"{_yuan(product.min_amount)}至{_yuan(product.max_amount)}之内，不能发出邀请",
            "productId",
        )
    if not product.min_term_months <= demand.term_months <= product.max_term_months:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"需求期限{demand.term_months}个月不在该产品期限"
            f"{product.min_term_months}至{product.max_term_months}个月之内，不能发出邀请",
            "productId",
        )


async def _still_matches(
    session: AsyncSession, product: LoanProduct, demand: FinancingDemand
) -> None:
    """Re-check, in SQL as ``matched_demands`` does, that the firm meets the product now."""
    _fits(product, demand)
    try:
        rule = product_rule(product)
    except RuleError as error:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "该产品的准入规则已失效，请先修改产品", "productId"
        ) from error
    found = await session.scalar(
        select(FinancingDemand.id)
        .join(Enterprise, Enterprise.id == FinancingDemand.enterprise_id)
        .outerjoin(
            EnterpriseFeatures, EnterpriseFeatures.enterprise_id == FinancingDemand.enterprise_id
        )
        .where(FinancingDemand.id == demand.id, demand_condition(product, rule))
    )
    if found is None:
        # Which condition failed is the firm's non-public data: say only that it does not match.
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "该企业目前不符合该产品的服务地区或准入条件，不能发出邀请",
            "productId",
        )


async def _existing(session: AsyncSession, demand_id: int, product_id: int) -> DemandOffer | None:
    return await session.scalar(
        select(DemandOffer).where(
            DemandOffer.demand_id == demand_id, DemandOffer.product_id == product_id
        )
    )


async def _tell_firm(
    session: AsyncSession,
    offer: DemandOffer,
    demand: FinancingDemand,
    product: LoanProduct,
    institution: Institution,
) -> None:
    body = (
        f"{institution.name}看到了您发布的融资需求（{_yuan(demand.amount)}，"
        f"{demand.term_months}个月，用途：{demand.purpose}），邀请您申请其贷款产品"
        f"“{product.name}”（额度{_yuan(product.min_amount)}至{_yuan(product.max_amount)}，"
        f"期限{product.min_term_months}至{product.max_term_months}个月）。"
    )
    if offer.message:
        body += f"\n机构留言：{offer.message}"
    body += "\n如有意向，请在“融资需求”中查看邀请并申请；申请前不会向该机构提供您的非公开信息。"
    await deliver(
        session,
        enterprise_id=demand.enterprise_id,
        kind=MessageKind.APPLICATION,
        title=f"{institution.name}邀请您申请“{product.name}”",
        body=body,
        dedupe_key=f"demand-offer:{offer.id}",
    )


async def offer_for_demand(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    demand_id: int | str,
    product_id: int | str,
    message: str | None = None,
) -> OfferView:
    """Invite the firm behind an open demand to apply for one of the institution's active
    products that matches it. The same product offered again returns the first offer."""
    institution_id = lending_institution(actor)
    demand_key, product_key, text = check_each(
        lambda: parse_id(demand_id, "demandId", "融资需求不存在"),
        lambda: parse_id(product_id, "productId", "找不到该产品"),
        lambda: _message(message),
    )
    product = await session.get(LoanProduct, product_key)
    if product is None or product.institution_id != institution_id:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该产品", field="productId")
    institution = await session.get(Institution, institution_id)
    # Locked (PostgreSQL) so that the demand cannot close between the check and the offer.
    demand = await session.scalar(
        select(FinancingDemand).where(FinancingDemand.id == demand_key).with_for_update()
    )
    if demand is None or institution is None:
        raise DomainError(ErrorCode.NOT_FOUND, "融资需求不存在", field="demandId")
    existing = await _existing(session, demand.id, product.id)
    if existing is not None:
        return OfferView(existing, product, institution)
    if demand.status != DemandStatus.OPEN.value:
        raise DomainError(ErrorCode.CONFLICT, "该融资需求已关闭，不能再发出邀请", "demandId")
    if product.status != ProductStatus.ACTIVE.value:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只能以在售的产品响应融资需求", field="productId"
        )
    await _still_matches(session, product, demand)
    now = utcnow()
    insert_offer: Any = _INSERTS[session.get_bind().dialect.name](DemandOffer)
    created = await session.scalar(
        insert_offer.values(
            demand_id=demand.id,
            institution_id=institution_id,
            product_id=product.id,
            message=text,
            created_by_account_id=actor.account_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["demand_id", "product_id"])
        .returning(DemandOffer.id)
    )
    offer = await _existing(session, demand.id, product.id)
    assert offer is not None  # inserted now, or by a concurrent request that won the race
    if created is None:
        return OfferView(offer, product, institution)
    await session.execute(
        update(FinancingDemand)
        .where(FinancingDemand.id == demand.id, FinancingDemand.first_response_at.is_(None))
        .values(first_response_at=now)
    )
    await _tell_firm(session, offer, demand, product, institution)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="demand.offer",
        subject_type="demand_offer",
        subject_id=offer.id,
        enterprise_id=demand.enterprise_id,
        institution_id=institution_id,
        details={"demand_id": demand.id, "product_id": product.id},
    )
    return OfferView(offer, product, institution)
