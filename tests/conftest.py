"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

The environment is set before the app is imported. PostgreSQL comes from
``XINRONG_TEST_PG_URL`` (an admin URL on a server the tests may create databases on) or from a
throwaway cluster started here; when neither is possible the PostgreSQL half is skipped, unless
``XINRONG_REQUIRE_PG=1`` (set by ``make test`` and CI), which makes it an error.
"""

from __future__ import annotations

import os

os.environ.setdefault("XINRONG_ENV", "test")
os.environ.setdefault("XINRONG_PASSWORD_HASH_PROFILE", "fast")
os.environ.setdefault("XINRONG_SECRET_KEY", "test-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("XINRONG_LOG_LEVEL", "WARNING")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from backend.app import create_app
from backend.runtime import Runtime
from backend.settings import load_settings
from tests.support import databases
from tests.support.graphql import GraphQLClient
from tests.support.leak_guard import LeakGuard
from tests.support.postgres import Cluster, start_cluster

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str | None]:
    """An admin URL of a PostgreSQL server for this session, or None when there is none."""
    given = os.environ.get("XINRONG_TEST_PG_URL")
    if given:
        yield given
        return
    cluster: Cluster | None = None
    try:
        cluster = start_cluster()
    except Exception as exc:  # a broken install must be loud when PostgreSQL is required
        if os.environ.get("XINRONG_REQUIRE_PG") == "1":
            raise
        print(f"PostgreSQL cluster could not start: {exc}")
    yield cluster.url if cluster else None
    if cluster:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database to copy."""
    return databases.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str | None) -> str | None:
    """The name of a migrated PostgreSQL template database."""
    if pg_admin_url is None:
        return None
    return databases.make_pg_template(pg_admin_url)


def _require_pg(pg_admin_url: str | None) -> str:
    if pg_admin_url is None:
        if os.environ.get("XINRONG_REQUIRE_PG") == "1":
            pytest.fail("PostgreSQL is required (XINRONG_REQUIRE_PG=1) but none is available")
        pytest.skip("PostgreSQL not available (install postgresql or set XINRONG_TEST_PG_URL)")
    return pg_admin_url


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which back end this test runs on."""
    return request.param


@pytest.fixture
def empty_database_url(db_backend: str, tmp_path: Path, pg_admin_url: str | None) -> Iterator[str]:
    """An empty database (no schema) on the current back end."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    admin = _require_pg(pg_admin_url)
    name = databases.create_pg_database(admin, None)
    yield databases.with_database(admin, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    databases.drop_pg_database(admin, name)


@pytest.fixture
def database_url(
    db_backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    pg_admin_url: str | None,
    pg_template: str | None,
) -> Iterator[str]:
    """A fresh migrated database on the current back end, private to this test."""
    admin = None if db_backend == "sqlite" else _require_pg(pg_admin_url)
    with databases.fresh_database(db_backend, tmp_path, sqlite_template, admin, pg_template) as url:
        yield url


@pytest.fixture
def settings_env(database_url: str) -> dict[str, str]:
    """The environment the app under test reads its settings from."""
    return {**os.environ, "XINRONG_DATABASE_URL": database_url}


@pytest.fixture
async def runtime(settings_env: dict[str, str], tmp_path: Path) -> AsyncIterator[Runtime]:
    """The runtime (engine, keys, hasher) of the app under test."""
    built = Runtime.build(load_settings(settings_env, workdir=tmp_path))
    yield built
    await built.close()


@pytest.fixture
def leak_guard(runtime: Runtime) -> LeakGuard:
    """The check every response goes through: no personal data to institutions without consent."""
    return LeakGuard(runtime)


@pytest.fixture
async def client(runtime: Runtime, leak_guard: LeakGuard) -> AsyncIterator[GraphQLClient]:
    """A GraphQL client talking to the app in-process; every response passes the leak guard."""
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http, inspect=leak_guard.inspect)


@pytest.fixture
def statement_counter(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the app under test sends, in order (clear it before the request),
    those of its batched read audits included (they have an engine of their own)."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engines = [runtime.engine.sync_engine]
    if runtime.audit_reads.own_engine is not None:
        engines.append(runtime.audit_reads.own_engine.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    yield statements
    for engine in engines:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def pool_checkouts(runtime: Runtime) -> Iterator[list[object]]:
    """Every connection the app takes from its request pool, in order (clear it before use)."""
    taken: list[object] = []

    def checkout(dbapi_connection: object, _record: object, _proxy: object) -> None:
        taken.append(dbapi_connection)

    event.listen(runtime.engine.sync_engine, "checkout", checkout)
    yield taken
    event.remove(runtime.engine.sync_engine, "checkout", checkout)
