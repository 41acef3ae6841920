"""Alembic migrations on both back ends: they build exactly the models' schema, undo cleanly to
an empty database and back, and running them again changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.migrate import alembic_config, downgrade, migrate
from backend.db.registry import Base
from backend.settings import Settings

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture
async def engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of the current back end."""
    built = create_engine(Settings(database_url=empty_database_url))
    yield built
    await built.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


def _schema(connection: Connection) -> dict[str, Any]:
    """Tables, the stamped revision and the append-only triggers as the database reports them."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if connection.dialect.name == "postgresql":
        triggers = (
            connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
            )
            .scalars()
            .all()
        )
        functions = (
            connection.execute(
                text("SELECT proname FROM pg_proc WHERE proname LIKE 'audit\\_%' ORDER BY proname")
            )
            .scalars()
            .all()
        )
    else:
        triggers = (
            connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            )
            .scalars()
            .all()
        )
        functions = []
    return {
        "tables": tables,
        "revision": MigrationContext.configure(connection).get_current_revision(),
        "triggers": list(triggers),
        "functions": list(functions),
    }


async def schema_of(engine: AsyncEngine) -> dict[str, Any]:
    """The current schema summary of ``engine``'s database."""
    async with engine.connect() as connection:
        return await connection.run_sync(_schema)


def expected_triggers(engine: AsyncEngine) -> list[str]:
    """The append-only triggers the initial revision creates on this back end."""
    if engine.dialect.name == "postgresql":
        return ["audit_chain_head_forward_only", "audit_log_append_only"]
    return [
        "audit_chain_head_forward_only",
        "audit_chain_head_no_delete",
        "audit_log_no_delete",
        "audit_log_no_update",
    ]


async def test_models_and_migrations_agree(engine):
    # given
    await migrate(engine)

    # when
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    # then
    assert differences == []


async def test_migrating_an_empty_database_builds_every_table_and_trigger(engine):
    # when
    await migrate(engine)

    # then
    schema = await schema_of(engine)
    assert schema["tables"] == MODEL_TABLES | {"alembic_version"}
    assert schema["revision"] == HEAD
    assert schema["triggers"] == expected_triggers(engine)


async def test_downgrade_to_base_empties_the_database_and_upgrade_rebuilds_it(engine):
    # given
    await migrate(engine)

    # when
    await downgrade(engine, "base")
    emptied = await schema_of(engine)
    await migrate(engine)
    rebuilt = await schema_of(engine)

    # then
    assert emptied == {
        "tables": {"alembic_version"},
        "revision": None,
        "triggers": [],
        "functions": [],
    }
    assert rebuilt["tables"] == MODEL_TABLES | {"alembic_version"}
    assert rebuilt["revision"] == HEAD
    assert rebuilt["triggers"] == expected_triggers(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_migrating_twice_changes_nothing(engine):
    # given: a migrated database holding some data
    await migrate(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO data_providers (code, name, categories, created_at) "
                "VALUES ('probe', '探针', '[]', CURRENT_TIMESTAMP)"
            )
        )
    before = await schema_of(engine)

    # when
    await migrate(engine)

    # then
    assert await schema_of(engine) == before
    async with engine.connect() as connection:
        codes = (await connection.execute(text("SELECT code FROM data_providers"))).scalars().all()
    assert codes == ["probe"]
