"""Self-declared information (自主申报) under a credit commitment, and its review by government.

The commitment texts and the declarable categories with their fields live in
``seed_products/commitments.json`` (a province edits the file, not the code). A declaration
stores which commitment version was accepted and the SHA-256 of that exact text, so that what the
enterprise agreed to can be proven after the text changes. Declarations are shown apart from the
official records and never mixed into them; one found false stays visible as 失信承诺.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit.sharing_list import CategorySpec, FieldSpec
from backend.credit.validation import validate_record
from backend.db.base import utcnow
from backend.declarations.models import Declaration, DeclarationStatus
from backend.enterprises.features import refresh_features
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode, check_each
from backend.inbox import service as inbox
from backend.inbox.models import MessageKind
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.staff import government_staff, own_enterprise_id

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "seed_products" / "commitments.json"
MAX_PAGE = 100
MAX_REASON = 1000
STATUS_LABELS = {
    DeclarationStatus.PENDING: "待核查",
    DeclarationStatus.CONFIRMED: "已核实",
    DeclarationStatus.REJECTED: "未予采信",
    DeclarationStatus.FOUND_FALSE: "失信承诺（经核查不实）",
}
DECISIONS = {
    "CONFIRM": DeclarationStatus.CONFIRMED,
    "REJECT": DeclarationStatus.REJECTED,
    "FOUND_FALSE": DeclarationStatus.FOUND_FALSE,
}


@dataclass(frozen=True)
class Commitment:
    """One versioned commitment text (信用承诺书) and the digest of its exact wording."""

    kind: str
    version: str
    title: str
    text: str

    @property
    def sha256(self) -> str:
        """SHA-256 of the UTF-8 text, stored with what was committed to."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CommitmentBook:
    """The commitment texts by kind and the declarable categories by code."""

    commitments: dict[str, Commitment]
    categories: dict[str, CategorySpec]


def _field(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=raw["name"],
        label=raw.get("label", raw["name"]),
        type=raw["type"],
        required=bool(raw.get("required", False)),
        max_length=raw.get("max_length"),
        values=tuple(raw.get("values", ())),
        not_future=bool(raw.get("not_future", False)),
        minimum=raw.get("minimum"),
    )


def parse_commitments(document: dict[str, Any]) -> CommitmentBook:
    """Check and convert the commitments document."""
    commitments = {
        kind: Commitment(kind, str(raw["version"]), raw["title"], raw["text"])
        for kind, raw in document["commitments"].items()
    }
    if not {"declaration", "repair"} <= set(commitments):
        raise ValueError("commitments.json needs a declaration and a repair commitment")
    categories = {
        raw["code"]: CategorySpec(
            code=raw["code"],
            label=raw["label"],
            disclosure="authorised",
            natural_key=(),
            fields=tuple(_field(f) for f in raw["fields"]),
        )
        for raw in document["declaration_categories"]
    }
    return CommitmentBook(commitments=commitments, categories=categories)


@cache
def load_commitments(path: Path = DEFAULT_PATH) -> CommitmentBook:
    """Load (once per path) the commitment texts and declarable categories."""
    with path.open(encoding="utf-8") as handle:
        return parse_commitments(json.load(handle))


def commitment(kind: str) -> Commitment:
    """The current commitment of ``kind`` (``declaration`` or ``repair``)."""
    found = load_commitments().commitments.get(kind)
    if found is None:
        known = "、".join(load_commitments().commitments)
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"承诺书类型应为 {known} 之一", field="kind")
    return found


def accepted_commitment(kind: str, *, accept: bool, version: str | None) -> Commitment:
    """The commitment the enterprise accepts now; refused unless accepted and still current."""
    current = commitment(kind)
    if not accept:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"须阅读并接受《{current.title}》后方可提交",
            field="acceptCommitment",
        )
    if version is not None and version != current.version:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"《{current.title}》已更新为 {current.version} 版，请重新阅读后再提交",
            field="commitmentVersion",
        )
    return current


