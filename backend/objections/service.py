"""Objections (异议) to credit records and credit repair (信用修复) of administrative penalties.

An objection is acknowledged at once with its forwarding deadline (the end of the 2nd working day
on the official calendar, China time), forwarded by government staff and then resolved with a
reason. Upholding one, or approving a repair, ends the record's current version (history is
kept) or replaces it by a corrected version; every view, the score and the matches read only
current versions, so they change at once. Each step is audited and told to the enterprise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import CHINA_TZ
from backend.credit.models import CreditRecord, DataProvider
from backend.credit.profile import visible_on
from backend.credit.sharing_list import load_sharing_list
from backend.credit.validation import validate_record
from backend.db.base import utcnow
from backend.declarations.service import accepted_commitment
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.inbox import service as inbox
from backend.inbox.models import MessageKind
from backend.objections.calendar import working_day_deadline
from backend.objections.models import Objection, ObjectionStatus, RepairRequest, RepairStatus
from backend.runtime import Runtime
from backend.security.actor import Actor

FORWARD_WORKING_DAYS = 2  # Jiangsu measures, item 14
REASON_MIN, REASON_MAX = 5, 1000
MAX_PAGE = 100
# 信用修复管理办法: repair may be asked for after the shortest publication period by severity.
REPAIR_WAIT_MONTHS = {"minor": 0, "general": 3, "serious": 12}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
OPEN_OBJECTION = (ObjectionStatus.SUBMITTED.value, ObjectionStatus.FORWARDED.value)


def now() -> datetime:
    """The current time (one place for tests to freeze it)."""
    return utcnow()


def _utc_now() -> datetime:
    """:func:`now` in UTC, as stored and shown (whatever zone a frozen clock was given in)."""
    return now().astimezone(UTC)


def china_date(moment: datetime) -> date:
    """The date in China at ``moment``."""
    return moment.astimezone(CHINA_TZ).date()


@dataclass(frozen=True)
class ObjectionView:
    """An objection with its enterprise, the record it contests and that record's source."""

    objection: Objection
    enterprise: Enterprise
    record: CreditRecord
    source: str
    overdue: bool


@dataclass(frozen=True)
class RepairView:
    """A repair request with its enterprise, the penalty and the penalty's source."""

    request: RepairRequest
    enterprise: Enterprise
    record: CreditRecord
    source: str


# --- shared checks ------------------------------------------------------------------------


def _enterprise_id(actor: Actor, doing: str) -> int:
    if actor.role != Role.ENTERPRISE.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, f"只有企业用户可以{doing}")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    return actor.enterprise_id


def _require_government(actor: Actor) -> None:
    if actor.role != Role.GOVERNMENT.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "只有政府工作人员可以处理异议和信用修复")


def _parse_id(value: int | str, field: str, message: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise DomainError(ErrorCode.NOT_FOUND, message, field=field)
    return int(text)


def _reason(reason: str | None, *, required: bool, minimum: int = 1) -> str | None:
    text = (reason or "").strip()
    if not text and not required:
        return None
    if not minimum <= len(text) <= REASON_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"理由应为 {minimum} 到 {REASON_MAX} 个字符" if text else "请填写理由",
            field="reason",
        )
    return text


def _status(kind: type[ObjectionStatus] | type[RepairStatus], value: str) -> str:
    if value not in kind.__members__:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "状态不正确", field="status")
    return value


def _first(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_PAGE} 条", field="first")
    return first


async def _own_record(
    session: AsyncSession, enterprise_id: int, record_id: int | str
) -> CreditRecord:
    """A record the enterprise sees now; any other id is NOT_FOUND (others' records included)."""
    message = "找不到该信用记录（或已不再公示）"
    key = _parse_id(record_id, "recordId", message)
    record = (
        await session.execute(
            select(CreditRecord).where(
                CreditRecord.id == key,
                CreditRecord.enterprise_id == enterprise_id,
                visible_on(china_date(_utc_now())),
            )
        )
    ).scalar_one_or_none()
    if record is None:
        raise DomainError(ErrorCode.NOT_FOUND, message, field="recordId")
    return record


def _label(record: CreditRecord) -> str:
    spec = load_sharing_list().get(record.category)
    return f"{spec.label if spec else record.category}记录（编号 {record.id}）"


