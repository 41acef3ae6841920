"""Physical collection (物理归集): validate a provider's batch and store it, idempotently.

A batch is identified by ``(provider, batch_id)``. Sending the same batch again returns the
stored outcome and changes nothing; sending different content under a used id is a CONFLICT.
Valid rows are stored and invalid rows reported with their index, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit.models import CreditRecord, DataProvider, IngestBatch
from backend.credit.registration import apply_registration
from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.credit.validation import CleanRecord, validate_record
from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor

MAX_RECORDS_PER_CALL = 5000
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


def _content_hash(category: str, records: list[Any]) -> str:
    canonical = json.dumps(
        [category, records], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
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


def _check_call(batch_id: str, category: str, records: list[Any]) -> CategorySpec:
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
    if not records:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "批次中没有记录", field="records")
    if len(records) > MAX_RECORDS_PER_CALL:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"单次最多 {MAX_RECORDS_PER_CALL} 条记录；更大的数据请用批量接口 /ingest/{category}",
            field="records",
        )
    return spec


def _validate_rows(
    spec: CategorySpec, records: list[Any], today: date
) -> tuple[list[tuple[int, CleanRecord]], list[dict[str, Any]]]:
    valid: list[tuple[int, CleanRecord]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(records):
        try:
            clean = validate_record(spec, raw, today=today)
        except DomainError as exc:
            errors.append(
                {"index": index, "code": exc.code.value, "field": exc.field, "message": exc.message}
            )
            continue
        if clean.natural_key in seen:
            errors.append(
                {
                    "index": index,
                    "code": ErrorCode.VALIDATION_ERROR.value,
                    "field": None,
                    "message": f"与本批次第 {seen[clean.natural_key]} 条记录重复",
                }
            )
            continue
        seen[clean.natural_key] = index
        valid.append((index, clean))
    return valid, errors


async def ingest_records(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    batch_id: str,
    category: str,
    records: list[Any],
) -> IngestOutcome:
    """Validate and store one batch from the actor's data provider (caller commits)."""
    spec = _check_call(batch_id, category, records)
    provider = await _provider_for(session, actor, category)
    content_hash = _content_hash(category, records)
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

    valid, row_errors = _validate_rows(spec, records, china_today())
    batch = IngestBatch(
        data_provider_id=provider.id,
        external_batch_id=batch_id,
        category=category,
        status=(
            BatchStatus.REJECTED
            if not valid
            else BatchStatus.PARTIAL
            if row_errors
            else BatchStatus.ACCEPTED
        ),
        accepted=len(valid),
        rejected=len(row_errors),
        content_hash=content_hash,
        row_errors=row_errors,
        submitted_by_account_id=actor.account_id,
    )
    session.add(batch)
    await session.flush()
    if valid:
        await _store(session, runtime, spec, provider, batch, [clean for _i, clean in valid])
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="ingest.batch",
        outcome="success" if valid else "failure",
        subject_type="ingest_batch",
        subject_id=batch.id,
        details={
            "provider": provider.code,
            "batch_id": batch_id,
            "category": category,
            "accepted": batch.accepted,
            "rejected": batch.rejected,
        },
    )
    return IngestOutcome(batch, row_errors, replayed=False)


async def _store(
    session: AsyncSession,
    runtime: Runtime,
    spec: CategorySpec,
    provider: DataProvider,
    batch: IngestBatch,
    rows: list[CleanRecord],
) -> None:
    """Upsert by natural key: unchanged records stay, a changed one gets a new version."""
    keys = [row.natural_key for row in rows]
    current = {
        record.natural_key: record
        for record in (
            await session.execute(
                select(CreditRecord).where(
                    CreditRecord.category == spec.code,
                    CreditRecord.natural_key.in_(keys),
                    CreditRecord.is_current.is_(True),
                )
            )
        ).scalars()
    }
    usccs = sorted({row.fields["uscc"] for row in rows})
    enterprises = {
        e.uscc: e
        for e in (
            await session.execute(select(Enterprise).where(Enterprise.uscc.in_(usccs)))
        ).scalars()
    }
    if spec.code == "registration":
        for row in rows:
            uscc = row.fields["uscc"]
            enterprises[uscc] = apply_registration(
                session, runtime.keyring, enterprises.get(uscc), row
            )
        await session.flush()
    now = utcnow()
    for row in rows:
        uscc = row.fields["uscc"]
        enterprise = enterprises.get(uscc)
        if enterprise is None:
            # Only reachable for categories other than registration, which issue 3 brings in.
            raise DomainError(ErrorCode.ENTERPRISE_NOT_FOUND, f"尚无 {uscc} 的登记注册信息")
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
                enterprise_id=enterprise.id,
                uscc=uscc,
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
                data_provider_id=provider.id,
                batch_id=batch.id,
            )
        )
    await session.flush()
