"""Objections and credit repair: fileObjection, myObjections, objections, forwardObjection,
resolveObjection, requestCreditRepair, myRepairRequests, repairRequests, resolveRepairRequest."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.identity.models import Role
from backend.objections import repair
from backend.objections import service as objections
from backend.objections.models import ObjectionStatus as ObjectionStatusValue
from backend.objections.models import RepairStatus as RepairStatusValue
from graphql_schema.credit_profile import CreditRecord
from graphql_schema.errors import UserError
from graphql_schema.permissions import roles
from graphql_schema.types import Enterprise

ObjectionStatus = strawberry.enum(
    ObjectionStatusValue,
    name="ObjectionStatus",
    description="SUBMITTED 已受理待转交、FORWARDED 已转交核查、UPHELD 异议成立、REJECTED 未予支持",
)
RepairStatus = strawberry.enum(
    RepairStatusValue,
    name="RepairStatus",
    description="SUBMITTED 待审核、APPROVED 已通过、REJECTED 未通过",
)


@strawberry.type(description="对一条信用记录的异议")
class Objection:
    id: strawberry.ID
    status: ObjectionStatus
    reason: str
    filed_at: datetime
    forward_due_at: datetime = strawberry.field(
        description="转交期限：受理后第 2 个工作日（法定节假日及调休按国务院安排）北京时间 24 时前"
    )
    forwarded_at: datetime | None
    resolved_at: datetime | None
    resolution_reason: str | None
    overdue: bool = strawberry.field(description="已过转交期限仍未转交")
    record: CreditRecord
    enterprise: Enterprise

    @classmethod
    def from_view(cls, view: objections.ObjectionView) -> Objection:
        """Shape an objection with its record and enterprise."""
        o = view.objection
        return cls(
            id=strawberry.ID(str(o.id)),
            status=ObjectionStatusValue(o.status),
            reason=o.reason,
            filed_at=o.filed_at,
            forward_due_at=o.forward_due_at,
            forwarded_at=o.forwarded_at,
            resolved_at=o.resolved_at,
            resolution_reason=o.resolution_reason,
            overdue=view.overdue,
            record=CreditRecord.from_model(view.record, view.source),
            enterprise=Enterprise.from_model(view.enterprise),
        )


@strawberry.type(description="对一条行政处罚信息的信用修复申请")
class RepairRequest:
    id: strawberry.ID
    status: RepairStatus
    reason: str
    commitment_version: str
    eligible_from: date = strawberry.field(description="按失信程度最短公示期计算的可申请日期")
    filed_at: datetime
    resolved_at: datetime | None
    resolution_reason: str | None
    record: CreditRecord
    enterprise: Enterprise

    @classmethod
    def from_view(cls, view: repair.RepairView) -> RepairRequest:
        """Shape a repair request with its penalty and enterprise."""
        r = view.request
        return cls(
            id=strawberry.ID(str(r.id)),
            status=RepairStatusValue(r.status),
            reason=r.reason,
            commitment_version=r.commitment_version,
            eligible_from=r.eligible_from,
            filed_at=r.filed_at,
            resolved_at=r.resolved_at,
            resolution_reason=r.resolution_reason,
            record=CreditRecord.from_model(view.record, view.source),
            enterprise=Enterprise.from_model(view.enterprise),
        )


@strawberry.input(description="对本企业的一条信用记录提出异议")
class FileObjectionInput:
    record_id: strawberry.ID
    reason: str = strawberry.field(description="异议理由，5 到 1000 个字符")


@strawberry.input(description="处理异议")
class ResolveObjectionInput:
    objection_id: strawberry.ID
    uphold: bool = strawberry.field(description="true 异议成立，false 未予支持")
    reason: str | None = strawberry.field(default=None, description="理由；未予支持时必填")
    correction: JSON | None = strawberry.field(
        default=None,
        description="异议成立且需更正时：更正后的字段值（不填则该记录不再展示）",
    )


@strawberry.input(description="申请信用修复（仅行政处罚信息）")
class RequestCreditRepairInput:
    record_id: strawberry.ID
    reason: str = strawberry.field(description="已纠正失信行为、履行义务的说明，5 到 1000 个字符")
    accept_commitment: bool = strawberry.field(description="是否接受《信用修复承诺书》，须为 true")
    commitment_version: str | None = strawberry.field(
        default=None, description="所阅读承诺书的版本；与当前版本不同则须重新阅读"
    )


@strawberry.input(description="审核信用修复申请")
class ResolveRepairRequestInput:
    request_id: strawberry.ID
    approve: bool
    reason: str | None = strawberry.field(default=None, description="理由；不通过时必填")


@strawberry.type
class ObjectionPayload:
    objection: Objection | None
    errors: list[UserError]


@strawberry.type
class RepairRequestPayload:
    repair_request: RepairRequest | None
    errors: list[UserError]


def _objection_payload(
    view: objections.ObjectionView | None, errors: list[UserError]
) -> ObjectionPayload:
    return ObjectionPayload(objection=Objection.from_view(view) if view else None, errors=errors)


def _repair_payload(
    view: repair.RepairView | None, errors: list[UserError]
) -> RepairRequestPayload:
    return RepairRequestPayload(
        repair_request=RepairRequest.from_view(view) if view else None, errors=errors
    )


@strawberry.type
class ObjectionQuery:
    @strawberry.field(
        extensions=roles(Role.GOVERNMENT),
        description="异议清单（仅政府工作人员），转交期限最近的在前；"
        "overdueOnly 只看已超期未转交的",
    )
    async def objections(
        self,
        info: Info,
        status: ObjectionStatus | None = None,
        overdue_only: bool = False,
        first: int = 50,
    ) -> list[Objection]:
        views = await info.context.read(
            lambda session, actor: objections.list_objections(
                session=session,
                actor=actor,
                status=status.value if status else None,
                overdue_only=overdue_only,
                first=first,
            )
        )
        return [Objection.from_view(v) for v in views]

    @strawberry.field(extensions=roles(Role.ENTERPRISE), description="本企业提出的异议，由新到旧")
    async def my_objections(self, info: Info, first: int = 50) -> list[Objection]:
        views = await info.context.read(
            lambda session, actor: objections.my_objections(
                session=session, actor=actor, first=first
            )
        )
        return [Objection.from_view(v) for v in views]

    @strawberry.field(
        extensions=roles(Role.GOVERNMENT),
        description="信用修复申请（仅政府工作人员），先提交的在前",
    )
    async def repair_requests(
        self, info: Info, status: RepairStatus | None = None, first: int = 50
    ) -> list[RepairRequest]:
        views = await info.context.read(
            lambda session, actor: repair.list_repair_requests(
                session=session,
                actor=actor,
                status=status.value if status else None,
                first=first,
            )
        )
        return [RepairRequest.from_view(v) for v in views]

    @strawberry.field(
        extensions=roles(Role.ENTERPRISE), description="本企业的信用修复申请，由新到旧"
    )
    async def my_repair_requests(self, info: Info, first: int = 50) -> list[RepairRequest]:
        views = await info.context.read(
            lambda session, actor: repair.my_repair_requests(
                session=session, actor=actor, first=first
            )
        )
        return [RepairRequest.from_view(v) for v in views]


@strawberry.type
class ObjectionMutation:
    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="对本企业的信用记录提出异议（企业账户）；2 个工作日内转交核查",
    )
    async def file_objection(self, info: Info, input: FileObjectionInput) -> ObjectionPayload:
        ctx = info.context
        return _objection_payload(
            *await ctx.transact(
                lambda session, actor: objections.file_objection(
                    session=session,
                    runtime=ctx.runtime,
                    actor=actor,
                    record_id=input.record_id,
                    reason=input.reason,
                )
            )
        )

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="将异议转交数据提供单位核查（仅政府工作人员）",
    )
    async def forward_objection(self, info: Info, id: strawberry.ID) -> ObjectionPayload:
        ctx = info.context
        return _objection_payload(
            *await ctx.transact(
                lambda session, actor: objections.forward_objection(
                    session=session, runtime=ctx.runtime, actor=actor, objection_id=id
                )
            )
        )

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="处理异议（仅政府工作人员）：成立则该记录不再展示或按 correction 更正",
    )
    async def resolve_objection(self, info: Info, input: ResolveObjectionInput) -> ObjectionPayload:
        ctx = info.context
        return _objection_payload(
            *await ctx.transact(
                lambda session, actor: objections.resolve_objection(
                    session=session,
                    runtime=ctx.runtime,
                    actor=actor,
                    objection_id=input.objection_id,
                    uphold=input.uphold,
                    reason=input.reason,
                    correction=input.correction,
                )
            )
        )

    @strawberry.mutation(
        extensions=roles(Role.ENTERPRISE),
        description="申请信用修复（企业账户；仅行政处罚信息，须满最短公示期并接受《信用修复承诺书》）",
    )
    async def request_credit_repair(
        self, info: Info, input: RequestCreditRepairInput
    ) -> RepairRequestPayload:
        ctx = info.context
        return _repair_payload(
            *await ctx.transact(
                lambda session, actor: repair.request_credit_repair(
                    session=session,
                    runtime=ctx.runtime,
                    actor=actor,
                    record_id=input.record_id,
                    reason=input.reason,
                    accept_commitment=input.accept_commitment,
                    commitment_version=input.commitment_version,
                )
            )
        )

    @strawberry.mutation(
        extensions=roles(Role.GOVERNMENT),
        description="审核信用修复申请（仅政府工作人员）：通过则该处罚不再展示、不再计入评价",
    )
    async def resolve_repair_request(
        self, info: Info, input: ResolveRepairRequestInput
    ) -> RepairRequestPayload:
        ctx = info.context
        return _repair_payload(
            *await ctx.transact(
                lambda session, actor: repair.resolve_repair_request(
                    session=session,
                    runtime=ctx.runtime,
                    actor=actor,
                    request_id=input.request_id,
                    approve=input.approve,
                    reason=input.reason,
                )
            )
        )
