"""Post-loan risk alerts (贷后预警) for lenders: riskAlerts, acknowledgeRiskAlert."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from backend.errors import parse_id
from backend.identity.models import Role
from backend.lending import risk
from backend.lending.models import RiskAlertKind as RiskAlertKindValue
from backend.lending.models import RiskSeverity as RiskSeverityValue
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles

RiskAlertKind = strawberry.enum(
    RiskAlertKindValue,
    name="RiskAlertKind",
    description="贷后预警类别：ADMIN_PENALTY 新增行政处罚、SERIOUS_PENALTY 新增严重失信行政处罚、"
    "ENFORCEMENT 被强制执行（被执行人或行政强制）、DISHONEST_LIST 列入失信名单、"
    "ABNORMAL_OPERATION 列入经营异常名录、UTILITY_ARREARS 水电气欠费、"
    "TAX_ARREARS 欠缴税费（含社会保险费）、GRADE_DROP 信用等级下降",
)
RiskSeverity = strawberry.enum(
    RiskSeverityValue,
    name="RiskSeverity",
    description="预警程度：LOW 关注、MEDIUM 较高、HIGH 严重",
)


@strawberry.type(description="贷后预警涉及的企业（仅统一社会信用代码和名称）")
class RiskAlertEnterprise:
    uscc: str
    name: str


@strawberry.type(description="贷后预警：本机构有存续贷款的企业出现了新的负面信息")
class RiskAlert:
    id: strawberry.ID
    enterprise: RiskAlertEnterprise
    kind: RiskAlertKind
    kind_label: str
    severity: RiskSeverity
    message: str
    created_at: datetime
    acknowledged_at: datetime | None = strawberry.field(description="本机构确认处理的时间")
    loan_id: strawberry.ID = strawberry.field(description="涉及的本机构贷款")

    @classmethod
    def from_view(cls, view: risk.AlertView) -> RiskAlert:
        """Shape a stored alert and its borrower's USCC and name."""
        alert = view.alert
        kind = RiskAlertKindValue(alert.kind)
        return cls(
            id=strawberry.ID(str(alert.id)),
            enterprise=RiskAlertEnterprise(uscc=view.enterprise_uscc, name=view.enterprise_name),
            kind=kind,
            kind_label=risk.KIND_LABELS[kind],
            severity=RiskSeverityValue(alert.severity),
            message=alert.message,
            created_at=alert.created_at,
            acknowledged_at=alert.acknowledged_at,
            loan_id=strawberry.ID(str(alert.loan_id)),
        )


@strawberry.type
class AcknowledgeRiskAlertPayload:
    alert: RiskAlert | None
    errors: list[UserError]


@strawberry.type
class RiskQuery:
    @strawberry.field(
        extensions=roles(Role.INSTITUTION),
        description="本机构的贷后预警，由新到旧（金融机构；接口令牌须有 ALERTS 权限）。"
        "first 为 1 到 100；after 为上一页最后一条预警的 id",
    )
    async def risk_alerts(
        self,
        info: Info,
        first: int = 20,
        after: strawberry.ID | None = None,
        unacknowledged_only: bool = False,
    ) -> list[RiskAlert]:
        views = await info.context.read(
            lambda session, actor: risk.list_alerts(
                session=session,
                actor=actor,
                first=first,
                after=None if after is None else parse_id(after, "after", "分页游标无效"),
                unacknowledged_only=unacknowledged_only,
            )
        )
        return [RiskAlert.from_view(v) for v in views]


@strawberry.type
class RiskMutation:
    @strawberry.mutation(
        extensions=roles(Role.INSTITUTION),
        description="确认已处理本机构的一条贷后预警（金融机构；接口令牌须有 ALERTS 权限）",
    )
    async def acknowledge_risk_alert(
        self, info: Info, id: strawberry.ID
    ) -> AcknowledgeRiskAlertPayload:
        ctx = info.context

        async def work(session, actor):  # type: ignore[no-untyped-def]
            return await risk.acknowledge_alert(
                session=session,
                runtime=ctx.runtime,
                actor=actor,
                alert_id=parse_id(id, "id", "找不到该贷后预警"),
            )

        view, errors = await ctx.transact(work)
        return AcknowledgeRiskAlertPayload(
            alert=RiskAlert.from_view(view) if view else None, errors=errors
        )
