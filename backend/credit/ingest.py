"""Physical collection (物理归集): validate a provider's batch and store it, idempotently.

A batch is identified by ``(provider, batch_id)``. Sending the same batch again returns the
stored outcome and changes nothing; different content under a used id is a CONFLICT. Valid rows
are stored and invalid rows reported by index, in one transaction; with ``all_or_nothing`` one
bad row refuses the whole batch. Withdrawals end a record's current version (history is kept).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit.models import CreditRecord, DataProvider, IngestBatch
from backend.credit.registration import apply_registration
from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.credit.validation import CleanRecord, validate_key, validate_record
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor

MAX_ROWS_PER_CALL = 5000
_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$")


class BatchStatus:
    """Outcome of a batch."""

    ACCEPTED = "ACCEPTED"
    PARTIAL = "PARTIAL"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class IngestOutcome:
    """The stored batch, its row errors, and whether this call was a replay of an earlier one."""

    batch: IngestBatch
    row_errors: list[dict[str, Any]]
    replayed: bool


@dataclass
class _Plan:
    """What a batch will do once checked: rows to store, records to withdraw, errors found."""

    rows: list[tuple[int, CleanRecord]] = field(default_factory=list)
    withdrawals: list[tuple[int, CreditRecord]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)

    def fail(self, index: int, error: DomainError, *, withdrawal: bool = False) -> None:
        """Note a row error (``withdrawal`` says which list ``index`` counts in)."""
        self.errors.append(
            {
                "index": index,
                "code": error.code.value,
                "field": error.field,
                "message": error.message,
                "withdrawal": withdrawal,
            }
        )


def _content_hash(category: str, records: list[Any], withdrawals: list[Any], strict: bool) -> str:
    canonical = json.dumps(
        [category, records, withdrawals, strict],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def _provider_for(session: AsyncSession, actor: Actor, category: str) -> DataProvider:
    if actor.role != Role.DATA_PROVIDER.value or actor.data_provider_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "只有数据提供方可以报送信用信息")
    provider = await session.get(DataProvider, actor.data_provider_id)
    if provider is None:
        raise DomainError(ErrorCode.FORBIDDEN, "数据提供单位不存在")
    if category not in (provider.categories or []):
        raise DomainError(
            ErrorCode.FORBIDDEN, f"{provider.name}未获准报送“{category}”类信息", field="category"
        )
    return provider


def _check_call(
    batch_id: str, category: str, records: list[Any], withdrawals: list[Any]
) -> CategorySpec:
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "批次号应为 1 到 100 个字母、数字或 . _ : -，且以字母或数字开头",
            field="batchId",
        )
    spec = load_sharing_list().get(category)
    if spec is None:
        raise DomainError(
            ErrorCode.UNKNOWN_CATEGORY, f"共享清单中没有“{category}”这一类别", field="category"
        )
    if not records and not withdrawals:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "批次中没有记录", field="records")
    if len(records) + len(withdrawals) > MAX_ROWS_PER_CALL:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"单次最多 {MAX_ROWS_PER_CALL} 条；更大的数据请用批量接口 /ingest/{category}",
            field="records",
        )
    return spec


async def _plan(
    session: AsyncSession,
    spec: CategorySpec,
    records: list[Any],
    withdrawals: list[Any],
    today: date,
) -> _Plan:
    """Validate every row and look up what it refers to; nothing is written here."""
    plan = _Plan()
    seen: dict[str, int] = {}
    for index, raw in enumerate(records):
        try:
            clean = validate_record(spec, raw, today=today)
        except DomainError as exc:
            plan.fail(index, exc)
            continue
        if clean.natural_key in seen:
            plan.fail(
                index,
                DomainError(
                    ErrorCode.VALIDATION_ERROR,
                    f"与本批次第 {seen[clean.natural_key]} 条记录重复",
                ),
            )
            continue
        seen[clean.natural_key] = index
        plan.rows.append((index, clean))

    usccs = sorted({clean.fields["uscc"] for _i, clean in plan.rows})
    plan.enterprises = {
        e.uscc: e
        for e in (
            await session.execute(select(Enterprise).where(Enterprise.uscc.in_(usccs)))
        ).scalars()
    }
    if spec.code != "registration":
        kept = []
        for index, clean in plan.rows:
            if clean.fields["uscc"] in plan.enterprises:
                kept.append((index, clean))
            else:
                plan.fail(
                    index,
                    DomainError(
                        ErrorCode.ENTERPRISE_NOT_FOUND,
                        f"平台尚无 {clean.fields['uscc']} 的登记注册信息，请先报送登记注册信息",
                        field="uscc",
                    ),
                )
        plan.rows = kept

    keys: dict[str, int] = {}
    for index, raw in enumerate(withdrawals):
        if spec.code == "registration":
            plan.fail(
                index,
                DomainError(
                    ErrorCode.VALIDATION_ERROR, "登记注册信息不能撤回，请报送变更后的登记状态"
                ),
                withdrawal=True,
            )
            continue
        try:
            keys[validate_key(spec, raw, today=today)] = index
        except DomainError as exc:
            plan.fail(index, exc, withdrawal=True)
    current = (
        {
            record.natural_key: record
            for record in (
                await session.execute(
                    select(CreditRecord).where(
                        CreditRecord.category == spec.code,
                        CreditRecord.natural_key.in_(list(keys)),
                        CreditRecord.is_current.is_(True),
                    )
                )
            ).scalars()
        }
        if keys
        else {}
    )
    for key, index in keys.items():
        if key in current:
            plan.withdrawals.append((index, current[key]))
        else:
            plan.fail(
                index,
                DomainError(ErrorCode.NOT_FOUND, "没有可撤回的现行记录"),
                withdrawal=True,
            )
    plan.errors.sort(key=lambda e: (e["withdrawal"], e["index"]))
    return plan


async def ingest_records(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    batch_id: str,
    category: str,
    records: list[Any],
    withdrawals: list[Any] | None = None,
    all_or_nothing: bool = False,
) -> IngestOutcome:
    """Validate and store one batch from the actor's data provider (caller commits)."""
    withdrawals = list(withdrawals or [])
    spec = _check_call(batch_id, category, records, withdrawals)
    provider = await _provider_for(session, actor, category)
    content_hash = _content_hash(category, records, withdrawals, all_or_nothing)
    existing = (
        await session.execute(
            select(IngestBatch).where(
                IngestBatch.data_provider_id == provider.id,
                IngestBatch.external_batch_id == batch_id,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.content_hash != content_hash:
            raise DomainError(
                ErrorCode.CONFLICT,
                "该批次号已用于内容不同的批次，请使用新的批次号",
                field="batchId",
            )
        return IngestOutcome(existing, list(existing.row_errors or []), replayed=True)

    plan = await _plan(session, spec, records, withdrawals, china_today())
    refused = all_or_nothing and bool(plan.errors)
    applied = 0 if refused else len(plan.rows)
    withdrawn = 0 if refused else len(plan.withdrawals)
    batch = IngestBatch(
        data_provider_id=provider.id,
        external_batch_id=batch_id,
        category=category,
        status=(
            BatchStatus.REJECTED
            if applied + withdrawn == 0
            else BatchStatus.PARTIAL
            if plan.errors
            else BatchStatus.ACCEPTED
        ),
        accepted=applied,
        rejected=len(plan.errors),
        withdrawn=withdrawn,
        all_or_nothing=all_or_nothing,
        content_hash=content_hash,
        row_errors=plan.errors,
        submitted_by_account_id=actor.account_id,
    )
    session.add(batch)
    await session.flush()
    if not refused:
        await _store(session, runtime, spec, provider, batch, plan)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="ingest.batch",
        outcome="failure" if batch.status == BatchStatus.REJECTED else "success",
        subject_type="ingest_batch",
        subject_id=batch.id,
        details={
            "provider": provider.code,
            "batch_id": batch_id,
            "category": category,
            "accepted": batch.accepted,
            "rejected": batch.rejected,
            "withdrawn": batch.withdrawn,
        },
    )
    return IngestOutcome(batch, plan.errors, replayed=False)


async def _store(
    session: AsyncSession,
    runtime: Runtime,
    spec: CategorySpec,
    provider: DataProvider,
    batch: IngestBatch,
    plan: _Plan,
) -> None:
    """Upsert by natural key: unchanged records stay, a changed one gets a new version."""
    rows = [clean for _i, clean in plan.rows]
    now = utcnow()
    for _index, record in plan.withdrawals:
        record.is_current = False
        record.withdrawn_at = now
    current = (
        {
            record.natural_key: record
            for record in (
                await session.execute(
                    select(CreditRecord).where(
                        CreditRecord.category == spec.code,
                        CreditRecord.natural_key.in_([row.natural_key for row in rows]),
                        CreditRecord.is_current.is_(True),
                    )
                )
            ).scalars()
        }
        if rows
        else {}
    )
    enterprises = plan.enterprises
    if spec.code == "registration":
        for row in rows:
            uscc = row.fields["uscc"]
            enterprises[uscc] = apply_registration(
                session, runtime.keyring, enterprises.get(uscc), row
            )
        await session.flush()
    for row in rows:
        digest = runtime.keyring.lookup_hash(
            json.dumps([row.fields, row.personal], sort_keys=True, ensure_ascii=False)
        )
        previous = current.get(row.natural_key)
        if previous is not None and previous.content_hash == digest:
            continue
        version = 1
        if previous is not None:
            previous.is_current = False
            previous.superseded_at = now
            version = previous.version + 1
        session.add(
            CreditRecord(
                enterprise_id=enterprises[row.fields["uscc"]].id,
                uscc=row.fields["uscc"],
                category=spec.code,
                natural_key=row.natural_key,
                version=version,
                is_current=True,
                fields=row.fields,
                personal_cipher=(
                    runtime.keyring.encrypt(
                        json.dumps(row.personal, ensure_ascii=False),
                        context=f"credit_records.{spec.code}",
                    )
                    if row.personal
                    else None
                ),
                content_hash=digest,
                occurred_on=row.occurred_on,
                visible_until=row.visible_until,
                data_provider_id=provider.id,
                batch_id=batch.id,
            )
        )
    await session.flush()
