"""Loan products: the public catalogue (loanProducts, loanProduct), the institution's own list
(myLoanProducts), and publishLoanProduct, updateLoanProduct and setLoanProductStatus.

Other modules build :class:`LoanProduct` from a model row with ``LoanProduct.from_row(product,
institution)``: no query runs inside, so a list of products costs the queries that loaded them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.types.unset import UNSET

from backend.consent.scopes import scope_label
from backend.errors import parse_id
from backend.identity.models import Role
from backend.identity.regions import region_name
from backend.institutions.models import Institution as InstitutionModel
from backend.lending import models
from backend.lending import products as service
from backend.lending.models import PRODUCT_TYPE_LABELS
from backend.lending.product_checks import FIELDS, decimal_text, eligibility_sentences
from backend.security.actor import Actor
from graphql_schema.credit_profile import PageInfo
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.types import Institution

ProductType = strawberry.enum(
    models.ProductType,
    name="ProductType",
    description="贷款产品类型：CREDIT 信用贷、GUARANTEED 担保贷、MORTGAGE 抵押贷、PLEDGE 质押贷",
)
ProductStatus = strawberry.enum(
    models.ProductStatus,
    name="ProductStatus",
    description=(
        "产品状态：ACTIVE 在售、PAUSED 暂停（不接受新申请，可恢复）、RETIRED 已下架（不可恢复）"
    ),
)

CENT = Decimal("0.01")
RATE_NOTE = "年利率，以小数表示（0.0435 即 4.35%）"


@strawberry.type(description="金融机构发布的贷款产品（当前版本）")
class LoanProduct:
    id: strawberry.ID = strawberry.field(description="产品编号")
    code: str | None = strawberry.field(description="机构自己的产品代码（机构内唯一）")
    name: str = strawberry.field(description="产品名称")
    product_type: ProductType = strawberry.field(description="产品类型")
    institution: Institution = strawberry.field(description="发布产品的金融机构")
    min_amount: Decimal = strawberry.field(description="最低额度（元）")
    max_amount: Decimal = strawberry.field(description="最高额度（元）")
    min_term_months: int = strawberry.field(description="最短期限（月）")
    max_term_months: int = strawberry.field(description="最长期限（月）")
    min_annual_rate: Decimal = strawberry.field(description=f"最低{RATE_NOTE}")
    max_annual_rate: Decimal = strawberry.field(description=f"最高{RATE_NOTE}")
    region_codes: list[str] = strawberry.field(
        description="服务地区：行政区划代码前缀（省 2 位、市 4 位、县 6 位）；空表示全国"
    )
    description: str = strawberry.field(description="产品介绍")
    tags: list[str] = strawberry.field(description="标签")
    eligibility: JSON = strawberry.field(description="准入规则（规则语言 JSON）")
    required_scopes: list[str] = strawberry.field(
        description="申请时须授权的信息范围（共享清单类别代码及 legal_rep_identity）"
    )
    target_grade: str | None = strawberry.field(
        description="目标客户的最低信用等级（A+、A、B、C、D），用于排序中的获批可能"
    )
    status: ProductStatus = strawberry.field(description="产品状态")
    version: int = strawberry.field(description="版本号：每次修改加 1，申请记录所申请的版本")
    created_at: datetime = strawberry.field(description="首次发布时间")
    updated_at: datetime = strawberry.field(description="最近修改时间")

    @strawberry.field(description="产品类型（中文）")
    def product_type_label(self) -> str:
        return PRODUCT_TYPE_LABELS[models.ProductType(self.product_type.value)]

    @strawberry.field(description='服务地区名称（与 regionCodes 一一对应）；全国性产品为 ["全国"]')
    def region_names(self) -> list[str]:
        return region_names(self.region_codes)

    @strawberry.field(description="申请时须授权的信息范围（中文）")
    def required_scope_labels(self) -> list[str]:
        return [scope_label(scope) for scope in self.required_scopes]

    @strawberry.field(description="准入规则的中文表述，每项一句")
    def eligibility_text(self) -> list[str]:
        return eligibility_sentences(self.eligibility)

    @classmethod
    def from_row(cls, product: models.LoanProduct, institution: InstitutionModel) -> LoanProduct:
        """Shape a product row and its institution row (no query runs here)."""
        return cls(
            id=strawberry.ID(str(product.id)),
            code=product.code,
            name=product.name,
            product_type=models.ProductType(product.product_type),
            institution=Institution.from_model(institution),
            min_amount=_money(product.min_amount),
            max_amount=_money(product.max_amount),
            min_term_months=product.min_term_months,
            max_term_months=product.max_term_months,
            min_annual_rate=_rate(product.min_annual_rate),
            max_annual_rate=_rate(product.max_annual_rate),
            region_codes=list(product.region_codes or []),
            description=product.description or "",
            tags=list(product.tags or []),
            eligibility=cast(JSON, product.eligibility or {}),
            required_scopes=list(product.required_scopes or []),
            target_grade=product.target_grade,
            status=models.ProductStatus(product.status),
            version=product.version,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


def _money(value: Decimal) -> Decimal:
    # The same text whether the row was just written or read back: "3000000.00".
    return Decimal(value).quantize(CENT)


def _rate(value: Decimal) -> Decimal:
    # "0.0435", not the column's "0.043500".
    return Decimal(decimal_text(Decimal(value)))


def region_names(codes: list[str]) -> list[str]:
    """Full names of division-code prefixes (``3713`` → 山东省临沂市); ``["全国"]`` for none."""
    if not codes:
        return ["全国"]
    return [region_name(code.ljust(6, "0")) or code for code in codes]


@strawberry.type(description="贷款产品的一页，按发布时间由新到旧")
class LoanProductConnection:
    items: list[LoanProduct]
    page_info: PageInfo


def _connection(page: service.ProductPage) -> LoanProductConnection:
    return LoanProductConnection(
        items=[LoanProduct.from_row(product, institution) for product, institution in page.items],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


@strawberry.input(description="发布贷款产品（金融机构工作人员；接口令牌须有 PRODUCTS 权限）")
class PublishLoanProductInput:
    name: str = strawberry.field(description="产品名称，2 到 100 个字符")
    product_type: ProductType = strawberry.field(description="产品类型")
    min_amount: Decimal = strawberry.field(description="最低额度（元），大于 0")
    max_amount: Decimal = strawberry.field(
        description="最高额度（元），不低于最低额度、不超过 10 亿"
    )
    min_term_months: int = strawberry.field(description="最短期限（月），1 到 360")
    max_term_months: int = strawberry.field(description="最长期限（月），不短于最短期限")
    min_annual_rate: Decimal = strawberry.field(description=f"最低{RATE_NOTE}，0 到 0.24")
    max_annual_rate: Decimal = strawberry.field(description=f"最高{RATE_NOTE}，不低于最低年利率")
    eligibility: JSON = strawberry.field(
        description="准入规则（规则语言 JSON）；无效时返回 INVALID_RULE 及出错节点路径"
    )
    region_codes: list[str] = strawberry.field(
        default_factory=list,
        description="服务地区：2、4 或 6 位行政区划代码，如 37、3713、371302；不填表示全国",
    )
    description: str = strawberry.field(default="", description="产品介绍，至多 2000 个字符")
    tags: list[str] = strawberry.field(
        default_factory=list, description="标签，至多 10 个，每个至多 20 个字符"
    )
    required_scopes: list[str] = strawberry.field(
        default_factory=list,
        description="申请时须企业授权的信息范围：共享清单中需授权的类别代码及 legal_rep_identity",
    )
    target_grade: str | None = strawberry.field(
        default=None, description="目标客户的最低信用等级：A+、A、B、C 或 D（可选）"
    )
    code: str | None = strawberry.field(
        default=None, description="机构自己的产品代码（可选，机构内唯一，重复时返回 CONFLICT）"
    )


@strawberry.input(
    description="修改本机构的贷款产品：只改所给字段，整体重新校验，版本号加 1；"
    "已提交的申请仍按其申请时的版本"
)
class UpdateLoanProductInput:
    product_id: strawberry.ID = strawberry.field(description="产品编号")
    name: str | None = UNSET
    product_type: ProductType | None = UNSET
    min_amount: Decimal | None = UNSET
    max_amount: Decimal | None = UNSET
    min_term_months: int | None = UNSET
    max_term_months: int | None = UNSET
    min_annual_rate: Decimal | None = strawberry.field(default=UNSET, description=RATE_NOTE)
    max_annual_rate: Decimal | None = strawberry.field(default=UNSET, description=RATE_NOTE)
    eligibility: JSON | None = UNSET
    region_codes: list[str] | None = strawberry.field(
        default=UNSET, description="服务地区；空列表表示全国"
    )
    description: str | None = UNSET
    tags: list[str] | None = UNSET
    required_scopes: list[str] | None = UNSET
    target_grade: str | None = strawberry.field(default=UNSET, description="null 表示不设目标等级")
    code: str | None = strawberry.field(default=UNSET, description="null 表示不设产品代码")


@strawberry.input(description="暂停、恢复或下架本机构的贷款产品；下架后不可恢复")
class SetLoanProductStatusInput:
    product_id: strawberry.ID = strawberry.field(description="产品编号")
    status: ProductStatus = strawberry.field(description="新的状态")


@strawberry.type(description="发布、修改贷款产品或变更其状态的结果")
class LoanProductPayload:
    product: LoanProduct | None = strawberry.field(description="贷款产品（当前版本）")
    errors: list[UserError] = strawberry.field(description="错误列表；成功时为空")


def _terms(given: object) -> dict[str, Any]:
    """The input's product fields by service name, leaving out those not given (UNSET)."""
    terms: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(given, name, UNSET)
        if value is UNSET:
            continue
        terms[name] = value.value if isinstance(value, models.ProductType) else value
    return terms


