"""Objections (异议) to credit records and credit repair (信用修复) of administrative penalties.

An objection is acknowledged at once with its forwarding deadline (the end of the 2nd working day
on the official calendar, China time), forwarded by government staff and then resolved with a
reason. Upholding one, or approving a repair, ends the record's current version (history is
kept) or replaces it by a corrected version; every view, the score and the matches read only
current versions, so they change at once. Each step is audited and told to the enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.record_versions import correct_record, end_current_version
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, parse_id
from backend.inbox import service as inbox
from backend.inbox.models import MessageKind
from backend.objections.calendar import working_day_deadline
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
from backend.objections.models import Objection, ObjectionStatus
from backend.runtime import Runtime
from backend.security.actor import Actor

FORWARD_WORKING_DAYS = 2  # Jiangsu measures, item 14
OPEN_OBJECTION = (ObjectionStatus.SUBMITTED.value, ObjectionStatus.FORWARDED.value)


@dataclass(frozen=True)
class ObjectionView:
    """An objection with its enterprise, the record it contests and that record's source."""

    objection: Objection
    enterprise: Enterprise
    record: CreditRecord
    source: str
    overdue: bool


def _objection_query() -> Select[Any]:
    return (
        select(Objection, Enterprise, CreditRecord, DataProvider.name)
        .join(Enterprise, Enterprise.id == Objection.enterprise_id)
        .join(CreditRecord, CreditRecord.id == Objection.record_id)
        .join(DataProvider, DataProvider.id == CreditRecord.data_provider_id)
    )


def is_overdue(objection: Objection, at: datetime) -> bool:
    """Still waiting to be forwarded after its deadline."""
    return objection.status == ObjectionStatus.SUBMITTED.value and objection.forward_due_at < at


async def _objection_view(session: AsyncSession, objection_id: int) -> ObjectionView | None:
    row = (await session.execute(_objection_query().where(Objection.id == objection_id))).first()
    if row is None:
        return None
    objection, enterprise, record, source = row
    return ObjectionView(objection, enterprise, record, source, is_overdue(objection, utc_now()))


async def file_objection(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, record_id: int | str, reason: str
) -> ObjectionView:
    """Contest one of the enterprise's own records; acknowledged with the forwarding deadline."""
    enterprise_id = enterprise_id_of(actor, "对信用记录提出异议")
    text = clean_reason(reason, required=True, minimum=REASON_MIN)
    record = await own_record(session, enterprise_id, record_id)
    open_one = (
        await session.execute(
            select(Objection.id).where(
                Objection.record_id == record.id, Objection.status.in_(OPEN_OBJECTION)
            )
        )
    ).first()
    already_open = DomainError(
        ErrorCode.CONFLICT, "该记录已有正在处理的异议，请等待处理结果", field="recordId"
    )
    if open_one is not None:
        raise already_open
    filed_at = utc_now()
    due = working_day_deadline(filed_at, FORWARD_WORKING_DAYS)
    objection = Objection(
        enterprise_id=enterprise_id,
        record_id=record.id,
        reason=text,
        status=ObjectionStatus.SUBMITTED.value,
        filed_by_account_id=actor.account_id,
        filed_at=filed_at,
        forward_due_at=due.astimezone(UTC),
    )
    session.add(objection)
    try:
        # The partial unique index settles two filings at the same moment.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise already_open from exc
    await inbox.deliver(
        session,
        enterprise_id=enterprise_id,
        kind=MessageKind.OBJECTION,
        title="异议申请已受理",
        body=(
            f"您对{record_label(record)}提出的异议已受理（异议编号 {objection.id}）。平台将在 "
            f"{FORWARD_WORKING_DAYS} 个工作日内、即 {due:%Y年%m月%d日} 24 时前转交数据提供单位"
            "核查，处理结果将通过消息通知您。"
        ),
        dedupe_key=f"objection:{objection.id}:filed",
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="objection.file",
        subject_type="objection",
        subject_id=objection.id,
        enterprise_id=enterprise_id,
        details={"record_id": record.id, "forward_due_at": due.isoformat()},
    )
    view = await _objection_view(session, objection.id)
    assert view is not None
    return view


async def list_objections(
    *,
    session: AsyncSession,
    actor: Actor,
    status: str | None = None,
    overdue_only: bool = False,
    first: int = 50,
) -> list[ObjectionView]:
    """Objections for government staff, the most urgent deadline first."""
    require_government(actor)
    query = _objection_query()
    if status is not None:
        query = query.where(Objection.status == parse_status(ObjectionStatus, status))
    at = utc_now()
    if overdue_only:
        query = query.where(
            Objection.status == ObjectionStatus.SUBMITTED.value, Objection.forward_due_at < at
        )
    rows = await session.execute(
        query.order_by(Objection.forward_due_at, Objection.id).limit(page_size(first))
    )
    return [ObjectionView(o, e, r, s, is_overdue(o, at)) for o, e, r, s in rows.all()]