# --- record versions ------------------------------------------------------------------------


async def current_version(session: AsyncSession, record: CreditRecord) -> CreditRecord | None:
    """The version of ``record`` shown now (it may be ``record`` itself), locked for update."""
    return (
        await session.execute(
            select(CreditRecord)
            .where(
                CreditRecord.category == record.category,
                CreditRecord.natural_key == record.natural_key,
                CreditRecord.is_current.is_(True),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def end_current_version(
    session: AsyncSession, record: CreditRecord, at: datetime
) -> CreditRecord | None:
    """Stop showing and counting a record: its current version ends, history stays.

    ``record`` may be an older version; the version current now (if any) is the one ended.
    """
    current = await current_version(session, record)
    if current is not None:
        current.is_current = False
        current.superseded_at = at
    return current


async def correct_record(
    session: AsyncSession, runtime: Runtime, record: CreditRecord, correction: Any, at: datetime
) -> CreditRecord:
    """Replace a record's current version by a corrected one (``correction`` holds new values)."""
    spec = load_sharing_list().get(record.category)
    if spec is None or spec.code == "registration":
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "登记注册信息须由登记机关更正后重新报送，不能在此更正",
            field="correction",
        )
    if not isinstance(correction, dict) or not correction:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "更正内容应为非空的 JSON 对象", "correction")
    previous = await current_version(session, record)
    if previous is None:
        raise DomainError(
            ErrorCode.CONFLICT, "该记录已被数据提供单位撤回，无需更正", field="correction"
        )
    context = f"credit_records.{spec.code}"
    personal = (
        json.loads(runtime.keyring.decrypt(previous.personal_cipher, context=context))
        if previous.personal_cipher
        else {}
    )
    try:
        clean = validate_record(
            spec, {**previous.fields, **personal, **correction}, today=china_date(at)
        )
    except DomainError as exc:
        field = f"correction.{exc.field}" if exc.field else "correction"
        raise DomainError(exc.code, exc.message, field=field) from exc
    if clean.natural_key != previous.natural_key or clean.fields["uscc"] != previous.uscc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"更正不能改变记录主体或主键字段（{'、'.join(spec.natural_key)}）",
            field="correction",
        )
    previous.is_current = False
    previous.superseded_at = at
    corrected = CreditRecord(
        enterprise_id=previous.enterprise_id,
        uscc=previous.uscc,
        category=previous.category,
        natural_key=previous.natural_key,
        version=previous.version + 1,
        is_current=True,
        fields=clean.fields,
        personal_cipher=(
            runtime.keyring.encrypt(json.dumps(clean.personal, ensure_ascii=False), context=context)
            if clean.personal
            else None
        ),
        content_hash=runtime.keyring.lookup_hash(
            json.dumps([clean.fields, clean.personal], sort_keys=True, ensure_ascii=False)
        ),
        occurred_on=clean.occurred_on,
        visible_until=clean.visible_until,
        data_provider_id=previous.data_provider_id,
        batch_id=previous.batch_id,
        received_at=at,
    )
    session.add(corrected)
    await session.flush()
    return corrected


# --- objections -----------------------------------------------------------------------------


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
    return ObjectionView(objection, enterprise, record, source, is_overdue(objection, _utc_now()))


