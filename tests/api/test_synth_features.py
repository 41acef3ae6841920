"""`xinrong synth --features-only`: the same enterprises and features rows as the bulk path.

The features-only loader computes facts with the platform's own code but mirrors the rows that
registration ingestion and ``refresh_features`` write; these tests load the same seed both ways
into two fresh databases and compare them column by column.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from backend.cli import app
from backend.credit.models import CreditRecord
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.runtime import Runtime
from backend.seed import seed
from backend.settings import load_settings
from backend.synth import load_dataset, write_dataset
from backend.synth.features import load_features
from tests.support import databases

AS_OF = date(2026, 10, 31)
SEED = 23
COUNT = 40
MONTHS = 12
# Differ between the two paths by nature: surrogate keys, times of writing, AES-GCM nonces.
SKIPPED = {"id", "enterprise_id", "created_at", "updated_at", "computed_at", "legal_rep_id_cipher"}


@pytest.fixture
def other_database_url(
    db_backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    pg_admin_url: str | None,
    pg_template: str | None,
) -> Iterator[str]:
    """A second fresh migrated database on the same back end, for the bulk path."""
    # (the `runtime` fixture has skipped already when PostgreSQL is missing)
    with databases.fresh_database(
        db_backend, tmp_path, sqlite_template, pg_admin_url, pg_template
    ) as url:
        yield url


@pytest.fixture
async def bulk_runtime(other_database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The runtime of the second database (same secret key as the first)."""
    env = {**os.environ, "XINRONG_DATABASE_URL": other_database_url}
    built = Runtime.build(load_settings(env, workdir=tmp_path))
    yield built
    await built.close()


async def stored_rows(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """USCC → every column of its enterprise and features rows but those in SKIPPED, with the
    legal representative's ID number decrypted."""
    enterprise_columns = [c for c in Enterprise.__table__.c if c.name not in SKIPPED]
    feature_columns = [c for c in EnterpriseFeatures.__table__.c if c.name not in SKIPPED]
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(*enterprise_columns, Enterprise.legal_rep_id_cipher, *feature_columns)
            .join(EnterpriseFeatures, EnterpriseFeatures.enterprise_id == Enterprise.id)
            .order_by(Enterprise.id)
        )
        found = {}
        for row in rows.mappings():
            values = dict(row)
            cipher = values.pop("legal_rep_id_cipher")
            values["legal_rep_id_number"] = runtime.keyring.decrypt(
                cipher, context=ID_NUMBER_CONTEXT
            )
            found[values["uscc"]] = values
        return found


async def table_counts(runtime: Runtime) -> tuple[int, int, int]:
    """Enterprises, features rows and credit records."""
    async with runtime.sessionmaker() as session:
        return tuple(  # type: ignore[return-value]
            [
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
                for model in (Enterprise, EnterpriseFeatures, CreditRecord)
            ]
        )


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "two-workers"])
async def test_features_only_rows_equal_what_the_bulk_path_stores(
    runtime: Runtime, bulk_runtime: Runtime, tmp_path: Path, workers: int
):
    # given the same seed loaded through the bulk path, as `xinrong synth` does
    await seed(bulk_runtime, demo=False)
    write_dataset(tmp_path / "data", enterprises=COUNT, seed=SEED, as_of=AS_OF, months=MONTHS)
    loaded = await load_dataset(runtime=bulk_runtime, directory=tmp_path / "data")
    assert {result.rejected for result in loaded} == {0}
    # when the features-only loader writes it in small chunks (several batches and writes)
    result = await load_features(
        runtime=runtime,
        enterprises=COUNT,
        seed=SEED,
        as_of=AS_OF,
        months=MONTHS,
        chunk=15,
        batch=7,
        workers=workers,
    )
    # then every enterprise and every features column is the same, record-free
    assert (result.written, result.skipped, result.refused) == (COUNT, 0, 0)
    ours, theirs = await stored_rows(runtime), await stored_rows(bulk_runtime)
    assert len(theirs) == COUNT
    assert list(ours) == list(theirs)  # the same enterprises, in the same id order
    for uscc, row in theirs.items():
        assert ours[uscc] == row, uscc
    assert await table_counts(runtime) == (COUNT, COUNT, 0)
    # and the data are varied enough for the comparison to mean something
    grades = {row["credit_grade"] for row in theirs.values()}
    unknown_sizes = sum(row["size_class"] is None for row in theirs.values())
    assert len(grades) >= 3 and 0 < unknown_sizes < COUNT


async def test_loading_the_same_seed_again_writes_nothing(runtime: Runtime):
    # given
    first = await load_features(runtime=runtime, enterprises=30, seed=SEED, as_of=AS_OF, chunk=8)
    before = await stored_rows(runtime)
    # when the same seed is loaded again, with ten more enterprises
    again = await load_features(runtime=runtime, enterprises=40, seed=SEED, as_of=AS_OF, chunk=8)
    # then the thirty present are skipped, untouched, and only the new ten written
    assert (first.written, first.skipped) == (30, 0)
    assert (again.written, again.skipped) == (10, 30)
    after = await stored_rows(runtime)
    assert {uscc: after[uscc] for uscc in before} == before
    assert await table_counts(runtime) == (40, 40, 0)


def synth_features(database_url: str, *extra: str, **env: str) -> Any:
    return CliRunner().invoke(
        app,
        ["synth", "--enterprises", "20", "--seed", "11", "--as-of", AS_OF.isoformat(), *extra],
        env={"XINRONG_DATABASE_URL": database_url, **env},
    )


def counts_at(database_url: str, tmp_path: Path) -> tuple[int, int, int]:
    async def query() -> tuple[int, int, int]:
        env = {**os.environ, "XINRONG_DATABASE_URL": database_url}
        built = Runtime.build(load_settings(env, workdir=tmp_path))
        try:
            return await table_counts(built)
        finally:
            await built.close()

    return asyncio.run(query())


def test_the_cli_flag_writes_enterprises_and_features_only(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the normal mode would write ./synth-data here
    # when
    result = synth_features(database_url, "--features-only")
    again = synth_features(database_url, "--features-only")
    # then
    assert result.exit_code == 0, result.output
    assert "wrote 20 enterprises with features (0 already present" in result.stdout
    assert "enterprises/s" in result.stdout
    assert again.exit_code == 0, again.output
    assert "wrote 0 enterprises with features (20 already present" in again.stdout
    assert counts_at(database_url, tmp_path) == (20, 20, 0)
    assert not (tmp_path / "synth-data").exists()


def test_the_cli_flag_refuses_production(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = synth_features(
        database_url,
        "--features-only",
        XINRONG_ENV="production",
        XINRONG_SECRET_KEY="production-secret-key-0123456789-abcdefghij",
    )
    assert result.exit_code == 2, result.output
    assert counts_at(database_url, tmp_path) == (0, 0, 0)
