"""`xinrong synth --enterprises N`: valid, deterministic synthetic data, loaded as providers do."""

from __future__ import annotations

import asyncio
import json
import random
import tracemalloc
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from backend.cli import app
from backend.credit.models import CreditRecord, IngestBatch
from backend.credit.sharing_list import load_sharing_list
from backend.credit.validation import validate_record
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.identity.id_number import parse_id_number
from backend.identity.uscc import parse_uscc
from backend.synth import enterprise_records, enterprises, write_dataset
from backend.synth.records import month_list

AS_OF = date(2026, 10, 31)
KINDS = {"1": "enterprise", "2": "individual_business", "3": "farmer_coop"}


def run(database_url: str, *args: str):
    return CliRunner().invoke(app, list(args), env={"XINRONG_DATABASE_URL": database_url})


def synth(database_url: str, output: Path, *extra: str):
    return run(
        database_url,
        "synth",
        "--enterprises",
        "20",
        "--seed",
        "11",
        "--as-of",
        AS_OF.isoformat(),
        "--output",
        str(output),
        *extra,
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def counts(database_url: str) -> dict[str, object]:
    async def query() -> dict[str, object]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:

                async def count(model) -> int:
                    statement = select(func.count()).select_from(model)
                    return (await connection.execute(statement)).scalar_one()

                statuses = (
                    await connection.execute(
                        select(IngestBatch.category, IngestBatch.status).order_by(IngestBatch.id)
                    )
                ).all()
                return {
                    "enterprises": await count(Enterprise),
                    "records": await count(CreditRecord),
                    "features": await count(EnterpriseFeatures),
                    "batches": [tuple(row) for row in statuses],
                }
        finally:
            await engine.dispose()

    return asyncio.run(query())


def test_codes_are_valid_and_every_row_passes_the_sharing_list(tmp_path):
    # given
    made = list(enterprises(60, seed=5, as_of=AS_OF))
    # when
    summary = write_dataset(tmp_path, enterprises=60, seed=5, as_of=AS_OF, months=12)
    # then every USCC and ID number has a computed check character and real parts
    assert len({e.uscc for e in made}) == 60
    for e in made:
        info = parse_uscc(e.uscc)
        assert info.authority_code == "9" and info.entity_type == KINDS[e.kind]
        assert info.region_name is not None, e.uscc
        person = parse_id_number(e.legal_rep_id_number, today=AS_OF)
        assert person.birth_date.year <= e.established_on.year - 18
        assert e.established_on <= AS_OF
    # and every record of every file validates as its provider would send it
    sharing = load_sharing_list()
    assert {"registration", "tax", "water_fee", "electricity_fee"} <= set(summary.counts)
    for category, count in summary.counts.items():
        rows = read_jsonl(summary.path(category))
        assert len(rows) == count
        for row in rows:
            validate_record(sharing.get(category), row, today=AS_OF)
    registered = {row["uscc"] for row in read_jsonl(summary.path("registration"))}
    assert registered == {e.uscc for e in made}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_data(tmp_path):
    first = write_dataset(tmp_path / "a", enterprises=15, seed=9, as_of=AS_OF)
    again = write_dataset(tmp_path / "b", enterprises=15, seed=9, as_of=AS_OF)
    other = write_dataset(tmp_path / "c", enterprises=15, seed=10, as_of=AS_OF)
    assert first.counts == again.counts
    for category in first.counts:
        assert first.path(category).read_bytes() == again.path(category).read_bytes()
    assert first.path("registration").read_bytes() != other.path("registration").read_bytes()


def test_rows_are_generated_one_at_a_time_not_held(tmp_path):
    # given a generator of a billion enterprises: nothing is built before it is asked for
    lazy = enterprises(10**9, seed=1, as_of=AS_OF)
    assert isinstance(lazy, Iterator)
    first = next(lazy)
    records = enterprise_records(first, random.Random(1), AS_OF, month_list(AS_OF, 6))
    assert isinstance(records, Iterator)
    assert next(records)[0] == "registration"
    # when a dataset is written, memory stays far below what is written
    tracemalloc.start()
    try:
        summary = write_dataset(tmp_path, enterprises=800, seed=2, as_of=AS_OF)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    written = sum(summary.path(category).stat().st_size for category in summary.counts)
    assert summary.records > 20_000
    assert peak < written / 3, (peak, written)


def test_synth_writes_the_files_and_loads_them_as_providers(database_url, tmp_path):
    # when
    result = synth(database_url, tmp_path / "data")
    # then
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["registration"] == 20
    assert "registration.jsonl: 20" in result.stdout
    loaded = counts(database_url)
    assert loaded["enterprises"] == 20
    assert loaded["records"] == sum(manifest["counts"].values())
    assert loaded["features"] == 20
    batches = loaded["batches"]
    assert batches[0] == ("registration", "ACCEPTED")  # registration first
    assert {category for category, _status in batches} == set(manifest["counts"])
    assert {status for _category, status in batches} == {"ACCEPTED"}


def test_loading_the_same_data_again_is_a_replay(database_url, tmp_path):
    # given
    assert synth(database_url, tmp_path / "data").exit_code == 0
    before = counts(database_url)
    # when
    again = synth(database_url, tmp_path / "data")
    # then
    assert again.exit_code == 0, again.output
    batch_lines = [line for line in again.stdout.splitlines() if line.startswith("batch ")]
    assert batch_lines and all("replayed" in line for line in batch_lines)
    assert counts(database_url) == before


def test_no_load_only_writes_files(database_url, tmp_path):
    result = synth(database_url, tmp_path / "data", "--no-load")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "registration.jsonl").exists()
    assert "batch " not in result.stdout
    assert counts(database_url)["enterprises"] == 0


def test_a_future_reference_date_is_refused(tmp_path):
    result = CliRunner().invoke(
        app,
        ["synth", "--enterprises", "1", "--as-of", "2999-01-01", "--output", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert not (tmp_path / "registration.jsonl").exists()
