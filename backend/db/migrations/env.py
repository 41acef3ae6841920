"""Alembic environment: runs on a connection handed over by ``backend.db.migrate`` or, from the
``alembic`` command line, on an async engine built from ``XINRONG_DATABASE_URL``."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from backend.db.registry import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    from backend.db.engine import create_engine
    from backend.settings import load_settings

    # No statement timeout: a migration may build an index over a big table for minutes.
    engine = create_engine(load_settings(), command_timeout=False)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    """Use the connection we were given, or make one from the settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
    else:
        asyncio.run(_run_with_own_engine())


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `xinrong migrate`")
run_migrations_online()
