"""Features-only synthetic data: ``enterprises`` and ``enterprise_features`` rows, no records.

Set-based work (policy pushes, statistics) reads only those two tables, and the bulk path that
``load_dataset`` uses (~11,000 records/s) would take hours for a million enterprises. This mode
draws the same enterprises and records as ``write_dataset`` (same seed, same streams), checks
every record against the sharing list as the bulk path does, keeps those visible today, and
computes facts and evaluation with the platform's own ``facts_and_evaluation``; the enterprise
row mirrors ``apply_registration`` and the features row mirrors ``refresh_features`` (a test
proves both equal, column by column, to what the bulk path stores). Records themselves are not
stored.

Generation is sequential (one seeded stream runs through all enterprises); checking records and
computing facts is not, so with ``workers`` > 0 batches of generated records go, pickled, to a
pool of processes while the main process generates the next batch and writes finished rows:
PostgreSQL by COPY, SQLite by executemany, a transaction per chunk. Memory stays flat in N.
Enterprises whose USCC is already there are skipped, so a re-run writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import pickle
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_today
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.credit.sharing_list import CategorySpec, load_sharing_list
from backend.credit.validation import CleanRecord, validate_record
from backend.db.base import utcnow
from backend.enterprises.features import FACT_COLUMNS, facts_and_evaluation, feature_values
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.errors import DomainError
from backend.identity.masking import mask_id_number
from backend.identity.uscc import parse_uscc
from backend.policies.incremental import tell_changed
from backend.runtime import Runtime
from backend.security.keyring import KeyRing
from backend.synth.dataset import records_rng
from backend.synth.identities import EnterpriseFactory
from backend.synth.records import Row, enterprise_records, month_list

#: Enterprises written per transaction.
DEFAULT_CHUNK = 5_000
#: Enterprises generated per batch handed to a worker (their records are ~30 KB each in memory).
BATCH = 250
#: Below this many enterprises worker processes cost more to start than they save.
PARALLEL_FROM = 20_000

_ENTERPRISES = cast(Table, Enterprise.__table__)
_FEATURES = cast(Table, EnterpriseFeatures.__table__)
#: What a worker fills in of an enterprise row; id and timestamps are set when it is written.
ENTERPRISE_COLUMNS = tuple(
    c.name for c in _ENTERPRISES.columns if c.name not in {"id", "created_at", "updated_at"}
)
#: What a worker fills in of a features row; enterprise_id and computed_at come at writing.
FEATURE_VALUES = (*FACT_COLUMNS, "declared_facts", "evaluation", "scorecard_version")
_JSON_FEATURES = frozenset({"declared_facts", "evaluation"})
assert {*FEATURE_VALUES, "enterprise_id", "computed_at"} == set(_FEATURES.columns.keys())

#: One enterprise ready to write: its USCC, then values in the orders above.
Prepared = tuple[str, tuple[Any, ...], tuple[Any, ...]]


@dataclass(frozen=True)
class FeaturesLoad:
    """What ``load_features`` did: enterprises written, skipped as present, refused, seconds."""

    requested: int
    written: int
    skipped: int
    refused: int
    seconds: float
    workers: int

    @property
    def rate(self) -> float:
        """Enterprises handled per second (written or skipped)."""
        return (self.written + self.skipped) / self.seconds if self.seconds else 0.0


def generate(
    count: int, *, seed: int, as_of: date, months: int, batch: int = BATCH
) -> Iterator[list[list[tuple[str, Row]]]]:
    """Each enterprise's records (registration first), ``batch`` enterprises at a time, drawn
    exactly as ``write_dataset`` draws them for the same seed, date and months."""
    factory = EnterpriseFactory(seed=seed, as_of=as_of)
    rng = records_rng(seed)
    window = month_list(as_of, months)
    for start in range(0, count, batch):
        yield [
            list(enterprise_records(factory.make(index), rng, as_of, window))
            for index in range(start, min(start + batch, count))
        ]


def _enterprise(keyring: KeyRing, registration: CleanRecord) -> Enterprise:
    """The enterprise a registration record creates, as ``apply_registration`` fills it."""
    fields = registration.fields
    info = parse_uscc(fields["uscc"])
    id_number = registration.personal["legal_rep_id_number"]
    established = fields.get("established_on")
    capital = fields.get("registered_capital")
    return Enterprise(
        uscc=info.code,
        name=fields["name"],
        entity_type=info.entity_type,
        region_code=info.region_code,
        industry_code=fields.get("industry_code"),
        established_on=date.fromisoformat(established) if established else None,
        registered_capital=Decimal(capital) if capital is not None else None,
        legal_rep_name=fields["legal_rep_name"],
        legal_rep_id_cipher=keyring.encrypt(id_number, context=ID_NUMBER_CONTEXT),
        legal_rep_id_hash=keyring.lookup_hash(id_number),
        legal_rep_id_masked=mask_id_number(id_number),
        address=fields.get("address"),
        registration_status=fields.get("status"),
    )


def prepare(
    records: list[tuple[str, Row]],
    *,
    keyring: KeyRing,
    specs: dict[str, CategorySpec],
    today: date,
) -> Prepared | None:
    """One enterprise's rows from its raw records; None when its registration is refused."""
    registration: CleanRecord | None = None
    visible: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for category, row in records:
        try:
            clean = validate_record(specs[category], row, today=today)
        except DomainError:
            continue  # the bulk path refuses the row (a row error) and goes on
        if category == "registration":
            registration = clean
        # Visible as ``credit.profile.visible_on`` has it (every record of a load is current).
        if clean.visible_until is None or clean.visible_until >= today:
            visible[category].append(clean.fields)
    if registration is None:
        return None
    enterprise = _enterprise(keyring, registration)
    computed, result = facts_and_evaluation(enterprise, visible, None, today)
    features = feature_values(computed, result, visible, today)
    return (
        enterprise.uscc,
        tuple(getattr(enterprise, name) for name in ENTERPRISE_COLUMNS),
        tuple(features[name] for name in FEATURE_VALUES),
    )