def category_label(code: str) -> str:
    """The Chinese name of a declarable category."""
    spec = load_commitments().categories.get(code)
    return spec.label if spec else code


def status_label(status: str) -> str:
    """The Chinese name of a declaration status."""
    return STATUS_LABELS.get(DeclarationStatus(status), status)


def _clean_content(category: str, content: Any, today: date) -> dict[str, Any]:
    spec = load_commitments().categories.get(category)
    if spec is None:
        known = "、".join(f"{c.code}（{c.label}）" for c in load_commitments().categories.values())
        raise DomainError(
            ErrorCode.UNKNOWN_CATEGORY, f"申报类别应为 {known} 之一", field="category"
        )
    if not isinstance(content, dict) or not content:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "申报内容应为非空的 JSON 对象", "content")
    unknown = sorted(set(content) - {f.name for f in spec.fields})
    if unknown:
        allowed = "、".join(f.name for f in spec.fields)
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"“{spec.label}”申报没有字段 {'、'.join(unknown)}；可填字段：{allowed}",
            field=f"content.{unknown[0]}",
        )
    try:
        return validate_record(spec, content, today=today).fields
    except DomainError as exc:
        field = f"content.{exc.field}" if exc.field else "content"
        raise DomainError(exc.code, exc.message, field=field) from exc


def _require_government(actor: Actor) -> None:
    government_staff(actor, "只有政府工作人员可以核查自主申报信息")


async def submit_declaration(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    category: str,
    content: Any,
    accept_commitment: bool,
    commitment_version: str | None = None,
) -> Declaration:
    """Store a declaration under the current commitment; it replaces the category's current one.

    A declaration found false is never replaced: the broken commitment stays on the record.
    """
    enterprise_id = own_enterprise_id(actor, "自主申报信息")
    clean, accepted = check_each(
        lambda: _clean_content(category, content, china_today()),
        lambda: accepted_commitment(
            "declaration", accept=accept_commitment, version=commitment_version
        ),
    )
    await session.execute(
        update(Declaration)
        .where(
            Declaration.enterprise_id == enterprise_id,
            Declaration.category == category,
            Declaration.is_current.is_(True),
            Declaration.status != DeclarationStatus.FOUND_FALSE.value,
        )
        .values(is_current=False)
    )
    declaration = Declaration(
        enterprise_id=enterprise_id,
        category=category,
        content=clean,
        commitment_version=accepted.version,
        commitment_sha256=accepted.sha256,
        status=DeclarationStatus.PENDING.value,
        is_current=True,
        declared_by_account_id=actor.account_id,
        declared_at=utcnow(),
    )
    session.add(declaration)
    await session.flush()
    await refresh_features(session, [declaration.enterprise_id])
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="declaration.submit",
        subject_type="declaration",
        subject_id=declaration.id,
        enterprise_id=enterprise_id,
        details={
            "category": category,
            "commitment_version": accepted.version,
            "commitment_sha256": accepted.sha256,
        },
    )
    return declaration


async def current_declarations(*, session: AsyncSession, enterprise_id: int) -> list[Declaration]:
    """An enterprise's current declarations (those found false included), newest first."""
    return list(
        (
            await session.execute(
                select(Declaration)
                .where(Declaration.enterprise_id == enterprise_id, Declaration.is_current.is_(True))
                .order_by(Declaration.declared_at.desc(), Declaration.id.desc())
            )
        ).scalars()
    )