Work = Callable[[AsyncSession, Actor], Awaitable[models.LoanProduct]]


async def _payload(info: Info, work: Work) -> LoanProductPayload:
    """Run a product mutation and shape its result with the product's institution."""

    async def shaped(session: AsyncSession, actor: Actor) -> LoanProduct:
        product = await work(session, actor)
        # Already in the session (the service loaded it to check its status): no query.
        institution = await session.get(InstitutionModel, product.institution_id)
        assert institution is not None
        return LoanProduct.from_row(product, institution)

    product, errors = await info.context.transact(shaped)
    return LoanProductPayload(product=product, errors=errors)


def _product_id(value: strawberry.ID) -> int:
    return parse_id(value, "productId", service.NOT_FOUND_MESSAGE)


@strawberry.type
class ProductsQuery:
    @strawberry.field(
        description="贷款产品目录（公开，无需登录）：正常接入机构的在售产品，按服务地区（2、4 或 "
        "6 位行政区划代码：含全国性产品、覆盖该地的产品及该地下辖地区的产品）和类型筛选，"
        "每页 1 到 100 条"
    )
    async def loan_products(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        region_code: str | None = None,
        product_type: ProductType | None = None,
        institution_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="只看该机构的产品")
        ] = None,
    ) -> LoanProductConnection:
        page = await info.context.read(
            lambda session, _actor: service.loan_products(
                session=session,
                first=first,
                after=after,
                region_code=region_code,
                product_type=product_type.value if product_type else None,
                institution_id=(
                    parse_id(institution_id, "institutionId", "找不到该金融机构")
                    if institution_id is not None
                    else None
                ),
            )
        )
        return _connection(page)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="本机构的全部贷款产品，含暂停和已下架的，由新到旧"
        "（金融机构；接口令牌须有 PRODUCTS 权限）",
    )
    async def my_loan_products(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: ProductStatus | None = None,
        product_type: ProductType | None = None,
    ) -> LoanProductConnection:
        page = await info.context.read(
            lambda session, actor: service.loan_products(
                session=session,
                first=first,
                after=after,
                product_type=product_type.value if product_type else None,
                institution_id=actor.institution_id,
                include_inactive=True,
                status=status.value if status else None,
                actor=actor,
            )
        )
        return _connection(page)

    @strawberry.field(
        description="一个贷款产品（公开）：在售产品人人可见，本机构工作人员可见本机构任何状态的"
        "产品；不存在或不可见时为 null"
    )
    async def loan_product(self, info: Info, id: strawberry.ID) -> LoanProduct | None:
        async def work(session: AsyncSession, actor: Actor) -> LoanProduct | None:
            found = await service.visible_product(
                session=session, actor=actor, product_id=_product_id(id)
            )
            return LoanProduct.from_row(*found) if found else None

        try:
            return await info.context.read(work)
        except GraphQLError as exc:  # a malformed id names nothing there is to see
            if (exc.extensions or {}).get("code") == "NOT_FOUND":
                return None
            raise