def _specs() -> dict[str, CategorySpec]:
    return load_sharing_list().categories


def prepare_batch(
    batch: list[list[tuple[str, Row]]], keyring: KeyRing, today: date
) -> tuple[list[Prepared], int]:
    """Rows of a batch of enterprises, and how many were refused."""
    specs = _specs()
    prepared = [prepare(records, keyring=keyring, specs=specs, today=today) for records in batch]
    kept = [p for p in prepared if p is not None]
    return kept, len(prepared) - len(kept)


# --- worker processes --------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(secret_key: str, previous: tuple[str, ...], today: date) -> None:
    _WORKER.update(keyring=KeyRing(secret_key, previous), today=today)


def _prepare_pickled(blob: bytes) -> tuple[list[Prepared], int]:
    return prepare_batch(pickle.loads(blob), _WORKER["keyring"], _WORKER["today"])  # noqa: S301 (our own bytes)


Builder = Callable[[list[list[tuple[str, Row]]]], Awaitable[tuple[list[Prepared], int]]]


@asynccontextmanager
async def _builder(runtime: Runtime, workers: int, today: date) -> AsyncIterator[Builder]:
    """How batches become rows: in a thread of this process, or in ``workers`` processes."""
    if workers <= 0:

        async def here(batch: list[list[tuple[str, Row]]]) -> tuple[list[Prepared], int]:
            return await asyncio.to_thread(prepare_batch, batch, runtime.keyring, today)

        yield here
        return
    settings = runtime.settings
    # spawn, not fork: this process has threads (the generator's) and an event loop.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(settings.secret_key, tuple(settings.previous_secret_keys), today),
    )

    async def there(batch: list[list[tuple[str, Row]]]) -> tuple[list[Prepared], int]:
        # Pickled here, once: the pool would otherwise keep the objects alive until done.
        blob = await asyncio.to_thread(pickle.dumps, batch, pickle.HIGHEST_PROTOCOL)
        return await asyncio.wrap_future(pool.submit(_prepare_pickled, blob))

    try:
        yield there
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- writing ------------------------------------------------------------------------------------


async def _present(session: AsyncSession, usccs: list[str], postgresql: bool) -> set[str]:
    """The USCCs among ``usccs`` that already have an enterprise."""
    if postgresql:  # one array parameter, not thousands of bind parameters
        condition = Enterprise.uscc == any_(bindparam("usccs", type_=ARRAY(String)))
        rows = await session.execute(select(Enterprise.uscc).where(condition), {"usccs": usccs})
    else:
        rows = await session.execute(select(Enterprise.uscc).where(Enterprise.uscc.in_(usccs)))
    return set(rows.scalars())


async def _copy(session: AsyncSession, table: str, columns: tuple[str, ...], rows: list) -> None:
    """COPY ``rows`` into ``table`` on the session's connection, inside its transaction."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if not driver.is_in_transaction():  # type: ignore[union-attr]
        await session.execute(select(literal(1)))  # never COPY outside the transaction
    await driver.copy_records_to_table(table, records=rows, columns=columns)  # type: ignore[union-attr]


_ENTERPRISE_ROW = ("id", *ENTERPRISE_COLUMNS, "created_at", "updated_at")
_FEATURES_ROW = ("enterprise_id", *FEATURE_VALUES, "computed_at")
_JSON_AT = tuple(name in _JSON_FEATURES for name in FEATURE_VALUES)
_NEXT_IDS = select(func.nextval(func.pg_get_serial_sequence("enterprises", "id"))).select_from(
    func.generate_series(1, bindparam("n"))
)


async def _write_postgresql(
    session: AsyncSession, fresh: list[Prepared], now: datetime
) -> list[int]:
    """Ids from the table's own sequence, then one COPY per table."""
    ids: list[int] = list((await session.execute(_NEXT_IDS, {"n": len(fresh)})).scalars())
    enterprises = [(i, *p[1], now, now) for i, p in zip(ids, fresh, strict=True)]
    await _copy(session, _ENTERPRISES.name, _ENTERPRISE_ROW, enterprises)
    # The dialect's jsonb codec on these connections takes JSON text.
    features = [
        (i, *(json.dumps(v) if j else v for v, j in zip(p[2], _JSON_AT, strict=True)), now)
        for i, p in zip(ids, fresh, strict=True)
    ]
    await _copy(session, _FEATURES.name, _FEATURES_ROW, features)
    return ids


