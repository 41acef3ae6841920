"""What every ingestion path shares: checks, planning a chunk of rows, and storing it.

Planning validates rows and looks up what they refer to without writing; storing upserts by
natural key with Core statements (one SELECT, one INSERT and at most one UPDATE per chunk), so
that big loads do not pay the ORM's per-object cost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.credit.models import CreditRecord, DataProvider
from backend.credit.registration import apply_registration
from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.credit.validation import CleanRecord, validate_key, validate_record
from backend.db.base import utcnow
from backend.enterprises.features import refresh_features
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.security.actor import Actor

_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$")


class BatchStatus:
    """Outcome of a batch."""

    ACCEPTED = "ACCEPTED"
    PARTIAL = "PARTIAL"
    REJECTED = "REJECTED"


def status_of(applied: int, errors: int) -> str:
    """ACCEPTED when all went in, PARTIAL with some errors, REJECTED when nothing did."""
    if applied == 0:
        return BatchStatus.REJECTED
    return BatchStatus.PARTIAL if errors else BatchStatus.ACCEPTED


def check_batch_id(batch_id: str) -> None:
    """Refuse a batch id that is empty, too long or has odd characters."""
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "批次号应为 1 到 100 个字母、数字或 . _ : -，且以字母或数字开头",
            field="batchId",
        )


def category_spec(category: str) -> CategorySpec:
    """The sharing-list category, or UNKNOWN_CATEGORY."""
    spec = load_sharing_list().get(category)
    if spec is None:
        raise DomainError(
            ErrorCode.UNKNOWN_CATEGORY, f"共享清单中没有“{category}”这一类别", field="category"
        )
    return spec


async def provider_for(session: AsyncSession, actor: Actor, category: str) -> DataProvider:
    """The actor's data provider, which must be allowed to send ``category``."""
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


def row_error(index: int, error: DomainError, *, withdrawal: bool = False) -> dict[str, Any]:
    """A row error as stored with the batch and returned to the provider."""
    return {
        "index": index,
        "code": error.code.value,
        "field": error.field,
        "message": error.message,
        "withdrawal": withdrawal,
    }


@dataclass
class Plan:
    """What a chunk will do once checked: rows to store, records to withdraw, errors found."""

    rows: list[CleanRecord] = field(default_factory=list)
    withdrawals: list[tuple[int, int]] = field(default_factory=list)  # (record id, enterprise id)
    errors: list[dict[str, Any]] = field(default_factory=list)


async def plan_rows(
    session: AsyncSession,
    spec: CategorySpec,
    rows: list[tuple[int, Any]],
    today: date,
    enterprise_ids: dict[str, int],
) -> Plan:
    """Validate ``(index, raw)`` rows; ``enterprise_ids`` (uscc → id) is filled as a cache."""
    plan = Plan()
    seen: dict[str, int] = {}
    valid: list[tuple[int, CleanRecord]] = []
    for index, raw in rows:
        try:
            clean = validate_record(spec, raw, today=today)
        except DomainError as exc:
            plan.errors.append(row_error(index, exc))
            continue
        if clean.natural_key in seen:
            duplicate = DomainError(
                ErrorCode.VALIDATION_ERROR, f"与本批次第 {seen[clean.natural_key]} 条记录重复"
            )
            plan.errors.append(row_error(index, duplicate))
            continue
        seen[clean.natural_key] = index
        valid.append((index, clean))
    if spec.code != "registration":
        valid = await _known_enterprises(session, valid, plan, enterprise_ids)
    plan.rows = [clean for _index, clean in valid]
    plan.errors.sort(key=lambda e: e["index"])
    return plan


async def _known_enterprises(
    session: AsyncSession,
    valid: list[tuple[int, CleanRecord]],
    plan: Plan,
    enterprise_ids: dict[str, int],
) -> list[tuple[int, CleanRecord]]:
    """Keep rows whose enterprise is registered; the others become ENTERPRISE_NOT_FOUND."""
    missing = sorted({clean.fields["uscc"] for _i, clean in valid} - set(enterprise_ids))
    if missing:
        enterprise_ids.update(
            (
                await session.execute(
                    select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(missing))
                )
            ).all()
        )
    kept = []
    for index, clean in valid:
        uscc = clean.fields["uscc"]
        if uscc in enterprise_ids:
            kept.append((index, clean))
            continue
        unknown = DomainError(
            ErrorCode.ENTERPRISE_NOT_FOUND,
            f"平台尚无 {uscc} 的登记注册信息，请先报送登记注册信息",
            field="uscc",
        )
        plan.errors.append(row_error(index, unknown))
    return kept


