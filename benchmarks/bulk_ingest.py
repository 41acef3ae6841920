"""The bulk path (``ingest_stream``) against a plain COPY of the same rows, on PostgreSQL.

    .venv/bin/python -m benchmarks.bulk_ingest [--records 1000000] [--database-url URL]

Without ``--database-url`` a throwaway cluster is started (as tests/support/postgres.py does) and
removed afterwards; with one, the URL names a server on which the benchmark creates, and then
drops, its own databases. Steps:

1. Generate (backend.synth) ``records / months`` enterprises and a JSON Lines file of exactly
   ``--records`` records of one category (electricity_fee: every enterprise's bill, month after
   month, the way a utility's billing runs come).
2. Load the registrations through the bulk path into a base database, then clone it twice
   (CREATE DATABASE … TEMPLATE) so both runs start from the same state.
3. Bulk path: a child process does only the loading (``ingest_stream`` of the file into a fresh
   batch) and reports its time and its own peak RSS (``VmHWM``).
4. Replay: the same file under the same batch id again; the row count must not move.
5. Baseline: the rows the bulk path stored (every column but ``id``, so the same bytes the
   server has to check, index and write) are copied out, then timed as one
   ``COPY credit_records FROM STDIN (FORMAT binary)`` into the other clone: the same table, the
   same indexes and foreign keys, none of the validation, hashing, encryption or features work.

Prints records, seconds and records/s for both, the ratio, peak MB and the replay result.
Timing never fails anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from backend.clock import china_today
from backend.settings import Settings
from benchmarks.pg import (
    ASYNC,
    PLAIN,
    db_url,
    execute,
    postgres_server,
    run_child,
    scalar,
    status_mb,
)

CATEGORY = "electricity_fee"
SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnopq"  # noqa: S105 (throwaway data)


def _settings(url: str) -> Settings:
    return Settings(database_url=url.replace(PLAIN, ASYNC, 1), env="test", secret_key=SECRET)


# --- the child: only the loading, so that its peak RSS is the loader's ---------------------------


async def _child_load(spec: dict[str, Any]) -> dict[str, Any]:
    from backend.runtime import Runtime
    from backend.synth.dataset import load_file

    runtime = Runtime.build(_settings(spec["url"]))
    try:
        started = time.perf_counter()
        result = await load_file(
            runtime=runtime,
            path=Path(spec["file"]),
            provider_id=spec["provider_id"],
            batch_id=spec["batch_id"],
        )
        seconds = time.perf_counter() - started
    finally:
        await runtime.close()
    return {
        "seconds": seconds,
        "status": result.status,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "replayed": result.replayed,
        "row_errors": result.row_errors[:3],
    }


def child_main(spec: dict[str, Any]) -> None:
    """Load one file and print one JSON line with the outcome and the peak RSS."""
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        outcome = profiler.runcall(asyncio.run, _child_load(spec))
        profiler.dump_stats(spec["profile"])
    else:
        outcome = asyncio.run(_child_load(spec))
    # VmHWM, not ru_maxrss: Linux carries the parent's high-water mark into a child's ru_maxrss.
    outcome["peak_mb"] = status_mb("VmHWM")
    print(json.dumps(outcome))


def _run_child(spec: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    outcome = run_child("benchmarks.bulk_ingest", spec)
    outcome["process_seconds"] = time.perf_counter() - started
    return outcome


# --- the parent ----------------------------------------------------------------------------------


def _by_enterprise(enterprises: list[Any], window: list[tuple[int, int]], rng: Any) -> Any:
    from backend.synth.records import FeeSeries

    for enterprise in enterprises:
        bills = FeeSeries(enterprise, CATEGORY, rng)
        for year, month in window:
            yield bills.row(year, month, rng)


def generate(workdir: Path, records: int, months: int, seed: int, order: str) -> dict[str, Any]:
    """Write registration.jsonl and <CATEGORY>.jsonl; returns counts and timings."""
    from backend.synth.dataset import encode_row, records_rng
    from backend.synth.identities import EnterpriseFactory
    from backend.synth.records import fee_rows_by_month, month_list

    as_of = china_today()
    count = math.ceil(records / months)
    factory = EnterpriseFactory(seed=seed, as_of=as_of, min_age_days=(months + 1) * 31)
    started = time.perf_counter()
    enterprises = [factory.make(i) for i in range(count)]
    with (workdir / "registration.jsonl").open("w", encoding="utf-8") as handle:
        for enterprise in enterprises:
            handle.write(encode_row(enterprise.registration()) + "\n")
    window = month_list(as_of, months)
    rng = records_rng(seed)
    path = workdir / f"{CATEGORY}.jsonl"
    written = 0
    with path.open("w", encoding="utf-8", buffering=1024 * 1024) as handle:
        if order == "month":
            rows = fee_rows_by_month(enterprises, CATEGORY, window, rng, limit=records)
        else:
            rows = _by_enterprise(enterprises, window, rng)
        for row in rows:
            if written >= records:
                break
            handle.write(encode_row(row))
            handle.write("\n")
            written += 1
    return {
        "enterprises": count,
        "records": written,
        "seconds": time.perf_counter() - started,
        "bytes": path.stat().st_size,
        "file": path,
    }


async def prepare_base(url: str, workdir: Path) -> dict[str, Any]:
    """Migrate, seed the providers and load the registrations through the bulk path."""
    from backend.db.migrate import migrate
    from backend.runtime import Runtime
    from backend.seed import seed
    from backend.synth.dataset import _provider_ids, load_file

    runtime = Runtime.build(_settings(url))
    try:
        await migrate(runtime.engine)
        await seed(runtime, demo=False)
        providers = await _provider_ids(runtime)
        started = time.perf_counter()
        result = await load_file(
            runtime=runtime,
            path=workdir / "registration.jsonl",
            provider_id=providers["registration"],
        )
        return {
            "seconds": time.perf_counter() - started,
            "accepted": result.accepted,
            "rejected": result.rejected,
            "provider_id": providers[CATEGORY],
        }
    finally:
        await runtime.close()


async def copy_baseline(
    bulk_url: str, copy_url: str, batch_id: str, provider_id: int, workdir: Path
) -> dict[str, Any]:
    """COPY the rows the bulk path stored into the other clone, timed."""
    source = await asyncpg.connect(bulk_url)
    target = await asyncpg.connect(copy_url)
    dump = workdir / "credit_records.copy"
    try:
        stored_batch = await source.fetchval(
            "SELECT id FROM ingest_batches WHERE external_batch_id = $1", batch_id
        )
        columns = [
            r["column_name"]
            for r in await source.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'credit_records' AND column_name <> 'id' "
                "ORDER BY ordinal_position"
            )
        ]
        copy_batch = await target.fetchval(
            "INSERT INTO ingest_batches (data_provider_id, external_batch_id, category, status, "
            "accepted, rejected, withdrawn, all_or_nothing, content_hash, row_errors, created_at) "
            "VALUES ($1, 'copy-baseline', $2, 'ACCEPTED', 0, 0, 0, false, 'copy', '[]', now()) "
            "RETURNING id",
            provider_id,
            CATEGORY,
        )
        select_list = ", ".join(
            f"{copy_batch}::bigint AS batch_id" if c == "batch_id" else c for c in columns
        )
        await source.copy_from_query(
            f"SELECT {select_list} FROM credit_records WHERE batch_id = {int(stored_batch)} "  # noqa: S608
            "ORDER BY id",
            output=str(dump),
            format="binary",
        )
        started = time.perf_counter()
        status = await target.copy_to_table(
            "credit_records", source=str(dump), columns=columns, format="binary"
        )
        seconds = time.perf_counter() - started
        rows = int(status.split()[-1])
    finally:
        await source.close()
        await target.close()
    return {"seconds": seconds, "rows": rows, "bytes": dump.stat().st_size}


def run(args: argparse.Namespace, admin_url: str) -> None:
    """Every step, printing as it goes."""
    workdir = Path(tempfile.mkdtemp(prefix="xinrong-bench-"))
    tag = uuid.uuid4().hex[:8]
    names = {k: f"xinrong_bench_{k}_{tag}" for k in ("base", "bulk", "copy")}
    urls = {k: db_url(admin_url, n) for k, n in names.items()}
    try:
        gen = generate(workdir, args.records, args.months, args.seed, args.order)
        print(
            f"generated {gen['records']:,} {CATEGORY} records of {gen['enterprises']:,} "
            f"enterprises ({gen['bytes'] / 1e6:,.0f} MB, {args.order}-major) in "
            f"{gen['seconds']:.1f} s ({gen['records'] / gen['seconds']:,.0f} records/s)"
        )
        asyncio.run(execute(admin_url, f'CREATE DATABASE "{names["base"]}"'))
        base = asyncio.run(prepare_base(urls["base"], workdir))
        print(
            f"registrations through the bulk path: {base['accepted']:,} in "
            f"{base['seconds']:.1f} s ({base['accepted'] / base['seconds']:,.0f}/s)"
        )
        asyncio.run(
            execute(
                admin_url,
                f'CREATE DATABASE "{names["bulk"]}" TEMPLATE "{names["base"]}"',
                f'CREATE DATABASE "{names["copy"]}" TEMPLATE "{names["base"]}"',
            )
        )
        batch_id = f"bench-{CATEGORY}-{tag}"
        spec = {
            "url": urls["bulk"],
            "file": str(gen["file"]),
            "provider_id": base["provider_id"],
            "batch_id": batch_id,
            "profile": args.profile,
        }
        bulk = _run_child(spec)
        count_query = "SELECT count(*) FROM credit_records WHERE category = $1"
        stored = asyncio.run(scalar(urls["bulk"], count_query, CATEGORY))
        replay = _run_child({**spec, "profile": None})
        after = asyncio.run(scalar(urls["bulk"], count_query, CATEGORY))
        copy = asyncio.run(
            copy_baseline(urls["bulk"], urls["copy"], batch_id, base["provider_id"], workdir)
        )
        report(gen, bulk, copy, replay, stored, after)
    finally:
        if not args.keep:
            asyncio.run(
                execute(
                    admin_url,
                    *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values()),
                )
            )
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir} and databases {', '.join(names.values())}")


def report(
    gen: dict[str, Any],
    bulk: dict[str, Any],
    copy: dict[str, Any],
    replay: dict[str, Any],
    stored: int,
    after: int,
) -> None:
    """The figures."""
    copy_rate = copy["rows"] / copy["seconds"]
    bulk_rate = bulk["accepted"] / bulk["seconds"]
    print()
    print(f"{'path':42} {'records':>10} {'seconds':>9} {'records/s':>11}")
    print(
        f"{'COPY credit_records (binary, same rows)':42} {copy['rows']:>10,} "
        f"{copy['seconds']:>9.2f} {copy_rate:>11,.0f}"
    )
    print(
        f"{'bulk path (ingest_stream, JSON Lines)':42} {bulk['accepted']:>10,} "
        f"{bulk['seconds']:>9.2f} {bulk_rate:>11,.0f}"
    )
    print(f"bulk / COPY rate: {bulk_rate / copy_rate:.2f} (aim: at least 0.33)")
    print(
        f"bulk batch: {bulk['status']}, {bulk['accepted']:,} accepted, {bulk['rejected']} "
        f"rejected; {stored:,} {CATEGORY} rows stored"
    )
    if bulk["row_errors"]:
        print(f"  first row errors: {bulk['row_errors']}")
    print(
        f"peak RSS of the loading process: {bulk['peak_mb']:.0f} MB (aim: under 300 MB); "
        f"file {gen['bytes'] / 1e6:,.0f} MB"
    )
    same = replay["replayed"] and after == stored
    print(
        f"replay of the same file and batch id: replayed={replay['replayed']}, "
        f"status {replay['status']}, rows {stored:,} → {after:,} "
        f"({'nothing changed' if same else 'CHANGED'}) in {replay['seconds']:.2f} s"
    )


def main() -> None:
    """Parse the arguments, find or start PostgreSQL, run, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=48, help="months per enterprise")
    parser.add_argument("--order", choices=("month", "enterprise"), default="month")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql://user@host:port/db) the benchmark may create "
        "and drop its own databases on; default: a throwaway cluster",
    )
    parser.add_argument("--profile", help="write the loading child's cProfile stats here")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return
    os.environ.setdefault("XINRONG_LOG_LEVEL", "WARNING")
    with postgres_server(args.database_url) as admin_url:
        run(args, admin_url)


if __name__ == "__main__":
    main()
