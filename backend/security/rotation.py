"""Moving personal data and look-up hashes onto the current key after a key rotation.

Once every instance runs with a new ``XINRONG_SECRET_KEY`` and the old one in
``XINRONG_PREVIOUS_SECRET_KEYS``, the app still reads what the old key made, but three things
depend on the old key until they are rewritten:

- the ciphertexts it made (``enterprises.legal_rep_id_cipher``, ``credit_records.personal_cipher``);
- ``enterprises.legal_rep_id_hash``: real-name verification accepts a hash under any key held
  (``KeyRing.lookup_hashes``), so nothing breaks until the old key is removed; then every firm
  not re-registered since would fail verification;
- ``credit_records.content_hash``: ingestion compares the hash of an incoming record under the
  *current* key with the stored one to skip unchanged records, so until it is recomputed every
  unchanged record a provider sends again becomes a new version.

:func:`rotate_keys` rewrites them in batches, one transaction per batch, with compare-and-set
updates (``WHERE id = :id AND cipher = :old AND hash = :old``) so that a row changed by a serving
instance between the read and the write is left as that instance wrote it. A hash is recomputed
only when it is proven to be the hash of the stored content under a key held; one that matches no
key is left alone and counted. Re-running continues where a run stopped: rows whose ciphertext is
under the current key are not read again. Audit rows are never rewritten: their MACs stay under
the key that made them (``backend.security.rotation_status`` says which keys are still needed).
"""

from __future__ import annotations

import hmac
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from backend.audit import service as audit
from backend.audit.key_order import ROTATION_ACTION
from backend.credit.batch import content_hash_input
from backend.credit.models import CreditRecord
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.enterprises.models import Enterprise
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.keyring import KeyRing, KeyRingError
from backend.security.rotation_sql import (
    CIPHER_VERSION,
    COLUMNS,
    ENTERPRISE_IDS,
    RECORD_HASH_ONLY,
    RECORD_PERSONAL,
    RowChange,
    enterprise_batch,
    record_batch,
    write_changes,
)
from backend.settings import Settings

AUDIT_ACTION = ROTATION_ACTION

#: Called after each batch with (table, last id read, highest id when the run started).
ProgressHook = Callable[[str, int, int], None]
#: Called after a batch is read and before it is written, with (table, ids to write): the
#: window in which a serving instance may change a row (tests act as that instance here).
BeforeWriteHook = Callable[[str, list[int]], Awaitable[None]]


def cipher_key_id(token: str | None) -> str | None:
    """The key id a ciphertext names (``v1.<key id>.<body>``), or None when it names none."""
    parts = token.split(".", 2) if token else []
    return parts[1] if len(parts) == 3 and parts[0] == CIPHER_VERSION else None


def current_prefix(keyring: KeyRing) -> str:
    """How every ciphertext under the current key begins."""
    return f"{CIPHER_VERSION}.{keyring.current_key_id}."


class KeysById:
    """One single-key ring per configured secret, to tell which key made a look-up hash."""

    def __init__(self, settings: Settings) -> None:
        rings = [KeyRing(s) for s in (settings.secret_key, *settings.previous_secret_keys)]
        self.current_id = rings[0].current_key_id
        self.rings = {ring.current_key_id: ring for ring in rings}

    def hash_key_id(self, value: str, digest: str) -> str | None:
        """The id of the key under which ``digest`` is the look-up hash of ``value``, if any."""
        for key_id, ring in self.rings.items():
            if hmac.compare_digest(ring.lookup_hash(value), digest):
                return key_id
        return None


@dataclass
class ColumnTally:
    """What a run found and did in one column (in a dry run: what it would do)."""

    found: Counter[str] = field(default_factory=Counter)  # rows under each other key id
    rotated: int = 0  # rewritten under the current key
    conflicts: int = 0  # changed by someone else between read and write: left, re-run
    unmatched: int = 0  # a hash that matches no key held: left as it is (needs no key)
    missing_key: int = 0  # a ciphertext under a key id that is not configured
    undecryptable: int = 0  # a ciphertext under a key held that does not authenticate

    @property
    def left(self) -> int:
        """Rows that may still need an old key after this run."""
        return self.conflicts + self.missing_key + self.undecryptable

    def as_dict(self) -> dict[str, Any]:
        """The tally as the audit row and the summary show it."""
        return {
            "found": dict(sorted(self.found.items())),
            "rotated": self.rotated,
            "conflicts": self.conflicts,
            "unmatched": self.unmatched,
            "missing_key": self.missing_key,
            "undecryptable": self.undecryptable,
        }