async def plan_withdrawals(
    session: AsyncSession, spec: CategorySpec, withdrawals: list[Any], today: date
) -> Plan:
    """Find the current records that the withdrawal requests name."""
    plan = Plan()
    keys: dict[str, int] = {}
    for index, raw in enumerate(withdrawals):
        if spec.code == "registration":
            refused = DomainError(
                ErrorCode.VALIDATION_ERROR, "登记注册信息不能撤回，请报送变更后的登记状态"
            )
            plan.errors.append(row_error(index, refused, withdrawal=True))
            continue
        try:
            keys[validate_key(spec, raw, today=today)] = index
        except DomainError as exc:
            plan.errors.append(row_error(index, exc, withdrawal=True))
    current: dict[str, tuple[int, int]] = {}
    if keys:
        rows = await session.execute(
            select(CreditRecord.natural_key, CreditRecord.id, CreditRecord.enterprise_id).where(
                CreditRecord.category == spec.code,
                CreditRecord.natural_key.in_(list(keys)),
                CreditRecord.is_current.is_(True),
            )
        )
        current = {key: (record_id, enterprise_id) for key, record_id, enterprise_id in rows}
    for key, index in keys.items():
        if key in current:
            plan.withdrawals.append(current[key])
        else:
            missing = DomainError(ErrorCode.NOT_FOUND, "没有可撤回的现行记录")
            plan.errors.append(row_error(index, missing, withdrawal=True))
    plan.errors.sort(key=lambda e: e["index"])
    return plan


async def store(
    session: AsyncSession,
    runtime: Runtime,
    spec: CategorySpec,
    *,
    provider_id: int,
    batch_id: int,
    plan: Plan,
    enterprise_ids: dict[str, int],
) -> int:
    """Write a planned chunk; returns how many records changed (unchanged ones are skipped)."""
    now = utcnow()
    touched = {enterprise_id for _record_id, enterprise_id in plan.withdrawals}
    if plan.withdrawals:
        await session.execute(
            update(CreditRecord)
            .where(CreditRecord.id.in_([record_id for record_id, _e in plan.withdrawals]))
            .values(is_current=False, withdrawn_at=now)
        )
    if not plan.rows:
        await refresh_features(session, touched)
        return 0
    if spec.code == "registration":
        await _apply_registrations(session, runtime, plan.rows, enterprise_ids)
    current = {
        key: (record_id, version, digest)
        for key, record_id, version, digest in (
            await session.execute(
                select(
                    CreditRecord.natural_key,
                    CreditRecord.id,
                    CreditRecord.version,
                    CreditRecord.content_hash,
                ).where(
                    CreditRecord.category == spec.code,
                    CreditRecord.natural_key.in_([row.natural_key for row in plan.rows]),
                    CreditRecord.is_current.is_(True),
                )
            )
        ).all()
    }
    superseded: list[int] = []
    new_rows: list[dict[str, Any]] = []
    context = f"credit_records.{spec.code}"
    for row in plan.rows:
        digest = runtime.keyring.lookup_hash(
            json.dumps([row.fields, row.personal], sort_keys=True, ensure_ascii=False)
        )
        previous = current.get(row.natural_key)
        if previous is not None and previous[2] == digest:
            continue
        if previous is not None:
            superseded.append(previous[0])
        new_rows.append(
            {
                "enterprise_id": enterprise_ids[row.fields["uscc"]],
                "uscc": row.fields["uscc"],
                "category": spec.code,
                "natural_key": row.natural_key,
                "version": previous[1] + 1 if previous else 1,
                "is_current": True,
                "fields": row.fields,
                "personal_cipher": (
                    runtime.keyring.encrypt(
                        json.dumps(row.personal, ensure_ascii=False), context=context
                    )
                    if row.personal
                    else None
                ),
                "content_hash": digest,
                "occurred_on": row.occurred_on,
                "visible_until": row.visible_until,
                "data_provider_id": provider_id,
                "batch_id": batch_id,
                "received_at": now,
            }
        )
    if superseded:
        await session.execute(
            update(CreditRecord)
            .where(CreditRecord.id.in_(superseded))
            .values(is_current=False, superseded_at=now)
        )
    if new_rows:
        await session.execute(insert(CreditRecord), new_rows)
    touched.update(row["enterprise_id"] for row in new_rows)
    await refresh_features(session, touched)
    return len(new_rows)


async def _apply_registrations(
    session: AsyncSession, runtime: Runtime, rows: list[CleanRecord], enterprise_ids: dict[str, int]
) -> None:
    """Create or update the enterprises of registration rows and note their ids."""
    usccs = [row.fields["uscc"] for row in rows]
    existing = {
        e.uscc: e
        for e in (
            await session.execute(select(Enterprise).where(Enterprise.uscc.in_(usccs)))
        ).scalars()
    }
    touched = [
        apply_registration(session, runtime.keyring, existing.get(row.fields["uscc"]), row)
        for row in rows
    ]
    await session.flush()
    enterprise_ids.update((e.uscc, e.id) for e in touched)
