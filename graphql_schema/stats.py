"""platformStatistics: the lending figures, policy reach, objections and data quality of a region
and period, for government staff. Thin: the service checks the role and the arguments and
computes every figure in SQL."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from backend.identity.models import Role
from backend.objections.models import ObjectionStatus as ObjectionStatusValue
from backend.policies.models import PolicyStatus as PolicyStatusValue
from backend.policies.models import PolicyType as PolicyTypeValue
from backend.stats import lending as figures
from backend.stats import service
from backend.stats.objections import ObjectionFigures
from backend.stats.policies import MAX_POLICIES, PolicyReachFigures
from backend.stats.quality import QualityFigures
from graphql_schema.lending import ApplicationStatus, LoanStatus
from graphql_schema.objections import ObjectionStatus
from graphql_schema.permissions import roles
from graphql_schema.policies import PolicyStatus, PolicyType

SHARE_NOTE = "以 0 至 1 的小数表示，保留 4 位（0.7500 即 75%）；分母为 0 时为空"


@strawberry.type(description="某一类别的数量")
class StatsCount:
    key: str = strawberry.field(description="类别代码")
    label: str = strawberry.field(description="类别名称")
    count: int


@strawberry.type(description="某一主体类型的企业数")
class StatsEntityTypeCount:
    entity_type: str = strawberry.field(
        description="主体类型：enterprise、individual_business、farmer_coop 或 other"
    )
    label: str = strawberry.field(description="主体类型名称，如 个体工商户")
    count: int = strawberry.field(description="注册企业数")
    verified_count: int = strawberry.field(description="其中已实名认证（已绑定账户）的企业数")


@strawberry.type(description="企业：截至统计期末（含）已注册和已实名认证的企业")
class EnterpriseStatistics:
    registered: int = strawberry.field(description="注册企业数（平台企业库中的市场主体）")
    verified: int = strawberry.field(description="实名认证企业数（至少一个账户已认证绑定）")
    by_entity_type: list[StatsEntityTypeCount]


@strawberry.type(
    description="金融机构：当前处于 ACTIVE 状态、且在统计期末前入驻的机构；"
    "机构不按区域统计，始终为全平台数字"
)
class InstitutionStatistics:
    active: int
    by_kind: list[StatsCount] = strawberry.field(
        description="按机构类别：BANK、GUARANTOR、INSURER、CREDIT_AGENCY"
    )


@strawberry.type(
    description="贷款产品：当前在售（产品为 ACTIVE 且所属机构为 ACTIVE）、统计期末前发布的产品；"
    "不按区域统计"
)
class ProductStatistics:
    active: int
    by_type: list[StatsCount] = strawberry.field(
        description="按产品类型：CREDIT、GUARANTEED、MORTGAGE、PLEDGE"
    )


@strawberry.type(description="融资需求：统计期间内发布、所属企业在统计区域内的需求")
class DemandStatistics:
    count: int
    total_amount: Decimal = strawberry.field(description="需求金额合计（元）")
    answered_count: int = strawberry.field(description="已获金融机构响应（报价或审批）的需求数")
    answered_share: Decimal | None = strawberry.field(description=f"响应率，{SHARE_NOTE}")
    median_response_hours: Decimal | None = strawberry.field(
        description="已响应需求从发布到首次响应的时长中位数（小时，保留 2 位）；无响应时为空"
    )


@strawberry.type(description="某一状态的贷款申请数")
class StatsApplicationStatusCount:
    status: ApplicationStatus
    label: str
    count: int


@strawberry.type(description="贷款申请：统计期间内提交、所属企业在统计区域内的申请（按当前状态）")
class ApplicationStatistics:
    count: int
    by_status: list[StatsApplicationStatusCount]
    approved_count: int = strawberry.field(
        description="获批申请数：状态为 APPROVED、DISBURSED 或 CLOSED"
    )
    rejected_count: int = strawberry.field(description="未获批准（REJECTED）的申请数")
    approval_rate: Decimal | None = strawberry.field(
        description=f"审批通过率 = 获批 ÷（获批 + 未获批准），{SHARE_NOTE}"
    )


@strawberry.type(description="某一状态的贷款")
class StatsLoanStatusCount:
    status: LoanStatus
    label: str
    count: int
    amount: Decimal = strawberry.field(description="放款金额合计（元）")


@strawberry.type(
    description="贷款：统计期间内放款、借款企业在统计区域内的贷款；状态为机构最近一次报送的状态"
)
class LoanStatistics:
    count: int
    total_amount: Decimal = strawberry.field(description="放款金额合计（元）")
    credit_loan_count: int = strawberry.field(description="信用贷款笔数")
    credit_loan_amount: Decimal = strawberry.field(description="信用贷款金额（元）")
    credit_share_by_amount: Decimal | None = strawberry.field(
        description=f"信用贷款占比（按金额），{SHARE_NOTE}"
    )
    credit_share_by_count: Decimal | None = strawberry.field(
        description=f"信用贷款占比（按笔数），{SHARE_NOTE}"
    )
    first_time_borrowers: int = strawberry.field(description="首贷户数（获得首笔贷款的企业数）")
    first_time_amount: Decimal = strawberry.field(description="首贷金额合计（元）")
    by_status: list[StatsLoanStatusCount]


@strawberry.type(description="一项政策的触达情况")
class PolicyReachEntry:
    policy_id: strawberry.ID = strawberry.field(description="政策 ID")
    title: str = strawberry.field(description="政策标题")
    policy_type: PolicyType = strawberry.field(description="政策类型")
    policy_type_label: str = strawberry.field(description="政策类型名称，如 贷款贴息")
    status: PolicyStatus = strawberry.field(description="政策当前状态")
    status_label: str = strawberry.field(description="政策状态名称")
    matched: int | None = strawberry.field(
        description="当前符合条件的企业数：统计区域内（按企业特征中的注册地）现在满足政策条件"
        "和适用区域的企业；仅对当前有效且今天在有效期内的政策计算，其他政策及规则无法读取时为空"
    )
    told: int = strawberry.field(description="统计期间内向统计区域企业推送的该政策消息数")
    read: int = strawberry.field(description="其中已读的消息数")
    read_share: Decimal | None = strawberry.field(description=f"已读率 = 已读 ÷ 推送，{SHARE_NOTE}")


@strawberry.type(
    description="政策触达（政策找人）：当前有效的政策，以及统计期间内向统计区域企业推送过消息的"
    f"政策（含已撤回的），按发布时间从新到旧，最多列出 {MAX_POLICIES} 项；合计数不受此限"
)
class PolicyReachStatistics:
    active_policies: int = strawberry.field(
        description="当前有效政策数：状态为 ACTIVE 且今天在有效期内（不限区域）"
    )
    told: int = strawberry.field(description="统计期间内向统计区域企业推送的政策消息数")
    read: int = strawberry.field(description="其中已读的消息数")
    read_share: Decimal | None = strawberry.field(description=f"已读率，{SHARE_NOTE}")
    firms_told: int = strawberry.field(
        description="统计期间内收到至少一条政策消息的统计区域企业数（每户只计一次）"
    )
    policies: list[PolicyReachEntry] = strawberry.field(description="各项政策的触达情况")
    truncated: bool = strawberry.field(
        description=f"政策超过 {MAX_POLICIES} 项，列表只含最新发布的 {MAX_POLICIES} 项"
    )


@strawberry.type(description="某一状态的异议数")
class StatsObjectionStatusCount:
    status: ObjectionStatus = strawberry.field(description="异议当前状态")
    label: str = strawberry.field(description="状态名称")
    count: int = strawberry.field(description="异议数")


@strawberry.type(description="信用修复申请：统计期间内提交、所属企业在统计区域内的申请")
class RepairRequestStatistics:
    count: int = strawberry.field(description="信用修复申请数")
    resolved_count: int = strawberry.field(description="其中已审核（通过或未通过）的申请数")
    approved_count: int = strawberry.field(description="其中审核通过的申请数")


@strawberry.type(
    description="异议处理及时性：统计期间内提出、所属企业在统计区域内的异议（按当前状态）；"
    "异议须在受理后 2 个工作日内转交核查"
)
class ObjectionStatistics:
    count: int = strawberry.field(description="异议数")
    by_status: list[StatsObjectionStatusCount] = strawberry.field(description="按当前状态")
    forwarded_count: int = strawberry.field(description="已转交核查的异议数")
    forwarded_on_time_count: int = strawberry.field(description="其中在转交期限内转交的异议数")
    on_time_share: Decimal | None = strawberry.field(
        description=f"按期转交率 = 按期转交 ÷ 已转交，{SHARE_NOTE}"
    )
    overdue_count: int = strawberry.field(
        description="当前超期未转交的异议数：至生成时已过转交期限、仍未转交也未处理"
    )
    resolved_count: int = strawberry.field(description="已处理完毕（成立或未予支持）的异议数")
    median_resolution_hours: Decimal | None = strawberry.field(
        description="已处理异议从提出到处理完毕的时长中位数（小时，保留 2 位）；无已处理时为空"
    )
    repair_requests: RepairRequestStatistics = strawberry.field(description="信用修复申请")


@strawberry.type(description="一个数据提供单位的数据质量")
class ProviderDataQuality:
    code: str = strawberry.field(description="数据提供单位代码")
    name: str = strawberry.field(description="数据提供单位名称")
    batch_count: int = strawberry.field(description="统计期间内收到的批次数")
    accepted_rows: int = strawberry.field(description="统计期间内入库的记录数")
    rejected_rows: int = strawberry.field(description="统计期间内因校验不通过被拒收的记录数")
    rejected_share: Decimal | None = strawberry.field(
        description=f"拒收率 = 拒收 ÷（入库 + 拒收），{SHARE_NOTE}"
    )
    last_received_at: datetime | None = strawberry.field(
        description="最近一次收到批次的时间（不限期间）；从未报送时为空"
    )
    days_since_last_batch: int | None = strawberry.field(
        description="数据新鲜度：从截至 asOf 收到的最后一个批次（按北京时间日期）到 asOf 的天数，"
        "当天报送为 0；截至 asOf 从未报送时为空"
    )
    current_records: int = strawberry.field(description="当前有效的信用记录数（现行版本）")


@strawberry.type(
    description="数据质量：每个数据提供单位一项（按代码排序）；数据提供单位不按区域统计，"
    "始终为全平台数字"
)
class DataQualityStatistics:
    as_of: date = strawberry.field(
        description="计算数据新鲜度的日期：统计期间止，晚于今天时为今天（北京时间）"
    )
    batch_count: int = strawberry.field(description="统计期间内收到的批次总数")
    accepted_rows: int = strawberry.field(description="统计期间内入库的记录总数")
    rejected_rows: int = strawberry.field(description="统计期间内被拒收的记录总数")
    rejected_share: Decimal | None = strawberry.field(description=f"总拒收率，{SHARE_NOTE}")
    providers: list[ProviderDataQuality] = strawberry.field(description="各数据提供单位")


@strawberry.type(description="平台统计（政府部门）：所有数字均为汇总数，不含个人信息")
class PlatformStatistics:
    region_code: str | None = strawberry.field(
        description="统计区域的区划代码前缀（2、4 或 6 位）；为空表示全平台"
    )
    region_name: str | None = strawberry.field(description="统计区域名称")
    from_: date = strawberry.field(name="from", description="统计期间起（含，北京时间日期）")
    to: date = strawberry.field(description="统计期间止（含，北京时间日期）")
    enterprises: EnterpriseStatistics
    institutions: InstitutionStatistics
    products: ProductStatistics
    demands: DemandStatistics
    applications: ApplicationStatistics
    loans: LoanStatistics
    policy_reach: PolicyReachStatistics = strawberry.field(description="政策触达")
    objections: ObjectionStatistics = strawberry.field(description="异议处理及时性和信用修复")
    data_quality: DataQualityStatistics = strawberry.field(description="各数据提供单位的数据质量")
    generated_at: datetime

    @classmethod
    def from_result(cls, stats: service.PlatformStatistics) -> PlatformStatistics:
        """Shape the service's figures."""
        e, d, a, loans = stats.enterprises, stats.demands, stats.applications, stats.loans
        return cls(
            region_code=stats.scope.region_prefix,
            region_name=stats.scope.region_name,
            from_=stats.scope.date_from,
            to=stats.scope.date_to,
            enterprises=EnterpriseStatistics(
                registered=e.registered,
                verified=e.verified,
                by_entity_type=[
                    StatsEntityTypeCount(
                        entity_type=r.entity_type,
                        label=r.label,
                        count=r.count,
                        verified_count=r.verified,
                    )
                    for r in e.by_entity_type
                ],
            ),
            institutions=InstitutionStatistics(
                active=stats.institutions.active, by_kind=_counts(stats.institutions.by_kind)
            ),
            products=ProductStatistics(
                active=stats.products.active, by_type=_counts(stats.products.by_type)
            ),
            demands=DemandStatistics(
                count=d.count,
                total_amount=d.total_amount,
                answered_count=d.answered,
                answered_share=d.answered_share,
                median_response_hours=d.median_response_hours,
            ),
            applications=ApplicationStatistics(
                count=a.count,
                by_status=[
                    StatsApplicationStatusCount(
                        status=ApplicationStatus(c.key), label=c.label, count=c.count
                    )
                    for c in a.by_status
                ],
                approved_count=a.approved,
                rejected_count=a.rejected,
                approval_rate=a.approval_rate,
            ),
            loans=LoanStatistics(
                count=loans.count,
                total_amount=loans.total_amount,
                credit_loan_count=loans.credit_count,
                credit_loan_amount=loans.credit_amount,
                credit_share_by_amount=loans.credit_share_by_amount,
                credit_share_by_count=loans.credit_share_by_count,
                first_time_borrowers=loans.first_time_borrowers,
                first_time_amount=loans.first_time_amount,
                by_status=[
                    StatsLoanStatusCount(
                        status=LoanStatus(s.status), label=s.label, count=s.count, amount=s.amount
                    )
                    for s in loans.by_status
                ],
            ),
            policy_reach=_policy_reach(stats.policy_reach),
            objections=_objections(stats.objections),
            data_quality=_data_quality(stats.data_quality),
            generated_at=stats.generated_at,
        )