async def my_objections(
    *, session: AsyncSession, actor: Actor, first: int = 50
) -> list[ObjectionView]:
    """The enterprise's own objections, newest first."""
    enterprise_id = enterprise_id_of(actor, "查看本企业的异议")
    rows = await session.execute(
        _objection_query()
        .where(Objection.enterprise_id == enterprise_id)
        .order_by(Objection.filed_at.desc(), Objection.id.desc())
        .limit(page_size(first))
    )
    at = utc_now()
    return [ObjectionView(o, e, r, s, is_overdue(o, at)) for o, e, r, s in rows.all()]


async def _locked_objection(session: AsyncSession, objection_id: int | str) -> Objection:
    key = parse_id(objection_id, "objectionId", "找不到该异议")
    objection = (
        await session.execute(select(Objection).where(Objection.id == key).with_for_update())
    ).scalar_one_or_none()
    if objection is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该异议", field="objectionId")
    return objection


async def forward_objection(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, objection_id: int | str
) -> ObjectionView:
    """Record that an objection was passed to the provider / provincial node for checking."""
    require_government(actor)
    objection = await _locked_objection(session, objection_id)
    if objection.status != ObjectionStatus.SUBMITTED.value:
        raise DomainError(ErrorCode.CONFLICT, "该异议已转交或已处理", field="objectionId")
    at = utc_now()
    late = objection.forward_due_at < at
    objection.status = ObjectionStatus.FORWARDED.value
    objection.forwarded_at = at
    await session.flush()
    view = await _objection_view(session, objection.id)
    assert view is not None
    await inbox.deliver(
        session,
        enterprise_id=objection.enterprise_id,
        kind=MessageKind.OBJECTION,
        title="异议已转交核查",
        body=f"您的异议（编号 {objection.id}）已转交{view.source}核查，处理结果将通过消息通知您。",
        dedupe_key=f"objection:{objection.id}:forwarded",
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="objection.forward",
        subject_type="objection",
        subject_id=objection.id,
        enterprise_id=objection.enterprise_id,
        details={"late": late},
    )
    return view


async def resolve_objection(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    objection_id: int | str,
    uphold: bool,
    reason: str | None = None,
    correction: Any = None,
) -> ObjectionView:
    """Decide an open objection: upheld hides the record or corrects it; rejected needs a reason."""
    require_government(actor)
    text = clean_reason(reason, required=not uphold)
    if correction is not None and not uphold:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只有异议成立时才能更正记录", field="correction"
        )
    objection = await _locked_objection(session, objection_id)
    if objection.status not in OPEN_OBJECTION:
        raise DomainError(ErrorCode.CONFLICT, "该异议已处理完毕", field="objectionId")
    record = await session.get(CreditRecord, objection.record_id)
    assert record is not None
    at = utc_now()
    details: dict[str, Any] = {"uphold": uphold, "record_id": record.id}
    if uphold and correction is not None:
        corrected = await correct_record(session, runtime, record, correction, at)
        details["corrected_record_id"] = corrected.id
        outcome = f"异议成立，该记录已更正（更正后记录编号 {corrected.id}）。"
    elif uphold and record.category == "registration":
        # The enterprise's registration is its identity on the platform: it is never hidden,
        # only corrected by the registration authority re-sending it.
        details["left_to_registration_authority"] = True
        outcome = "异议成立，登记机关将更正登记注册信息并重新报送。"
    elif uphold:
        ended = await end_current_version(session, record, at)
        details["ended_record_id"] = ended.id if ended else None
        outcome = "异议成立，该记录已不再展示，也不再计入信用评价。"
    else:
        outcome = "经核查，异议未予支持，该记录保持不变。"
    objection.status = (ObjectionStatus.UPHELD if uphold else ObjectionStatus.REJECTED).value
    objection.resolved_at = at
    objection.resolved_by_account_id = actor.account_id
    objection.resolution_reason = text
    await session.flush()
    await inbox.deliver(
        session,
        enterprise_id=objection.enterprise_id,
        kind=MessageKind.OBJECTION,
        title="异议处理结果：" + ("异议成立" if uphold else "异议未予支持"),
        body=f"您对{record_label(record)}提出的异议（编号 {objection.id}）已处理：{outcome}"
        + (f"理由：{text}" if text else ""),
        dedupe_key=f"objection:{objection.id}:resolved",
    )
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="objection.resolve",
        subject_type="objection",
        subject_id=objection.id,
        enterprise_id=objection.enterprise_id,
        details={**details, "reason": text},
    )
    view = await _objection_view(session, objection.id)
    assert view is not None
    return view
