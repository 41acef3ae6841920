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

from sqlalchemy import Select, String, bindparam, func, insert, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
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
from backend.security.keyring import KeyRing

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
        "field": _storable(error.field),
        "message": _storable(error.message),
        "withdrawal": withdrawal,
    }


def _storable(text: str | None) -> str | None:
    """``text`` with NUL written out (a message may quote a bad field name; PostgreSQL's jsonb
    cannot hold NUL)."""
    return None if text is None else text.replace("\x00", "\\u0000")


@dataclass
class Plan:
    """What a chunk will do once checked: rows to store, records to withdraw, errors found."""

    rows: list[CleanRecord] = field(default_factory=list)
    withdrawals: list[tuple[int, int]] = field(default_factory=list)  # (record id, enterprise id)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # (fields JSON, content hash, personal cipher) of each row when worked out ahead (bulk).
    encoded: list[Encoded] | None = None


Encoded = tuple[str, str, str | None]


def content_hash_input(fields: dict[str, Any], personal: dict[str, Any] | None) -> str:
    """What a record's ``content_hash`` is the keyed hash of: ``json.dumps([fields, personal],
    sort_keys=True, ensure_ascii=False)`` (no personal data: ``{}``). Ingestion, corrections and
    key rotation all hash this, so an unchanged record is recognised whichever wrote it."""
    return _hash_input(_canonical(fields), _canonical(personal) if personal else "{}")


def _hash_input(fields_json: str, personal_json: str) -> str:
    return f"[{fields_json}, {personal_json}]"


def encode_row(keyring: KeyRing, category: str, row: CleanRecord) -> Encoded:
    """What ``store`` writes of a row besides its plain columns: the fields as JSON, the content
    hash (of :func:`content_hash_input`) and the encrypted personal data."""
    fields_json = _canonical(row.fields)
    personal_json = _canonical(row.personal) if row.personal else "{}"
    digest = keyring.lookup_hash(_hash_input(fields_json, personal_json))
    cipher = (
        keyring.encrypt(_personal_json(row.personal), context=f"credit_records.{category}")
        if row.personal
        else None
    )
    return fields_json, digest, cipher


class RowChecker:
    """Validates the rows of one chunk as they come; a natural key seen twice is refused.

    ``finish`` then looks up what the rows refer to (the only step that needs the database), so
    a bulk load can check the next chunk while the previous one is being written.
    """

    def __init__(self, spec: CategorySpec, today: date, keyring: KeyRing | None = None) -> None:
        self.spec = spec
        self.today = today
        self.plan = Plan()
        self.valid: list[tuple[int, CleanRecord]] = []
        self._seen: dict[str, int] = {}
        # With a keyring, rows are also encoded for ``store`` as they come (the CPU work of a
        # chunk then overlaps the database's work on the chunk before).
        self._keyring = keyring
        self._encoded: dict[int, Encoded] = {}

    def __len__(self) -> int:
        return len(self.valid) + len(self.plan.errors)

    def add(self, index: int, raw: Any) -> None:
        """Validate one ``raw`` row, found at ``index`` of the batch."""
        try:
            clean = validate_record(self.spec, raw, today=self.today)
        except DomainError as exc:
            self.plan.errors.append(row_error(index, exc))
            return
        if clean.natural_key in self._seen:
            duplicate = DomainError(
                ErrorCode.VALIDATION_ERROR, f"与本批次第 {self._seen[clean.natural_key]} 条记录重复"
            )
            self.plan.errors.append(row_error(index, duplicate))
            return
        self._seen[clean.natural_key] = index
        self.valid.append((index, clean))
        if self._keyring is not None:
            self._encoded[index] = encode_row(self._keyring, self.spec.code, clean)

    async def finish(self, session: AsyncSession, enterprise_ids: dict[str, int]) -> Plan:
        """The plan of the rows added; ``enterprise_ids`` (uscc → id) is filled as a cache."""
        plan = self.plan
        valid = self.valid
        if self.spec.code != "registration":
            valid = await _known_enterprises(session, valid, plan, enterprise_ids)
        plan.rows = [clean for _index, clean in valid]
        if self._encoded:
            plan.encoded = [self._encoded[index] for index, _clean in valid]
        plan.errors.sort(key=lambda e: e["index"])
        return plan


