"""Async engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.settings import Settings


def _sqlite_on_connect(dbapi_connection: object, _record: object) -> None:
    """Foreign keys and WAL on; wait rather than fail while another writer holds the lock."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(
    settings: Settings,
    *,
    echo: bool = False,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    command_timeout: bool = True,
) -> AsyncEngine:
    """Create the async engine for ``settings.database_url`` with per-back-end tuning; the pool
    sizes (PostgreSQL, per process) default to the settings'. ``command_timeout=False`` lets a
    statement run as long as it needs (migrations); the connection attempt is still limited."""
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=echo,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        max_overflow=settings.db_max_overflow if max_overflow is None else max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "command_timeout": settings.db_command_timeout_s if command_timeout else None,
            "timeout": settings.db_connect_timeout_s,
        },
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory whose objects stay readable after commit (no lazy reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
