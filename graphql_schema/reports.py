"""What institutions read: enterpriseCreditReport, enterpriseInterfaceRecords and
publicCreditRecords (批量推送). The services check the role, the API token's scope and the
enterprise's authorisation, and audit every read."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.consent.scopes import scope_label
from backend.credit import interface
from backend.identity.models import Role
from backend.reports import credit_report, public_records
from graphql_schema.consent import AccessPurpose
from graphql_schema.credit_profile import Evaluation, PageInfo
from graphql_schema.errors import UserError
from graphql_schema.interface import InterfaceRecordsPayload
from graphql_schema.permissions import roles
from graphql_schema.types import Enterprise


@strawberry.type(description="信用报告中的一条记录（未获授权的字段不出现，个人信息脱敏）")
class ReportRecord:
    id: strawberry.ID
    category: str
    category_label: str
    fields: JSON
    source: str = strawberry.field(description="数据来源单位")
    occurred_on: date | None
    version: int


@strawberry.type(description="企业信用报告：公开信息及授权范围内的非公开信息，不多于此")
class CreditReport:
    enterprise: Enterprise
    evaluation: Evaluation = strawberry.field(description="仅按本报告所含信息计算的信用评价")
    records: list[ReportRecord] = strawberry.field(description="按发生日期由近及远，至多 1000 条")
    truncated: bool = strawberry.field(description="记录超过 1000 条、已截断")
    purpose: AccessPurpose
    covered_scopes: list[str] = strawberry.field(description="本次查询依据的授权范围")
    authorization_ids: list[strawberry.ID]
    valid_until: datetime = strawberry.field(description="所依据授权中最晚的到期时间")
    generated_at: datetime


@strawberry.type
class CreditReportPayload:
    report: CreditReport | None
    errors: list[UserError]


@strawberry.type(description="一条公开信用记录及其所属企业")
class PublicCreditRecord:
    id: strawberry.ID
    category: str
    category_label: str
    fields: JSON
    source: str
    occurred_on: date | None
    enterprise_uscc: str
    enterprise_name: str
    region_code: str
    industry_code: str | None


@strawberry.type
class PublicCreditRecordConnection:
    items: list[PublicCreditRecord]
    page_info: PageInfo


def _report(report: credit_report.CreditReport) -> CreditReport:
    return CreditReport(
        enterprise=Enterprise.from_model(report.enterprise),
        evaluation=Evaluation.from_result(report.evaluation),
        records=[
            ReportRecord(
                id=strawberry.ID(str(r.id)),
                category=r.category,
                category_label=scope_label(r.category),
                fields=r.fields,
                source=r.source,
                occurred_on=r.occurred_on,
                version=r.version,
            )
            for r in report.records
        ],
        truncated=report.truncated,
        purpose=report.purpose,
        covered_scopes=report.covered_scopes,
        authorization_ids=[strawberry.ID(str(g.id)) for g in report.authorizations],
        valid_until=max(g.valid_until for g in report.authorizations),
        generated_at=report.generated_at,
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="企业信用报告（金融机构；接口令牌须有 REPORTS 权限）：须有该企业就此用途的"
        "有效授权，否则 NOT_AUTHORIZED；每次查询均记录并向企业展示",
    )
    async def enterprise_credit_report(
        self, info: Info, uscc: str, purpose: AccessPurpose
    ) -> CreditReportPayload:
        ctx = info.context
        report, errors = await ctx.transact(
            lambda session, actor: credit_report.enterprise_credit_report(
                session=session, runtime=ctx.runtime, actor=actor, uscc=uscc, purpose=purpose.value
            )
        )
        return CreditReportPayload(report=_report(report) if report else None, errors=errors)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="向数据提供单位实时查询某企业某类信息（接口调用；金融机构）：非公开类别须有"
        "覆盖该类别和用途的有效授权；每次调用均记录并向企业展示",
    )
    async def enterprise_interface_records(
        self, info: Info, uscc: str, category: str, purpose: AccessPurpose
    ) -> InterfaceRecordsPayload:
        ctx = info.context
        answer, errors = await ctx.transact(
            lambda session, actor: interface.institution_interface_records(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                uscc=uscc,
                category=category,
                purpose=purpose.value,
            )
        )
        return InterfaceRecordsPayload.from_answer(answer, errors)

    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="公开信用信息批量推送（金融机构）：按行政区划（2、4 或 6 位）、行业和类别分页，"
        "无需授权；每页均记录并向所涉企业展示",
    )
    async def public_credit_records(
        self,
        info: Info,
        region_code: str,
        category: str,
        industry_code: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> PublicCreditRecordConnection:
        ctx = info.context
        page = await ctx.read(
            lambda session, actor: public_records.public_credit_records(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                region_code=region_code,
                category=category,
                industry_code=industry_code,
                first=first,
                after=after,
            )
        )
        return PublicCreditRecordConnection(
            items=[
                PublicCreditRecord(
                    id=strawberry.ID(str(r.id)),
                    category=r.category,
                    category_label=scope_label(r.category),
                    fields=r.fields,
                    source=r.source,
                    occurred_on=r.occurred_on,
                    enterprise_uscc=r.enterprise_uscc,
                    enterprise_name=r.enterprise_name,
                    region_code=r.region_code,
                    industry_code=r.industry_code,
                )
                for r in page.records
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )
