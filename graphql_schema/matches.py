"""Matching in GraphQL: productMatches and demandOffers for firms; matchedDemands and
offerForDemand for institutions (抢单)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.identity.models import Role
from backend.identity.regions import region_name
from backend.lending import demand_market, matches
from graphql_schema.credit_profile import PageInfo
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.products import LoanProduct
from matching.facts import CATALOG


@strawberry.enum(
    description="匹配结果：ELIGIBLE 符合、INELIGIBLE 不符合、UNKNOWN 数据不足（不猜测）"
)
class MatchStatus(Enum):
    ELIGIBLE = "ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"
    UNKNOWN = "UNKNOWN"


@strawberry.type(description="未满足的准入条件：规则要求与企业当前情况")
class UnmetCondition:
    fact: str = strawberry.field(description="事实名称（见 factsCatalog）")
    label: str = strawberry.field(description="事实的中文名称")
    op: str = strawberry.field(
        description="规则要求的运算符；位于 not 之下的条件已按规则本意取反"
        "（ne、not_in，以及 not_between、not_within）"
    )
    expected: JSON = strawberry.field(description="规则要求的值（金额单位为元）")
    actual: JSON | None = strawberry.field(description="企业当前的值；暂无数据时为空")
    message: str = strawberry.field(description="中文说明，如“成立年限需≥2年，当前1年”")


@strawberry.type(description="规则需要而平台暂无数据的事实")
class MissingFact:
    fact: str
    label: str
    declarable: bool = strawberry.field(
        description="企业能否通过 submitDeclaration（自主填报）补充该数据"
    )


@strawberry.type(description="排序分项：得分 = 权重 × 匹配度")
class ScoreComponent:
    name: str = strawberry.field(
        description="amount_fit、term_fit、rate、text_relevance、regional_focus、approval_likelihood"
    )
    label: str
    weight: float = strawberry.field(description="权重（六项合计 100）")
    value: float = strawberry.field(description="匹配度，0 到 1")
    points: float = strawberry.field(description="得分（六项得分之和即总分）")
    explanation: str


@strawberry.type(description="达到准入条件所需的一项改变")
class NearMissChange:
    fact: str
    label: str
    message: str = strawberry.field(description="如“年纳税额再增加4万元（当前6万元，需≥10万元）”")
    gap: float = strawberry.field(description="相对差距（排序用，越小越接近）")


@strawberry.type(description="差一点符合：改变一至两项条件即可符合")
class NearMiss:
    changes: list[NearMissChange]


@strawberry.type(description="一个贷款产品对本企业的匹配结果")
class ProductMatch:
    product: LoanProduct
    status: MatchStatus
    score: float | None = strawberry.field(description="排序总分 0–100（仅 ELIGIBLE）")
    reasons: list[str] = strawberry.field(
        description="中文理由：符合的列出满足的条件，不符合的列出未满足的条件，"
        "数据不足的说明需补充什么"
    )
    unmet_conditions: list[UnmetCondition]
    missing_facts: list[MissingFact] = strawberry.field(description="缺少的数据（仅 UNKNOWN）")
    components: list[ScoreComponent] = strawberry.field(description="排序分项（仅 ELIGIBLE）")
    near_miss: NearMiss | None = strawberry.field(
        description="差一点符合时，最小的改变（仅 INELIGIBLE）"
    )

    @classmethod
    def from_match(cls, match: matches.ProductMatch) -> ProductMatch:
        """Shape one match (no query runs here)."""
        return cls(
            product=LoanProduct.from_row(match.product, match.institution),
            status=MatchStatus(match.status.value),
            score=match.score,
            reasons=list(match.reasons),
            unmet_conditions=[UnmetCondition(**vars(u)) for u in match.unmet],
            missing_facts=[MissingFact(**vars(m)) for m in match.missing],
            components=[ScoreComponent(**vars(c)) for c in match.components],
            near_miss=NearMiss(changes=[NearMissChange(**vars(c)) for c in match.near_miss.changes])
            if match.near_miss
            else None,
        )


@strawberry.type(description="融资需求企业的公开身份信息（抢单时机构可见的全部企业信息）")
class DemandEnterprise:
    name: str
    uscc: str
    entity_type: str = strawberry.field(
        description="enterprise, individual_business, farmer_coop 或 other"
    )
    region_code: str
    industry_code: str | None
    size_class: str | None = strawberry.field(description="micro, small, medium, large；未知为空")

    @strawberry.field(description="行政区划全称")
    def region_name(self) -> str | None:
        return region_name(self.region_code)

    @strawberry.field(description="主体类型（中文）")
    def entity_type_label(self) -> str:
        return CATALOG["entity_type"].value_label(self.entity_type)


@strawberry.type(description="本机构与该需求匹配的产品")
class MatchedProduct:
    id: strawberry.ID
    name: str


@strawberry.type(
    description="与本机构在售产品匹配的融资需求（抢单）。匹配使用了企业的非公开数据，"
    "因此只显示“匹配”，不显示任何数据项、评分或等级；获得企业授权或收到申请后方可查看更多"
)
class MatchedDemand:
    id: strawberry.ID
    amount: Decimal = strawberry.field(description="需求金额（元）")
    term_months: int = strawberry.field(description="期限（月）")
    purpose: str = strawberry.field(description="融资用途")
    published_at: datetime = strawberry.field(description="发布时间")
    enterprise: DemandEnterprise
    matched_products: list[MatchedProduct] = strawberry.field(
        description="本机构与该需求匹配的在售产品"
    )
    offered_product_ids: list[strawberry.ID] = strawberry.field(
        description="本机构已就该需求发出邀请的产品"
    )
    authorized: bool = strawberry.field(description="企业是否已向本机构作出有效授权")

    @classmethod
    def from_view(cls, view: demand_market.MatchedDemand) -> MatchedDemand:
        """Shape one matched demand."""
        return cls(
            id=strawberry.ID(str(view.id)),
            amount=view.amount,
            term_months=view.term_months,
            purpose=view.purpose,
            published_at=view.published_at,
            enterprise=DemandEnterprise(
                name=view.enterprise_name,
                uscc=view.enterprise_uscc,
                entity_type=view.entity_type,
                region_code=view.region_code,
                industry_code=view.industry_code,
                size_class=view.size_class,
            ),
            matched_products=[
                MatchedProduct(id=strawberry.ID(str(p.id)), name=p.name) for p in view.products
            ],
            offered_product_ids=[strawberry.ID(str(i)) for i in view.offered_product_ids],
            authorized=view.authorized,
        )


@strawberry.type
class MatchedDemandConnection:
    items: list[MatchedDemand]
    page_info: PageInfo


@strawberry.type(description="金融机构针对融资需求发出的申请邀请")
class DemandOffer:
    id: strawberry.ID
    demand_id: strawberry.ID
    product: LoanProduct
    institution_name: str
    message: str = strawberry.field(description="机构留言")
    created_at: datetime

    @classmethod
    def from_view(cls, view: matches.OfferView) -> DemandOffer:
        """Shape an offer with its product and institution."""
        return cls(
            id=strawberry.ID(str(view.offer.id)),
            demand_id=strawberry.ID(str(view.offer.demand_id)),
            product=LoanProduct.from_row(view.product, view.institution),
            institution_name=view.institution.name,
            message=view.offer.message,
            created_at=view.offer.created_at,
        )


@strawberry.input(description="邀请融资需求企业申请本机构的一个产品")
class OfferForDemandInput:
    demand_id: strawberry.ID
    product_id: strawberry.ID = strawberry.field(description="本机构在售、且与该需求匹配的产品")
    message: str | None = strawberry.field(default=None, description="留言，不超过 500 字")


@strawberry.type
class DemandOfferPayload:
    offer: DemandOffer | None
    errors: list[UserError]


@strawberry.type
class MatchesQuery:
    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="为本企业匹配的贷款产品（企业账户，须已实名认证）：先是符合的产品，按排序总分"
        "由高到低；再是数据不足（UNKNOWN）的产品及缺少的数据；includeIneligible 时最后是不符合的"
        "产品，差一点符合的在前。first（1–50，默认 20）限制每一组的个数。demandId 为本企业的"
        "融资需求，用于额度、期限和用途的匹配",
    )
    async def product_matches(
        self,
        info: Info,
        demand_id: strawberry.ID | None = None,
        first: int = 20,
        include_ineligible: bool = False,
    ) -> list[ProductMatch]:
        found = await info.context.read(
            lambda session, actor: matches.product_matches(
                session=session,
                actor=actor,
                demand_id=demand_id,
                first=first,
                include_ineligible=include_ineligible,
            )
        )
        return [ProductMatch.from_match(match) for match in found]

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="金融机构对本企业某项融资需求发出的申请邀请，由新到旧（企业账户）",
    )
    async def demand_offers(self, info: Info, demand_id: strawberry.ID) -> list[DemandOffer]:
        views = await info.context.read(
            lambda session, actor: matches.demand_offers(
                session=session, actor=actor, demand_id=demand_id
            )
        )
        return [DemandOffer.from_view(view) for view in views]

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="与本机构在售产品匹配的未关闭融资需求（抢单，金融机构；接口令牌须有 "
        "APPLICATIONS 权限），由新到旧，每页 1–100 条；每页均记入审计日志",
    )
    async def matched_demands(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> MatchedDemandConnection:
        ctx = info.context
        page = await ctx.read(
            lambda session, actor: demand_market.matched_demands(
                session=session, runtime=ctx.runtime, actor=actor, first=first, after=after
            )
        )
        return MatchedDemandConnection(
            items=[MatchedDemand.from_view(view) for view in page.demands],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type
class MatchesMutation:
    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="邀请融资需求企业申请本机构一个与之匹配的在售产品（金融机构；接口令牌须有 "
        "APPLICATIONS 权限）；同一需求同一产品重复发出返回原邀请；企业会收到站内消息",
    )
    async def offer_for_demand(self, info: Info, input: OfferForDemandInput) -> DemandOfferPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await demand_market.offer_for_demand(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                demand_id=input.demand_id,
                product_id=input.product_id,
                message=input.message,
            )

        view, errors = await ctx.transact(work)
        return DemandOfferPayload(
            offer=DemandOffer.from_view(view) if view else None, errors=errors
        )