@dataclass
class RotationReport:
    """The outcome of :func:`rotate_keys`."""

    key_id: str
    dry_run: bool
    batch_size: int
    columns: dict[str, ColumnTally] = field(
        default_factory=lambda: {name: ColumnTally() for name in COLUMNS}
    )
    batches: int = 0
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """True when nothing this run saw still needs an old key."""
        return not any(tally.left for tally in self.columns.values())

    def as_details(self) -> dict[str, Any]:
        """The audit row's details."""
        return {
            "key_id": self.key_id,
            "dry_run": self.dry_run,
            "batch_size": self.batch_size,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "columns": {name: tally.as_dict() for name, tally in self.columns.items()},
        }


class _Run:
    """The state of one run: keys, tallies and hooks."""

    def __init__(
        self,
        runtime: Runtime,
        report: RotationReport,
        on_progress: ProgressHook | None,
        before_write: BeforeWriteHook | None,
    ) -> None:
        self.runtime = runtime
        self.keyring = runtime.keyring
        self.keys = KeysById(runtime.settings)
        self.report = report
        self.prefix = current_prefix(runtime.keyring)
        self.on_progress = on_progress
        self.before_write = before_write

    def tally(self, column: str) -> ColumnTally:
        """The tally of ``column``."""
        return self.report.columns[column]

    def key_held(self, column: str, cipher: str) -> bool:
        """Count the ciphertext under its key id; False (counted as missing) when not held."""
        tally = self.tally(column)
        key_id = cipher_key_id(cipher)
        tally.found[key_id or "?"] += 1
        if key_id not in self.keys.rings:
            tally.missing_key += 1
            return False
        return True

    def rewrite_hash(self, column: str, value: str, digest: str) -> str:
        """The current key's hash of ``value`` when ``digest`` is its hash under a key held;
        otherwise ``digest`` unchanged (counted as unmatched)."""
        if self.keys.hash_key_id(value, digest) is None:
            self.tally(column).unmatched += 1
            return digest
        return self.keyring.lookup_hash(value)

    def plan_enterprise(self, row: Sequence[Any]) -> RowChange | None:
        """What to write for an enterprise row (id, cipher, hash), or None to leave it."""
        row_id, cipher, digest = row
        if not self.key_held(ENTERPRISE_IDS, cipher):
            return None
        try:
            id_number = self.keyring.decrypt(cipher, context=ID_NUMBER_CONTEXT)
        except KeyRingError:
            self.tally(ENTERPRISE_IDS).undecryptable += 1
            return None
        return RowChange(
            row_id,
            ENTERPRISE_IDS,
            cipher,
            digest,
            self.keyring.encrypt(id_number, context=ID_NUMBER_CONTEXT),
            self.rewrite_hash(ENTERPRISE_IDS, id_number, digest),
        )

    def plan_record(self, row: Sequence[Any]) -> RowChange | None:
        """What to write for a credit record row (id, category, fields, cipher, hash), or None
        to leave it (already under the current key, or not to be vouched for)."""
        row_id, category, fields, cipher, digest = row
        if cipher is None:
            value = content_hash_input(fields, None)
            current = self.keyring.lookup_hash(value)
            if hmac.compare_digest(current, digest):
                return None  # already under the current key
            key_id = self.keys.hash_key_id(value, digest)
            tally = self.tally(RECORD_HASH_ONLY)
            if key_id is None:
                tally.unmatched += 1
                return None
            tally.found[key_id] += 1
            return RowChange(row_id, RECORD_HASH_ONLY, None, digest, None, current)
        if not self.key_held(RECORD_PERSONAL, cipher):
            return None
        context = f"credit_records.{category}"
        try:
            plaintext = self.keyring.decrypt(cipher, context=context)
            personal = json.loads(plaintext)
        except (KeyRingError, ValueError):
            self.tally(RECORD_PERSONAL).undecryptable += 1
            return None
        value = content_hash_input(fields, personal)
        return RowChange(
            row_id,
            RECORD_PERSONAL,
            cipher,
            digest,
            self.keyring.encrypt(plaintext, context=context),
            self.rewrite_hash(RECORD_PERSONAL, value, digest),
        )