def _counts(rows: list[figures.LabelledCount]) -> list[StatsCount]:
    return [StatsCount(key=r.key, label=r.label, count=r.count) for r in rows]


def _fields(source: Any, **overrides: Any) -> dict[str, Any]:
    """A figures dataclass's fields as keyword arguments (one level), with ``overrides``: the
    GraphQL types of the newer sections name their fields as the service does."""
    return {f.name: getattr(source, f.name) for f in dataclasses.fields(source)} | overrides


def _policy_reach(reach: PolicyReachFigures) -> PolicyReachStatistics:
    entries = [
        PolicyReachEntry(
            **_fields(
                p,
                policy_id=strawberry.ID(str(p.policy_id)),
                policy_type=PolicyTypeValue(p.policy_type),
                status=PolicyStatusValue(p.status),
            )
        )
        for p in reach.policies
    ]
    return PolicyReachStatistics(**_fields(reach, policies=entries))


def _objections(o: ObjectionFigures) -> ObjectionStatistics:
    by_status = [
        StatsObjectionStatusCount(status=ObjectionStatusValue(c.key), label=c.label, count=c.count)
        for c in o.by_status
    ]
    repairs = RepairRequestStatistics(**_fields(o.repair_requests))
    return ObjectionStatistics(**_fields(o, by_status=by_status, repair_requests=repairs))


def _data_quality(q: QualityFigures) -> DataQualityStatistics:
    providers = [ProviderDataQuality(**_fields(p)) for p in q.providers]
    return DataQualityStatistics(**_fields(q, providers=providers))


@strawberry.type
class StatsQuery:
    @strawberry.field(
        extensions=roles(Role.GOVERNMENT),
        description="平台统计（仅政府部门工作人员）：按企业所在区域（2、4 或 6 位区划代码，"
        "为空为全平台）和期间（北京时间日期，含首尾；默认最近 12 个月，最长 5 年）汇总企业、"
        "机构、产品、融资需求、申请、贷款、政策触达、异议处理和数据质量；"
        "参数无效时返回 VALIDATION_ERROR",
    )
    async def platform_statistics(
        self,
        info: Info,
        region_code: str | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> PlatformStatistics:
        ctx = info.context
        stats = await ctx.read(
            lambda session, actor: service.platform_statistics(
                session=session, actor=actor, region_code=region_code, date_from=from_, date_to=to
            )
        )
        return PlatformStatistics.from_result(stats)