async def list_declarations(
    *, session: AsyncSession, actor: Actor, status: str | None = None, first: int = 50
) -> list[tuple[Declaration, Enterprise]]:
    """Current declarations for government review, oldest waiting first, with their enterprise."""
    _require_government(actor)
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_PAGE} 条", field="first")
    query = (
        select(Declaration, Enterprise)
        .join(Enterprise, Enterprise.id == Declaration.enterprise_id)
        .where(Declaration.is_current.is_(True))
    )
    if status is not None:
        if status not in DeclarationStatus.__members__:
            raise DomainError(ErrorCode.VALIDATION_ERROR, "申报状态不正确", field="status")
        query = query.where(Declaration.status == status)
    query = query.order_by(Declaration.declared_at, Declaration.id).limit(first)
    return [(d, e) for d, e in (await session.execute(query)).all()]


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "请填写理由", field="reason")
    if len(text) > MAX_REASON:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"理由不能超过 {MAX_REASON} 个字符", field="reason"
        )
    return text or None


def _parse_id(value: int | str, field: str, message: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise DomainError(ErrorCode.NOT_FOUND, message, field=field)
    return int(text)


def _review_message(
    declaration: Declaration, status: DeclarationStatus, reason: str | None
) -> tuple[str, str]:
    label = category_label(declaration.category)
    because = f"理由：{reason}" if reason else ""
    if status == DeclarationStatus.CONFIRMED:
        return "自主申报信息已核实", f"您于平台填报的“{label}”信息已经核实。{because}"
    if status == DeclarationStatus.REJECTED:
        return "自主申报信息未予采信", f"您于平台填报的“{label}”信息未予采信。{because}"
    return (
        "自主申报信息经核查不实（失信承诺）",
        f"您于平台填报的“{label}”信息经核查不实，违反了所作的信用承诺，已作为失信承诺记入"
        f"信用记录并在信用档案中展示。{because}如有异议，请联系信用主管部门。",
    )


async def review_declaration(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    declaration_id: int | str,
    decision: str,
    reason: str | None = None,
) -> Declaration:
    """Confirm, reject or find false a current declaration; the enterprise is told each time.

    CONFIRM and REJECT decide a pending declaration; FOUND_FALSE may also follow a confirmation
    (a later check can find it false) and is final.
    """
    _require_government(actor)
    status = DECISIONS.get(decision)
    if status is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "处理结果应为 CONFIRM、REJECT 或 FOUND_FALSE", "decision"
        )
    reason = _reason(reason, required=status != DeclarationStatus.CONFIRMED)
    key = _parse_id(declaration_id, "declarationId", "找不到该申报")
    declaration = (
        await session.execute(select(Declaration).where(Declaration.id == key).with_for_update())
    ).scalar_one_or_none()
    if declaration is None:
        raise DomainError(ErrorCode.NOT_FOUND, "找不到该申报", field="declarationId")
    if not declaration.is_current:
        raise DomainError(ErrorCode.CONFLICT, "该申报已被企业新的申报替代", "declarationId")
    allowed_from = {DeclarationStatus.PENDING.value}
    if status == DeclarationStatus.FOUND_FALSE:
        allowed_from.add(DeclarationStatus.CONFIRMED.value)
    if declaration.status not in allowed_from:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"该申报当前状态为“{status_label(declaration.status)}”，不能再作此处理",
            field="declarationId",
        )
    declaration.status = status.value
    declaration.reviewed_by_account_id = actor.account_id
    declaration.reviewed_at = utcnow()
    declaration.review_reason = reason
    await session.flush()
    await refresh_features(session, [declaration.enterprise_id])
    title, body = _review_message(declaration, status, reason)
    await inbox.deliver(
        session,
        enterprise_id=declaration.enterprise_id,
        kind=MessageKind.SYSTEM,
        title=title,
        body=body,
        dedupe_key=f"declaration:{declaration.id}:{status.value}",
    )
    found_false = status == DeclarationStatus.FOUND_FALSE
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="declaration.found_false" if found_false else "declaration.review",
        subject_type="declaration",
        subject_id=declaration.id,
        enterprise_id=declaration.enterprise_id,
        details={"decision": decision, "category": declaration.category, "reason": reason},
    )
    return declaration
