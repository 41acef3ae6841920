"""Credit repair (信用修复) of administrative penalties after their minimum publication period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_date
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.record_versions import end_current_version
from backend.declarations.service import accepted_commitment
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, parse_id
from backend.inbox import service as inbox
from backend.inbox.models import MessageKind
from backend.objections.common import (
    REASON_MIN,
    clean_reason,
    enterprise_id_of,
    own_record,
    page_size,
    parse_status,
    record_label,
    require_government,
    utc_now,
)
from backend.objections.models import RepairRequest, RepairStatus
from backend.runtime import Runtime
from backend.security.actor import Actor

# 信用修复管理办法: repair may be asked for after the shortest publication period by severity.
REPAIR_WAIT_MONTHS = {"minor": 0, "general": 3, "serious": 12}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}


@dataclass(frozen=True)
class RepairView:
    """A repair request with its enterprise, the penalty and the penalty's source."""

    request: RepairRequest
    enterprise: Enterprise
    record: CreditRecord
    source: str


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def repair_eligible_from(record: CreditRecord) -> date:
    """The first day a penalty may be repaired: decided on + the shortest publication period."""
    severity = record.fields.get("severity")
    if record.occurred_on is None or severity not in REPAIR_WAIT_MONTHS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "该处罚缺少决定日期或失信程度，无法判断", "recordId"
        )
    return _add_months(record.occurred_on, REPAIR_WAIT_MONTHS[severity])


def _repair_query() -> Select[Any]:
    return (
        select(RepairRequest, Enterprise, CreditRecord, DataProvider.name)
        .join(Enterprise, Enterprise.id == RepairRequest.enterprise_id)
        .join(CreditRecord, CreditRecord.id == RepairRequest.record_id)
        .join(DataProvider, DataProvider.id == CreditRecord.data_provider_id)
    )


async def _repair_view(session: AsyncSession, request_id: int) -> RepairView:
    row = (await session.execute(_repair_query().where(RepairRequest.id == request_id))).one()
    return RepairView(*row)


async def request_credit_repair(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    record_id: int | str,
    reason: str,
    accept_commitment: bool,
    commitment_version: str | None = None,
) -> RepairView:
    """Ask to repair an administrative penalty once its shortest publication period has passed."""
    enterprise_id = enterprise_id_of(actor, "申请信用修复")
    text = clean_reason(reason, required=True, minimum=REASON_MIN)
    accepted = accepted_commitment("repair", accept=accept_commitment, version=commitment_version)
    record = await own_record(session, enterprise_id, record_id)
    if record.category != "admin_penalty":
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只有行政处罚信息可以申请信用修复", field="recordId"
        )
    eligible_from = repair_eligible_from(record)
    if china_date(utc_now()) < eligible_from:
        severity = SEVERITY_LABELS[record.fields["severity"]]
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"{severity}失信行为的行政处罚须公示期满最短期限后方可申请信用修复，"
            f"该处罚自 {eligible_from.isoformat()} 起可以申请",
            field="recordId",
        )
    pending = (
        await session.execute(
            select(RepairRequest.id).where(
                RepairRequest.record_id == record.id,
                RepairRequest.status == RepairStatus.SUBMITTED.value,
            )
        )
    ).first()
    if pending is not None:
        raise DomainError(ErrorCode.CONFLICT, "该处罚已有正在审核的信用修复申请", "recordId")
    request = RepairRequest(
        enterprise_id=enterprise_id,
        record_id=record.id,
        reason=text,
        commitment_version=accepted.version,
        eligible_from=eligible_from,
        status=RepairStatus.SUBMITTED.value,
        filed_by_account_id=actor.account_id,
        filed_at=utc_now(),
    )
    session.add(request)
    await session.flush()
    await inbox.deliver(
        session,
        enterprise_id=enterprise_id,
        kind=MessageKind.OBJECTION,
        title="信用修复申请已受理",
        body=f"您对{record_label(record)}提出的信用修复申请已受理（申请编号 {request.id}），"
        "审核结果将通过消息通知您。",
        dedupe_key=f"repair:{request.id}:filed",
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="repair.request",
        subject_type="repair_request",
        subject_id=request.id,
        enterprise_id=enterprise_id,
        details={
            "record_id": record.id,
            "commitment_version": accepted.version,
            "commitment_sha256": accepted.sha256,
        },
    )
    return await _repair_view(session, request.id)


async def list_repair_requests(
    *, session: AsyncSession, actor: Actor, status: str | None = None, first: int = 50
) -> list[RepairView]:
    """Repair requests for government staff, oldest first."""
    require_government(actor)
    query = _repair_query()
    if status is not None:
        query = query.where(RepairRequest.status == parse_status(RepairStatus, status))
    rows = await session.execute(
        query.order_by(RepairRequest.filed_at, RepairRequest.id).limit(page_size(first))
    )
    return [RepairView(*row) for row in rows.all()]


async def my_repair_requests(
    *, session: AsyncSession, actor: Actor, first: int = 50
) -> list[RepairView]:
    """The enterprise's own repair requests, newest first."""
    enterprise_id = enterprise_id_of(actor, "查看本企业的信用修复申请")
    rows = await session.execute(
        _repair_query()
        .where(RepairRequest.enterprise_id == enterprise_id)
        .order_by(RepairRequest.filed_at.desc(), RepairRequest.id.desc())
        .limit(page_size(first))
    )
    return [RepairView(*row) for row in rows.all()]


async def resolve_repair_request(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    request_id: int | str,
    approve: bool,
    reason: str | None = None,
) -> RepairView:
    """Approve (the penalty stops being shown and counted) or reject (with a reason)."""
    require_government(actor)
    text = clean_reason(reason, required=not approve)
    key = parse_id(request_id, "requestId", "找不到该信用修复申请")
    request = (
        await session.execute(
            select(RepairRequest).where(RepairRequest.id == key).with_for_update()
        )
    ).scalar_one_or_none()
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该信用修复申请", field="requestId")
    if request.status != RepairStatus.SUBMITTED.value:
        raise DomainError(ErrorCode.CONFLICT, "该信用修复申请已处理完毕", field="requestId")
    record = await session.get(CreditRecord, request.record_id)
    assert record is not None
    at = utc_now()
    ended = await end_current_version(session, record, at) if approve else None
    request.status = (RepairStatus.APPROVED if approve else RepairStatus.REJECTED).value
    request.resolved_at = at
    request.resolved_by_account_id = actor.account_id
    request.resolution_reason = text
    await session.flush()
    outcome = (
        "信用修复申请已通过，该行政处罚信息不再公示，也不再计入信用评价。"
        if approve
        else "信用修复申请未通过。"
    )
    await inbox.deliver(
        session,
        enterprise_id=request.enterprise_id,
        kind=MessageKind.OBJECTION,
        title="信用修复结果：" + ("已通过" if approve else "未通过"),
        body=f"您对{record_label(record)}的信用修复申请（编号 {request.id}）：{outcome}"
        + (f"理由：{text}" if text else ""),
        dedupe_key=f"repair:{request.id}:resolved",
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="repair.resolve",
        subject_type="repair_request",
        subject_id=request.id,
        enterprise_id=request.enterprise_id,
        details={
            "approve": approve,
            "record_id": record.id,
            "ended_record_id": ended.id if ended else None,
            "reason": text,
        },
    )
    return await _repair_view(session, request.id)