async def _write_sqlite(session: AsyncSession, fresh: list[Prepared], now: datetime) -> list[int]:
    """One executemany per table; the ids SQLite gave are read back by USCC."""
    enterprises = [dict(zip(_ENTERPRISE_ROW[1:], (*p[1], now, now), strict=True)) for p in fresh]
    await session.execute(insert(_ENTERPRISES), enterprises)
    usccs = [p[0] for p in fresh]
    rows = await session.execute(
        select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(usccs))
    )
    by_uscc = {uscc: enterprise_id for uscc, enterprise_id in rows}
    ids = [by_uscc[uscc] for uscc in usccs]
    features = [
        dict(zip(_FEATURES_ROW, (i, *p[2], now), strict=True))
        for i, p in zip(ids, fresh, strict=True)
    ]
    await session.execute(insert(_FEATURES), features)
    return ids


async def write_chunk(session: AsyncSession, prepared: list[Prepared], today: date) -> int:
    """Write the enterprises of ``prepared`` not yet present, with their features; returns how
    many were written. The caller commits."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    present = await _present(session, [p[0] for p in prepared], postgresql)
    fresh = [p for p in prepared if p[0] not in present]
    if not fresh:
        return 0
    write = _write_postgresql if postgresql else _write_sqlite
    ids = await write(session, fresh, utcnow())
    # As after a bulk load: firms that qualify for a policy already pushed are told of it.
    await tell_changed(session, ids, today)
    return len(fresh)


def default_workers(count: int) -> int:
    """Worker processes for ``count`` enterprises: none for small loads, else up to two."""
    return 0 if count < PARALLEL_FROM else min(2, os.cpu_count() or 1)


async def load_features(
    *,
    runtime: Runtime,
    enterprises: int,
    seed: int = 2026,
    as_of: date | None = None,
    months: int = 24,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
    batch: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> FeaturesLoad:
    """Write ``enterprises`` synthetic enterprises and their features (see the module)."""
    today = china_today()  # what the bulk path checks records and computes features against
    as_of = as_of or today
    workers = default_workers(enterprises) if workers is None else workers
    started = time.perf_counter()
    batches = generate(enterprises, seed=seed, as_of=as_of, months=months, batch=batch)
    written = skipped = refused = 0
    # Batches being turned into rows, in generation order (so ids follow it); bounded, so that
    # memory does not grow when writing is the slower side.
    queue: asyncio.Queue[asyncio.Future[tuple[list[Prepared], int]] | None] = asyncio.Queue(
        maxsize=max(2, 2 * workers)
    )

    async def write(rows: list[Prepared]) -> None:
        nonlocal written, skipped
        async with runtime.sessionmaker() as session:
            done = await write_chunk(session, rows, today)
            await session.commit()
        written, skipped = written + done, skipped + len(rows) - done
        if on_progress is not None:
            on_progress(written + skipped)

    async with _builder(runtime, workers, today) as build:

        async def produce() -> None:
            # Generation runs in a thread: rows are written meanwhile.
            while (next_batch := await asyncio.to_thread(next, batches, None)) is not None:
                await queue.put(asyncio.ensure_future(build(next_batch)))
            await queue.put(None)

        producer = asyncio.create_task(produce())
        pending: list[Prepared] = []
        try:
            while (future := await queue.get()) is not None:
                rows, refused_here = await future
                refused += refused_here
                pending.extend(rows)
                while len(pending) >= chunk:
                    await write(pending[:chunk])
                    del pending[:chunk]
            if pending:
                await write(pending)
            await producer
        finally:
            producer.cancel()
            while not queue.empty():
                if (left := queue.get_nowait()) is not None:
                    left.cancel()
    return FeaturesLoad(
        enterprises, written, skipped, refused, time.perf_counter() - started, workers
    )


__all__ = [
    "DEFAULT_CHUNK",
    "FeaturesLoad",
    "generate",
    "load_features",
    "prepare",
    "prepare_batch",
    "write_chunk",
]
