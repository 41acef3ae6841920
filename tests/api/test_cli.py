"""The ``xinrong`` command, run in-process with typer's CliRunner on both back ends.

The commands call ``asyncio.run`` themselves, so these tests are plain (sync) functions and look
at the database through their own short-lived event loops.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from backend.audit.models import AuditEntry
from backend.cli import app
from backend.credit.models import CreditRecord, IngestBatch
from backend.db.engine import create_engine
from backend.identity.models import Account
from backend.settings import Settings
from tests.support.builders import DEMO_ACCOUNTS, DEMO_BATCHES
from tests.support.lending_products import seed_audit_actions

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "graphql_schema" / "schema.graphql"
EXPORT_HINT = "run `xinrong export-schema --output graphql_schema/schema.graphql`"

runner = CliRunner()
NOTHING_SEEDED = "seed: 0 providers, 0 institutions, 0 products, 0 policies, 0 accounts"


def xinrong(*args: str, database_url: str | None = None, **env: str) -> Any:
    """Run ``xinrong <args>`` in-process against ``database_url``."""
    if database_url is not None:
        env["XINRONG_DATABASE_URL"] = database_url
    return runner.invoke(app, list(args), env=env)


def on_database(database_url: str, work: Any) -> Any:
    """Run async ``work(connection)`` in one transaction on ``database_url``; return its result."""

    async def run() -> Any:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with engine.begin() as connection:
                return await work(connection)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def counts(database_url: str) -> dict[str, int]:
    """Row counts of the tables seeding fills."""

    async def work(connection: Any) -> dict[str, int]:
        return {
            model.__tablename__: (
                await connection.execute(select(func.count()).select_from(model))
            ).scalar_one()
            for model in (Account, AuditEntry, IngestBatch, CreditRecord)
        }

    return on_database(database_url, work)


def edit_audit_row(database_url: str, seq: int) -> None:
    """Switch the append-only triggers off, as an attacker would, and edit row ``seq``."""

    async def work(connection: Any) -> None:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            )
        else:
            await connection.execute(text("DROP TRIGGER audit_log_no_update"))
        await connection.execute(
            update(AuditEntry.__table__)
            .where(AuditEntry.__table__.c.seq == seq)
            .values(details={"edited": True})
        )

    on_database(database_url, work)


def words(output: str) -> str:
    """``output`` with line wrapping undone (rich wraps long lines)."""
    return " ".join(output.split())


# ---------------------------------------------------------------- migrate


def test_migrate_builds_the_schema_of_an_empty_database(empty_database_url):
    # when
    result = xinrong("migrate", database_url=empty_database_url)

    # then
    assert result.exit_code == 0, result.output
    assert "migrated to head" in result.stderr
    assert counts(empty_database_url) == {
        "accounts": 0,
        "audit_log": 0,
        "ingest_batches": 0,
        "credit_records": 0,
    }


def test_migrate_on_a_migrated_database_succeeds(database_url):
    # when
    result = xinrong("migrate", database_url=database_url)

    # then
    assert result.exit_code == 0, result.output


def test_a_bad_configuration_exits_2_with_the_reason(database_url):
    # when
    result = xinrong("migrate", database_url=database_url, XINRONG_ENV="staging")

    # then
    assert result.exit_code == 2
    assert "XINRONG_ENV" in words(result.stderr)


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    # given an embedded SQLite database, which has one writer
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"

    # when
    result = xinrong("serve", "--workers", "2", database_url=url)

    # then nothing is served and the reason is given
    assert result.exit_code == 2
    assert "--workers above 1 needs PostgreSQL" in words(result.output)


# ---------------------------------------------------------------- seed


def test_seed_demo_loads_the_demo_data_once(database_url):
    # given
    first = xinrong("seed", "--demo", database_url=database_url)
    after_first = counts(database_url)

    # when
    second = xinrong("seed", "--demo", database_url=database_url)

    # then
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert NOTHING_SEEDED not in words(first.stderr)
    assert after_first["accounts"] == DEMO_ACCOUNTS and DEMO_ACCOUNTS >= 4
    assert after_first["ingest_batches"] == DEMO_BATCHES and DEMO_BATCHES >= 6
    assert after_first["credit_records"] > 0
    assert NOTHING_SEEDED in words(second.stderr)
    assert "replayed" in second.stderr
    assert counts(database_url) == after_first


def test_seed_without_demo_creates_no_accounts(database_url):
    # when
    result = xinrong("seed", database_url=database_url)

    # then
    assert result.exit_code == 0, result.output
    assert counts(database_url)["accounts"] == 0


# ---------------------------------------------------------------- audit verify


def test_audit_verify_passes_an_intact_log(database_url):
    # given
    xinrong("seed", "--demo", database_url=database_url)
    rows = counts(database_url)["audit_log"]

    # when
    result = xinrong("audit", "verify", database_url=database_url)

    # then
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"audit chain intact: {rows} rows, head [0-9a-f]{{64}}", result.stdout.strip()
    )
    # one row per catalogue institution and product, per demo staff account and per demo batch
    assert rows == len(seed_audit_actions()) + DEMO_ACCOUNTS + DEMO_BATCHES


def test_audit_verify_names_the_edited_row_and_fails(database_url):
    # given
    xinrong("seed", "--demo", database_url=database_url)
    edit_audit_row(database_url, seq=3)

    # when
    result = xinrong("audit", "verify", database_url=database_url)

    # then
    assert result.exit_code == 1
    assert "AUDIT CHAIN BROKEN at seq 3 " in result.stderr
    assert "2 rows before it are intact" in result.stderr
    assert "intact: " not in result.stdout


# ---------------------------------------------------------------- export-schema


def test_export_schema_prints_the_sdl():
    # when
    result = xinrong("export-schema")

    # then
    assert result.exit_code == 0, result.output
    sdl = result.stdout
    assert "registerAccount(input: RegisterAccountInput!)" in sdl
    assert "verifyEnterprise(input: VerifyEnterpriseInput!)" in sdl
    assert "validateUscc(code: String!)" in sdl
    assert "ingestCreditRecords(input: IngestCreditRecordsInput!)" in sdl


def test_export_schema_writes_the_file_it_is_given(tmp_path):
    # given
    target = tmp_path / "schema.graphql"

    # when
    result = xinrong("export-schema", "--output", str(target))

    # then
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == xinrong("export-schema").stdout


def test_the_committed_schema_matches_the_code():
    # given
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing: {EXPORT_HINT}"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")

    # when
    exported = xinrong("export-schema").stdout

    # then
    assert exported == committed, f"the GraphQL schema changed: {EXPORT_HINT} and commit it"