async def plan_rows(
    session: AsyncSession,
    spec: CategorySpec,
    rows: list[tuple[int, Any]],
    today: date,
    enterprise_ids: dict[str, int],
) -> Plan:
    """Validate ``(index, raw)`` rows; ``enterprise_ids`` (uscc → id) is filled as a cache."""
    checker = RowChecker(spec, today)
    for index, raw in rows:
        checker.add(index, raw)
    return await checker.finish(session, enterprise_ids)


async def _known_enterprises(
    session: AsyncSession,
    valid: list[tuple[int, CleanRecord]],
    plan: Plan,
    enterprise_ids: dict[str, int],
) -> list[tuple[int, CleanRecord]]:
    """Keep rows whose enterprise is registered; the others become ENTERPRISE_NOT_FOUND."""
    missing = sorted(
        {uscc for _i, clean in valid if (uscc := clean.fields["uscc"]) not in enterprise_ids}
    )
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
    touched: set[int] | None = None,
) -> int:
    """Write a planned chunk; returns how many records changed (unchanged ones are skipped).

    The features of the enterprises it changed are refreshed here, unless the caller passes a
    ``touched`` set: then their ids are added to it and the caller refreshes them once, later in
    the same transaction (a bulk file refreshes each enterprise once, not once per chunk).
    """
    now = utcnow()
    changed = {enterprise_id for _record_id, enterprise_id in plan.withdrawals}
    if plan.withdrawals:
        await session.execute(
            update(CreditRecord)
            .where(CreditRecord.id.in_([record_id for record_id, _e in plan.withdrawals]))
            .values(is_current=False, withdrawn_at=now)
        )
    if not plan.rows:
        await _refresh_or_collect(session, changed, touched)
        return 0
    if spec.code == "registration":
        await _apply_registrations(session, runtime, plan.rows, enterprise_ids)
    postgresql = _is_postgresql(session)
    latest = await _latest_versions(
        session, spec.code, [row.natural_key for row in plan.rows], postgresql=postgresql
    )
    superseded: list[int] = []
    new_rows: list[tuple[Any, ...]] = []
    code = spec.code
    keyring = runtime.keyring
    encoded = plan.encoded or [encode_row(keyring, code, row) for row in plan.rows]
    for row, (fields_json, digest, cipher) in zip(plan.rows, encoded, strict=True):
        previous = latest.get(row.natural_key)
        if previous is not None and previous.digest == digest and not previous.withdrawn:
            # Unchanged; or ended by a decision on the platform and sent again unchanged, which
            # must not bring it back. (A provider's own withdrawal is undone by sending it again.)
            continue
        if previous is not None and previous.is_current:
            superseded.append(previous.id)
        uscc = row.fields["uscc"]
        new_rows.append(
            (
                enterprise_ids[uscc],
                uscc,
                code,
                row.natural_key,
                previous.version + 1 if previous else 1,
                True,
                fields_json if postgresql else row.fields,
                cipher,
                digest,
                row.occurred_on,
                row.visible_until,
                provider_id,
                batch_id,
                now,
                None,
                None,
            )
        )
    if superseded:
        await session.execute(
            update(CreditRecord)
            .where(CreditRecord.id.in_(superseded))
            .values(is_current=False, superseded_at=now)
        )
    if new_rows and postgresql:
        await _copy_records(session, new_rows)
    elif new_rows:
        # Core, not the ORM's bulk insert: no per-row mapper work for a plain executemany.
        await session.execute(
            _INSERT_RECORD, [dict(zip(_RECORD_COLUMNS, r, strict=True)) for r in new_rows]
        )
    changed.update(r[0] for r in new_rows)
    await _refresh_or_collect(session, changed, touched)
    return len(new_rows)


