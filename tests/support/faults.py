"""Helpers of the fault tests (tests/faults/): a dedicated PostgreSQL cluster they may stop and
restart, demo databases on it, waiting with a deadline, synthetic ingestion files, per-batch
integrity checks, and ``xinrong`` commands run as real processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, text

from backend.app import create_app
from backend.credit.models import CreditRecord, IngestBatch
from backend.db.migrate import migrate
from backend.runtime import Runtime
from backend.seed import seed
from backend.settings import load_settings
from tests.support import databases
from tests.support.graphql import GraphQLClient
from tests.support.postgres import Cluster, start_cluster

T = TypeVar("T")
DEMO_USCC = "91371302MA3CDXY10K"
DEMO_NAME = "临沂沂蒙顺达物流有限公司"


def start_fault_cluster() -> Cluster:
    """A cluster of our own, with durable commits, that the fault tests may stop and restart
    (the worker's shared cluster must stay up for its other tests). Without PostgreSQL: an
    error when it is required (``XINRONG_REQUIRE_PG=1``, as in ``make test``), else a skip."""
    cluster = start_cluster(durable_commits=True)
    if cluster is None:
        reason = "the fault tests need PostgreSQL's server binaries (initdb, pg_ctl)"
        if os.environ.get("XINRONG_REQUIRE_PG") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return cluster


def sqlalchemy_url(admin_url: str, name: str) -> str:
    """The app's URL of database ``name`` on the server of ``admin_url``."""
    return databases.with_database(admin_url, name).replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )


async def accepts_connections(admin_url: str) -> bool:
    """Whether the server answers a query now."""
    try:
        connection = await asyncpg.connect(databases.asyncpg_dsn(admin_url), timeout=2)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    try:
        return await connection.fetchval("SELECT 1") == 1
    finally:
        await connection.close()


def ensure_running(cluster: Cluster) -> None:
    """Start the server if a test left it stopped (a failed test must not fail the next)."""
    if not asyncio.run(accepts_connections(cluster.url)):
        cluster.start_server()


def create_database(admin_url: str, template: str) -> str:
    """A new database copied from ``template``; returns its name.

    ``STRATEGY FILE_COPY``, not PostgreSQL 15's default WAL_LOG: a copy made by WAL_LOG and
    then crashed (``immediate`` stop) before the next checkpoint hands out sequence values
    again (its sequence pages come back as copied, with the template's cached values), and
    the next insert fails on a duplicate primary key. Seen here; see docs/faults.md.
    """
    name = f"xinrong_fault_{uuid.uuid4().hex[:10]}"
    asyncio.run(
        _execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    )
    return name


async def _execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(databases.asyncpg_dsn(admin_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def make_demo_template(admin_url: str) -> str:
    """A migrated database holding the seed and demo data (what ``make run`` loads), to copy
    for each test; returns its name."""
    name = f"xinrong_fault_demo_{uuid.uuid4().hex[:8]}"
    await _execute(admin_url, f'CREATE DATABASE "{name}"')
    url = sqlalchemy_url(admin_url, name)
    runtime = Runtime.build(load_settings({**os.environ, "XINRONG_DATABASE_URL": url}))
    try:
        await migrate(runtime.engine)
        await seed(runtime, demo=True)
    finally:
        await runtime.close()
    return name


async def wait_for(
    check: Callable[[], Awaitable[T | None]], *, within: float, what: str, every: float = 0.05
) -> T:
    """Poll ``check`` until it returns something other than None/False; fail after ``within``
    seconds naming ``what`` was awaited (a hang fails the test instead of blocking CI)."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def gas_rows(count: int, *, tag: str) -> list[dict[str, Any]]:
    """``count`` valid gas bills of the demo firm, one account each (natural keys ``tag``-i)."""
    return [
        {
            "uscc": DEMO_USCC,
            "name": DEMO_NAME,
            "account_no": f"{tag}-{i}",
            "month": "2026-10",
            "amount_paid": str(80 + i % 40),
            "usage": "3",
            "in_arrears": i % 97 == 0,
        }
        for i in range(count)
    ]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    """Rows as JSON Lines."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


async def body_of(data: bytes, piece: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A request body streamed in pieces, as the bulk endpoint receives it."""
    for start in range(0, len(data), piece):
        yield data[start : start + piece]


@dataclass(frozen=True)
class BatchCensus:
    """A stored batch next to the records that name it."""

    external_id: str
    status: str
    accepted: int
    records: int


async def batch_census(runtime: Runtime) -> dict[str, BatchCensus]:
    """Every stored batch by its external id, with how many records it wrote."""
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(
                IngestBatch.external_batch_id,
                IngestBatch.status,
                IngestBatch.accepted,
                func.count(CreditRecord.id),
            )
            .outerjoin(CreditRecord, CreditRecord.batch_id == IngestBatch.id)
            .group_by(IngestBatch.id)
        )
        return {row[0]: BatchCensus(row[0], row[1], row[2], row[3]) for row in rows}


async def gas_records(runtime: Runtime) -> tuple[int, int]:
    """(current gas records, distinct natural keys among them): equal when nothing is doubled."""
    async with runtime.sessionmaker() as session:
        total, keys = (
            await session.execute(
                select(func.count(), func.count(func.distinct(CreditRecord.natural_key))).where(
                    CreditRecord.category == "gas_fee", CreditRecord.is_current.is_(True)
                )
            )
        ).one()
        return int(total), int(keys)


async def records_sequence(runtime: Runtime) -> int:
    """The last id handed out for credit records. Sequences are not transactional, so this
    shows from outside how far an uncommitted load has written."""
    async with runtime.sessionmaker() as session:
        return int(await session.scalar(text("SELECT last_value FROM credit_records_id_seq")))


@contextlib.asynccontextmanager
async def app_client(runtime: Runtime) -> AsyncIterator[tuple[httpx.AsyncClient, GraphQLClient]]:
    """The app over ``runtime``, in-process: its HTTP client and a GraphQL client on it."""
    transport = httpx.ASGITransport(
        app=create_app(runtime=runtime), raise_app_exceptions=False, client=("203.0.113.9", 4000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, GraphQLClient(http)


async def sent_in_pieces(
    data: bytes, piece: int, fault: Callable[[], Awaitable[None]] | None
) -> AsyncIterator[bytes]:
    """``data`` as a streamed request body of ``piece``-byte pieces; ``fault`` runs once half of
    it has been sent, so the app has written some chunks of the batch in its open transaction
    and has more to write."""
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    for index, chunk in enumerate(pieces):
        if fault is not None and index == len(pieces) // 2:
            await fault()
        yield chunk
