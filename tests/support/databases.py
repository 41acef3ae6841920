"""Per-test databases made from a migrated template: a file copy (SQLite), CREATE DATABASE …
TEMPLATE (PostgreSQL).

A test that loads the demo data first thing gets it the same way: the first such test of a run
seeds a demo template once (per back end), and every later one has its still-empty database
replaced by a copy of that template (``load_demo_copy``) instead of seeding it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from backend.db.engine import create_engine
from backend.db.migrate import migrate
from backend.runtime import Runtime
from backend.settings import Settings


@dataclass(frozen=True)
class Origin:
    """Where a test database came from: enough to replace it with a copy of the demo template."""

    backend: str  # "sqlite" or "postgresql"
    template: str  # the migrated template: a file path (SQLite) or a database name
    admin_url: str | None = None  # PostgreSQL only
    name: str | None = None  # PostgreSQL only: this test's database


_origins: dict[str, Origin] = {}
_demo_templates: dict[str, str] = {}


def remember(url: str, origin: Origin) -> None:
    """Note that the test database at ``url`` was made from ``origin`` (see ``load_demo_copy``)."""
    _origins[url] = origin


def forget(url: str) -> None:
    """The test database at ``url`` is gone."""
    _origins.pop(url, None)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def asyncpg_dsn(url: str) -> str:
    """A DSN asyncpg understands (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _migrate_url(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def make_sqlite_template(directory: Path) -> Path:
    """A migrated SQLite file to copy for each test."""
    path = directory / "template.db"
    asyncio.run(_migrate_url(f"sqlite+aiosqlite:///{path}"))
    return path


def copy_sqlite(template: Path, directory: Path) -> str:
    """A fresh copy of the template; returns its URL."""
    target = directory / f"test-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _execute(admin_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def make_pg_template(admin_url: str) -> str:
    """Create and migrate the template database; returns its name."""
    name = f"xinrong_tpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"'))
    asyncio.run(
        _migrate_url(
            with_database(admin_url, name).replace("postgresql://", "postgresql+asyncpg://", 1)
        )
    )
    return name


def create_pg_database(admin_url: str, template: str | None) -> str:
    """A new database (from ``template`` when given); returns its name."""
    name = f"xinrong_t_{uuid.uuid4().hex[:10]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_execute(admin_url, f'CREATE DATABASE "{name}"{clause}'))
    return name


def drop_pg_database(admin_url: str, name: str) -> None:
    """Drop a test database, closing any connection left to it."""
    asyncio.run(_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _make_demo_template(
    runtime: Runtime, origin: Origin, seed: Callable[[Runtime], Awaitable[None]]
) -> str:
    """Seed a new copy of the migrated template with ``seed``; returns its path or name."""
    if origin.backend == "sqlite":
        target = Path(origin.template).with_name(f"demo-{uuid.uuid4().hex[:8]}.db")
        shutil.copyfile(origin.template, target)
        url = f"sqlite+aiosqlite:///{target}"
        made = str(target)
    else:
        assert origin.admin_url is not None
        made = f"xinrong_demo_{uuid.uuid4().hex[:8]}"
        await _execute(origin.admin_url, f'CREATE DATABASE "{made}" TEMPLATE "{origin.template}"')
        url = with_database(origin.admin_url, made).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    seeding = Runtime.build(dataclasses.replace(runtime.settings, database_url=url))
    try:
        await seed(seeding)
    finally:
        await seeding.close()
    return made


async def load_demo_copy(runtime: Runtime, seed: Callable[[Runtime], Awaitable[None]]) -> bool:
    """Replace the runtime's test database by a copy of the demo template (made with ``seed`` on
    first use); False when the database is not a fresh test database this module made."""
    url = runtime.settings.database_url
    origin = _origins.get(url)
    if origin is None:
        return False
    key = f"{origin.backend}:{origin.template}"
    if key not in _demo_templates:
        _demo_templates[key] = await _make_demo_template(runtime, origin, seed)
    template = _demo_templates[key]
    await runtime.engine.dispose()
    if origin.backend == "sqlite":
        path = _sqlite_path(url)
        _remove_sqlite(path)
        shutil.copyfile(template, path)
    else:
        assert origin.admin_url is not None and origin.name is not None
        await _execute(
            origin.admin_url,
            f'DROP DATABASE IF EXISTS "{origin.name}" WITH (FORCE)',
            f'CREATE DATABASE "{origin.name}" TEMPLATE "{template}"',
        )
    return True


@contextlib.contextmanager
def fresh_database(
    backend: str,
    directory: Path,
    sqlite_template: Path,
    admin_url: str | None,
    pg_template: str | None,
) -> Iterator[str]:
    """A new migrated database on ``backend`` made from its template (its SQLAlchemy URL),
    dropped afterwards; ``load_demo_copy`` may swap it for the demo template's copy."""
    if backend == "sqlite":
        url = copy_sqlite(sqlite_template, directory)
        remember(url, Origin("sqlite", str(sqlite_template)))
        try:
            yield url
        finally:
            forget(url)
        return
    assert admin_url is not None and pg_template is not None
    name = create_pg_database(admin_url, pg_template)
    url = with_database(admin_url, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    remember(url, Origin("postgresql", pg_template, admin_url, name))
    try:
        yield url
    finally:
        forget(url)
        drop_pg_database(admin_url, name)