@strawberry.type
class ProductsMutation:
    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="发布贷款产品（金融机构工作人员；接口令牌须有 PRODUCTS 权限）：所有字段一并"
        "校验，规则无效返回 INVALID_RULE 及路径，产品代码重复返回 CONFLICT",
    )
    async def publish_loan_product(
        self, info: Info, input: PublishLoanProductInput
    ) -> LoanProductPayload:
        ctx = info.context
        return await _payload(
            info,
            lambda session, actor: service.publish_product(
                session=session, runtime=ctx.runtime, actor=actor, terms=_terms(input)
            ),
        )

    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="修改本机构的贷款产品，生成新版本（金融机构；接口令牌须有 PRODUCTS 权限）；"
        "内容未变时不生成新版本；已下架的产品不能修改（CONFLICT）",
    )
    async def update_loan_product(
        self, info: Info, input: UpdateLoanProductInput
    ) -> LoanProductPayload:
        ctx = info.context
        return await _payload(
            info,
            lambda session, actor: service.update_product(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                product_id=_product_id(input.product_id),
                changes=_terms(input),
            ),
        )

    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="暂停（PAUSED）、恢复（ACTIVE）或下架（RETIRED，不可恢复）本机构的贷款产品"
        "（金融机构；接口令牌须有 PRODUCTS 权限）",
    )
    async def set_loan_product_status(
        self, info: Info, input: SetLoanProductStatusInput
    ) -> LoanProductPayload:
        ctx = info.context
        return await _payload(
            info,
            lambda session, actor: service.set_product_status(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                product_id=_product_id(input.product_id),
                status=input.status.value,
            ),
        )