_PASSES: tuple[tuple[str, Any, Callable[[_Run, Sequence[Any]], RowChange | None]], ...] = (
    ("enterprises", enterprise_batch, _Run.plan_enterprise),
    ("credit_records", record_batch, _Run.plan_record),
)


async def _write(run: _Run, table: str, changes: list[RowChange]) -> None:
    """Write one batch in one transaction; a row no longer as read is left and counted."""
    async with run.runtime.sessionmaker() as session, session.begin():
        written = await write_changes(session, table, changes)
    for change in changes:
        tally = run.tally(change.column)
        if change.row_id in written:
            tally.rotated += 1
        else:
            tally.conflicts += 1


async def _pass(run: _Run, table: str, batch_query: Any, plan: Any) -> None:
    """Walk ``table`` in id order, a batch at a time, rewriting what is not under the key."""
    model = Enterprise if table == "enterprises" else CreditRecord
    async with run.runtime.sessionmaker() as session:
        upper = (await session.execute(select(func.max(model.id)))).scalar() or 0
    after = 0
    while True:
        # Read in its own short transaction: on SQLite a read transaction left open would
        # make the write below fail once a serving instance had written in between.
        async with run.runtime.sessionmaker() as session:
            query = batch_query(run.prefix, after, run.report.batch_size)
            rows = (await session.execute(query)).all()
        if not rows:
            break
        after = rows[-1][0]
        changes = [change for row in rows if (change := plan(run, row)) is not None]
        if changes and run.report.dry_run:
            for change in changes:
                run.tally(change.column).rotated += 1
        elif changes:
            if run.before_write is not None:
                await run.before_write(table, [change.row_id for change in changes])
            await _write(run, table, changes)
        run.report.batches += 1
        if run.on_progress is not None:
            run.on_progress(table, after, max(upper, after))


async def _audit(runtime: Runtime, outcome: str, details: dict[str, Any]) -> None:
    async with runtime.sessionmaker() as session:
        await audit.record(
            session,
            keyring=runtime.keyring,
            actor=Actor.system(request_id="cli-rotate-keys"),
            action=AUDIT_ACTION,
            outcome=outcome,
            subject_type="key",
            subject_id=runtime.keyring.current_key_id,
            details=details,
        )
        await session.commit()


async def rotate_keys(
    *,
    runtime: Runtime,
    batch_size: int = 1000,
    dry_run: bool = False,
    on_progress: ProgressHook | None = None,
    before_write: BeforeWriteHook | None = None,
) -> RotationReport:
    """Rewrite every ciphertext and look-up hash not under the current key; safe to re-run.

    Audited as ``keys.rotate``: a ``started`` row before the first write and a ``finished`` row
    with the counts (outcome ``failure`` when rows are left or the run broke off). A dry run
    writes no data, only one ``dry_run`` row (it decrypted every old ciphertext to count).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    report = RotationReport(runtime.keyring.current_key_id, dry_run, batch_size)
    run = _Run(runtime, report, on_progress, before_write)
    started = time.perf_counter()
    if not dry_run:
        await _audit(runtime, "success", {"phase": "started", "batch_size": batch_size})
    try:
        for table, batch_query, plan in _PASSES:
            await _pass(run, table, batch_query, plan)
    except Exception as exc:
        report.seconds = time.perf_counter() - started
        details = {"phase": "finished", **report.as_details(), "error": type(exc).__name__}
        await _audit(runtime, "failure", details)
        raise
    report.seconds = time.perf_counter() - started
    phase = "dry_run" if dry_run else "finished"
    outcome = "success" if report.complete else "failure"
    await _audit(runtime, outcome, {"phase": phase, **report.as_details()})
    return report
