"""Per-test databases made from a migrated template: a file copy (SQLite), CREATE DATABASE …
TEMPLATE (PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from backend.db.engine import create_engine
from backend.db.migrate import migrate
from backend.settings import Settings


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