# The serialisations of ``store``, built once: ``json.dumps`` with options builds an encoder per
# call. The content hash depends on these exact bytes (same as json.dumps with these options).
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
_personal_json = json.JSONEncoder(ensure_ascii=False).encode
_INSERT_RECORD = insert(CreditRecord.__table__)
_RECORD_COLUMNS = (
    "enterprise_id",
    "uscc",
    "category",
    "natural_key",
    "version",
    "is_current",
    "fields",
    "personal_cipher",
    "content_hash",
    "occurred_on",
    "visible_until",
    "data_provider_id",
    "batch_id",
    "received_at",
    "superseded_at",
    "withdrawn_at",
)


def _latest_by_probe(category: str) -> Select[tuple[str, int, int, str, bool, Any]]:
    """The latest version of each of ``:keys`` in ``category``, one index probe per key.

    With a plain IN list over bind parameters, PostgreSQL's generic plan for a table that grew
    inside this transaction (statistics not yet knowing it) scans the whole table and compares
    each row with every key: seconds per chunk once a load reaches ~100k rows. OFFSET 0 keeps
    the lateral subquery from being flattened into a join that could become that scan again.
    """
    keys = (
        func.unnest(bindparam("keys", type_=ARRAY(String)))
        .table_valued("key")
        .render_derived(name="k")
    )
    latest = (
        select(*_LATEST_COLUMNS)
        .where(CreditRecord.category == category, CreditRecord.natural_key == keys.c.key)
        .order_by(CreditRecord.version.desc())
        .limit(1)
        .offset(0)
        .lateral("c")
    )
    return select(*latest.c).select_from(keys.join(latest, true()))


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_LATEST_COLUMNS = (
    CreditRecord.natural_key,
    CreditRecord.id,
    CreditRecord.version,
    CreditRecord.content_hash,
    CreditRecord.is_current,
    CreditRecord.withdrawn_at,
)


@dataclass(frozen=True, slots=True)
class Latest:
    """The newest version of a natural key: current, withdrawn by its provider, or ended by a
    decision on the platform (an upheld objection, an approved repair)."""

    id: int
    version: int
    digest: str
    is_current: bool
    withdrawn: bool


async def _latest_versions(
    session: AsyncSession, category: str, keys: list[str], *, postgresql: bool
) -> dict[str, Latest]:
    """Natural key → its latest version, for the keys that have one."""
    if postgresql:
        rows = await session.execute(_latest_by_probe(category), {"keys": keys})
    else:
        rows = await session.execute(
            select(*_LATEST_COLUMNS)
            .where(CreditRecord.category == category, CreditRecord.natural_key.in_(keys))
            .order_by(CreditRecord.version)
        )
    # Ordered by version, so the last row of a key wins.
    return {
        key: Latest(record_id, version, digest, bool(is_current), withdrawn_at is not None)
        for key, record_id, version, digest, is_current, withdrawn_at in rows
    }


async def _copy_records(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into credit_records on the session's own connection (so in its transaction).

    Binary COPY costs PostgreSQL a fraction of row-by-row INSERTs; ``fields`` is JSON text, as
    the dialect's jsonb codec expects.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not driver.is_in_transaction():  # type: ignore[union-attr]
        # The dialect begins its transaction with the first statement it runs: never COPY
        # outside it (that would commit on its own).
        await session.execute(select(literal(1)))
    await driver.copy_records_to_table(  # type: ignore[union-attr]
        CreditRecord.__tablename__, records=rows, columns=_RECORD_COLUMNS
    )


async def _refresh_or_collect(
    session: AsyncSession, changed: set[int], touched: set[int] | None
) -> None:
    if touched is None:
        await refresh_features(session, changed)
    else:
        touched.update(changed)


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
