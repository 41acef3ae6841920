"""The enterprise's free credit profile (myCreditProfile) and the public sharing list."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.credit import profile
from backend.credit.evaluation import evaluate_enterprise
from backend.credit.models import CreditRecord as CreditRecordModel
from backend.credit.sharing_list import load_sharing_list
from backend.enterprises.models import Enterprise as EnterpriseModel
from backend.identity.models import Role
from graphql_schema.declarations import Declaration, own_declarations
from graphql_schema.permissions import roles
from graphql_schema.types import Enterprise
from matching.scorecard import Evaluation as ScorecardEvaluation


@strawberry.type(description="共享清单中的字段")
class SharingField:
    name: str
    label: str
    type: str
    required: bool
    personal: bool


@strawberry.type(description="共享清单中的类别")
class SharingCategory:
    code: str
    label: str
    disclosure: str = strawberry.field(description="public（公开）或 authorised（经授权）")
    natural_key: list[str]
    fields: list[SharingField]


@strawberry.type(description="信用信息共享清单")
class SharingList:
    version: str
    categories: list[SharingCategory]


@strawberry.type(description="某类信用信息的条数")
class CategorySummary:
    category: str
    label: str
    disclosure: str
    count: int
    latest_on: date | None = strawberry.field(description="该类最新一条记录的日期（无记录时为空）")


@strawberry.type(description="一条信用记录（官方归集）")
class CreditRecord:
    id: strawberry.ID
    category: str
    category_label: str
    fields: JSON = strawberry.field(description="记录字段（个人信息已脱敏）")
    source: str = strawberry.field(description="数据来源单位")
    occurred_on: date | None
    received_at: datetime
    visible_until: date | None = strawberry.field(description="公示截止日期（之后不再展示）")
    version: int
    self_declared: bool = strawberry.field(description="是否企业自主填报（官方记录为 false）")

    @classmethod
    def from_model(cls, model: CreditRecordModel, source: str) -> CreditRecord:
        """Shape a stored record and its provider's name."""
        spec = load_sharing_list().get(model.category)
        return cls(
            id=strawberry.ID(str(model.id)),
            category=model.category,
            category_label=spec.label if spec else model.category,
            fields=model.fields,
            source=source,
            occurred_on=model.occurred_on,
            received_at=model.received_at,
            visible_until=model.visible_until,
            version=model.version,
            self_declared=False,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class CreditRecordConnection:
    items: list[CreditRecord]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="评分因素")
class EvaluationFactor:
    name: str
    dimension: str
    points: int
    explanation: str


@strawberry.type(description="信用评价：分数、等级及每一项因素（评分卡版本可查）")
class Evaluation:
    score: int
    grade: str
    version: str
    factors: list[EvaluationFactor]

    @classmethod
    def from_result(cls, result: ScorecardEvaluation) -> Evaluation:
        """Shape the scorecard's evaluation."""
        return cls(
            score=result.score,
            grade=result.grade,
            version=result.version,
            factors=[
                EvaluationFactor(
                    name=f.name, dimension=f.dimension, points=f.points, explanation=f.explanation
                )
                for f in result.factors
            ],
        )


@strawberry.type(description="本企业信用档案（免费）")
class CreditProfile:
    enterprise: Enterprise
    _enterprise_id: strawberry.Private[int]
    _enterprise: strawberry.Private[EnterpriseModel]

    @strawberry.field(description="按当前数据计算的信用评价")
    async def evaluation(self, info: Info) -> Evaluation:
        result = await info.context.read(
            lambda session, _actor: evaluate_enterprise(session, self._enterprise)
        )
        return Evaluation.from_result(result)

    @strawberry.field(
        description="企业自主申报的信息（selfDeclared，与官方记录分开展示，不计入 records）"
    )
    async def declarations(self, info: Info) -> list[Declaration]:
        return await own_declarations(info, self._enterprise)

    @strawberry.field(description="各类别条数（含 0 条的类别）")
    async def category_summaries(self, info: Info) -> list[CategorySummary]:
        summaries = await info.context.read(
            lambda session, _actor: profile.category_summaries(
                session=session, enterprise_id=self._enterprise_id
            )
        )
        return [CategorySummary(**vars(s)) for s in summaries]

    @strawberry.field(description="信用记录，按发生日期由近及远分页")
    async def records(
        self, info: Info, category: str | None = None, first: int = 20, after: str | None = None
    ) -> CreditRecordConnection:
        page = await info.context.read(
            lambda session, _actor: profile.list_records(
                session=session,
                enterprise_id=self._enterprise_id,
                category=category,
                first=first,
                after=after,
            )
        )
        return CreditRecordConnection(
            items=[CreditRecord.from_model(record, source) for record, source in page.records],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            total_count=page.total_count,
        )


@strawberry.type
class CreditProfileQuery:
    @strawberry.field(
        extensions=roles(Role.ENTERPRISE),
        description="本企业信用档案：全部类别、来源与日期，免费（企业账户，须已实名认证）",
    )
    async def my_credit_profile(self, info: Info) -> CreditProfile:
        ctx = info.context

        async def work(session, actor) -> EnterpriseModel:  # type: ignore[no-untyped-def]
            return await profile.own_enterprise(session=session, runtime=ctx.runtime, actor=actor)

        enterprise = await ctx.read(work)
        return CreditProfile(
            enterprise=Enterprise.from_model(enterprise),
            _enterprise_id=enterprise.id,
            _enterprise=enterprise,
        )

    @strawberry.field(description="信用信息共享清单（公开）")
    def sharing_list(self) -> SharingList:
        shared = load_sharing_list()
        return SharingList(
            version=shared.version,
            categories=[
                SharingCategory(
                    code=c.code,
                    label=c.label,
                    disclosure=c.disclosure,
                    natural_key=list(c.natural_key),
                    fields=[
                        SharingField(
                            name=f.name,
                            label=f.label,
                            type=f.type,
                            required=f.required,
                            personal=f.personal,
                        )
                        for f in c.fields
                    ],
                )
                for c in shared.categories.values()
            ],
        )