async def file_objection(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, record_id: int | str, reason: str
) -> ObjectionView:
    """Contest one of the enterprise's own records; acknowledged with the forwarding deadline."""
    enterprise_id = _enterprise_id(actor, "对信用记录提出异议")
    text = _reason(reason, required=True, minimum=REASON_MIN)
    record = await _own_record(session, enterprise_id, record_id)
    open_one = (
        await session.execute(
            select(Objection.id).where(
                Objection.record_id == record.id, Objection.status.in_(OPEN_OBJECTION)
            )
        )
    ).first()
    if open_one is not None:
        raise DomainError(
            ErrorCode.CONFLICT, "该记录已有正在处理的异议，请等待处理结果", field="recordId"
        )
    filed_at = _utc_now()
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
    await session.flush()
    await inbox.deliver(
        session,
        enterprise_id=enterprise_id,
        kind=MessageKind.OBJECTION,
        title="异议申请已受理",
        body=(
            f"您对{_label(record)}提出的异议已受理（异议编号 {objection.id}）。平台将在 "
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
    _require_government(actor)
    query = _objection_query()
    if status is not None:
        query = query.where(Objection.status == _status(ObjectionStatus, status))
    at = _utc_now()
    if overdue_only:
        query = query.where(
            Objection.status == ObjectionStatus.SUBMITTED.value, Objection.forward_due_at < at
        )
    rows = await session.execute(
        query.order_by(Objection.forward_due_at, Objection.id).limit(_first(first))
    )
    return [ObjectionView(o, e, r, s, is_overdue(o, at)) for o, e, r, s in rows.all()]


async def my_objections(
    *, session: AsyncSession, actor: Actor, first: int = 50
) -> list[ObjectionView]:
    """The enterprise's own objections, newest first."""
    enterprise_id = _enterprise_id(actor, "查看本企业的异议")
    rows = await session.execute(
        _objection_query()
        .where(Objection.enterprise_id == enterprise_id)
        .order_by(Objection.filed_at.desc(), Objection.id.desc())
        .limit(_first(first))
    )
    at = _utc_now()
    return [ObjectionView(o, e, r, s, is_overdue(o, at)) for o, e, r, s in rows.all()]


async def _locked_objection(session: AsyncSession, objection_id: int | str) -> Objection:
    key = _parse_id(objection_id, "objectionId", "找不到该异议")
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
    _require_government(actor)
    objection = await _locked_objection(session, objection_id)
    if objection.status != ObjectionStatus.SUBMITTED.value:
        raise DomainError(ErrorCode.CONFLICT, "该异议已转交或已处理", field="objectionId")
    at = _utc_now()
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
    _require_government(actor)
    text = _reason(reason, required=not uphold)
    if correction is not None and not uphold:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只有异议成立时才能更正记录", field="correction"
        )
    objection = await _locked_objection(session, objection_id)
    if objection.status not in OPEN_OBJECTION:
        raise DomainError(ErrorCode.CONFLICT, "该异议已处理完毕", field="objectionId")
    record = await session.get(CreditRecord, objection.record_id)
    assert record is not None
    at = _utc_now()
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
        body=f"您对{_label(record)}提出的异议（编号 {objection.id}）已处理：{outcome}"
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


# --- credit repair --------------------------------------------------------------------------


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
    enterprise_id = _enterprise_id(actor, "申请信用修复")
    text = _reason(reason, required=True, minimum=REASON_MIN)
    accepted = accepted_commitment("repair", accept=accept_commitment, version=commitment_version)
    record = await _own_record(session, enterprise_id, record_id)
    if record.category != "admin_penalty":
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "只有行政处罚信息可以申请信用修复", field="recordId"
        )
    eligible_from = repair_eligible_from(record)
    if china_date(_utc_now()) < eligible_from:
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
        filed_at=_utc_now(),
    )
    session.add(request)
    await session.flush()
    await inbox.deliver(
        session,
        enterprise_id=enterprise_id,
        kind=MessageKind.OBJECTION,
        title="信用修复申请已受理",
        body=f"您对{_label(record)}提出的信用修复申请已受理（申请编号 {request.id}），"
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
    _require_government(actor)
    query = _repair_query()
    if status is not None:
        query = query.where(RepairRequest.status == _status(RepairStatus, status))
    rows = await session.execute(
        query.order_by(RepairRequest.filed_at, RepairRequest.id).limit(_first(first))
    )
    return [RepairView(*row) for row in rows.all()]


async def my_repair_requests(
    *, session: AsyncSession, actor: Actor, first: int = 50
) -> list[RepairView]:
    """The enterprise's own repair requests, newest first."""
    enterprise_id = _enterprise_id(actor, "查看本企业的信用修复申请")
    rows = await session.execute(
        _repair_query()
        .where(RepairRequest.enterprise_id == enterprise_id)
        .order_by(RepairRequest.filed_at.desc(), RepairRequest.id.desc())
        .limit(_first(first))
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
    _require_government(actor)
    text = _reason(reason, required=not approve)
    key = _parse_id(request_id, "requestId", "找不到该信用修复申请")
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
    at = _utc_now()
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
        body=f"您对{_label(record)}的信用修复申请（编号 {request.id}）：{outcome}"
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
