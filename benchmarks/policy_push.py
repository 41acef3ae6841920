"""Policy push (政策找人) at provincial scale: match and inbox writes over N firms, on PostgreSQL.

    .venv/bin/python -m benchmarks.policy_push [--enterprises 1000000] [--database-url URL]
        [--keep-database NAME] [--months 12] [--chunk-size N]

Without ``--database-url`` a throwaway cluster is started (as tests/support/postgres.py does);
with one, the URL names a server on which the benchmark creates its own database. Steps:

1. Create and migrate the database, load ``--enterprises`` synthetic firms through the
   features-only loader (``backend.synth.features``: ``enterprises`` and ``enterprise_features``
   rows computed by the platform's own code, from ``--months`` months of records per firm,
   12 by default: ~40 % less loading time) and VACUUM ANALYZE. With ``--keep-database NAME``
   the database is kept (with a throwaway cluster, the cluster too, and its URL printed) and a
   later run naming it skips loading when it holds enough firms; earlier benchmark policies and
   their messages are removed first, so every run starts from the same state.
2. Publish a realistic policy, checked by ``check_policy``: micro and small firms in business
   for two years or more, tax credit grade A, B or M, not on the dishonest list, in Jiangsu or
   Shandong.
3. A child process (so that its peak RSS is the push's alone) runs ``create_job`` and
   ``run_job``, and reports match, write and total seconds, matched, pushed and peak MB (VmHWM:
   on Linux ``ru_maxrss`` keeps the parent's high-water mark across exec; both are printed).
4. A hand-written ``SELECT count(*)`` with the same predicates (SQL text, not compiled by the
   platform) is timed (median of three) and must give the push's matched count.
5. A second job for the same policy writes no message (a firm is told once).

Prints a table and, as the last line, one JSON object. Aims are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

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

SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnopq"  # noqa: S105 (throwaway data)
ROOT = Path(__file__).resolve().parents[1]
CODE_PREFIX = "bench-push-"
AIM_RATIO, AIM_SECONDS, AIM_MB = 2.0, 60.0, 300.0

#: The policy pushed: a provincial interest subsidy for small firms in good standing.
POLICY = {
    "title": "小微企业贷款贴息（基准测试）",
    "policy_type": "INTEREST_SUBSIDY",
    "issuer": "省发展改革委",
    "summary": "对经营满两年、纳税信用良好且未被列入失信名单的小微企业，"
    "按贷款利息的 30% 给予贴息。",
    "body": "为缓解小微企业融资难融资贵问题，对符合条件的小微企业新发放的流动资金贷款按实际支付"
    "利息的 30% 给予贴息，单户年度贴息不超过 20 万元。",
    "eligibility": {
        "all": [
            {"fact": "size_class", "op": "in", "value": ["micro", "small"]},
            {"fact": "years_in_business", "op": "gte", "value": 2},
            {"fact": "tax_credit_grade", "op": "in", "value": ["A", "B", "M"]},
            {"fact": "on_dishonest_list", "op": "eq", "value": False},
        ]
    },
    "region_codes": ["320000", "370000"],
}
#: The same predicates, written out by hand.
HAND_COUNT = """
SELECT count(*) FROM enterprise_features
WHERE size_class IN ('micro', 'small')
  AND years_in_business >= 2
  AND tax_credit_grade IN ('A', 'B', 'M')
  AND on_dishonest_list = false
  AND (region_code LIKE '32%' OR region_code LIKE '37%')
"""


def _settings(url: str, **extra: Any) -> Settings:
    return Settings(
        database_url=url.replace(PLAIN, ASYNC, 1), env="test", secret_key=SECRET, **extra
    )


# --- the child: only the push, so that its peak RSS is the app's --------------------------------


async def _child_push(spec: dict[str, Any]) -> dict[str, Any]:
    from backend.policies.models import Policy
    from backend.policies.push import create_job, run_job
    from backend.runtime import Runtime

    # The standard password profile hashes a timing-equaliser with 64 MiB of argon2 scratch
    # when a runtime is built (a login concern, freed at once): it would set the high-water mark
    # before the push begins and hide the push's own memory under it.
    runtime = Runtime.build(_settings(spec["url"], password_hash_profile="fast"))  # noqa: S106
    try:
        rss_before = status_mb("VmRSS")
        started = time.perf_counter()
        async with runtime.sessionmaker() as session:
            policy = await session.get_one(Policy, spec["policy_id"])
            job = await create_job(session, policy, chunk_size=spec.get("chunk_size"))
            await session.commit()
            job_id = job.id
        outcome = await run_job(runtime.sessionmaker, job_id, owner=f"benchmark-{os.getpid()}")
        total = time.perf_counter() - started
    finally:
        await runtime.close()
    return {
        "job_id": outcome.job_id,
        "status": outcome.status,
        "matched": outcome.matched_count,
        "pushed": outcome.pushed_count,
        "match_seconds": outcome.match_seconds,
        "write_seconds": outcome.write_seconds,
        "total_seconds": total,
        "error": outcome.error,
        "rss_before_mb": rss_before,
    }


def child_main(spec: dict[str, Any]) -> None:
    """Run one push job and print one JSON line with the outcome and the peak RSS."""
    outcome = asyncio.run(_child_push(spec))
    # Linux carries the parent's high-water mark into ru_maxrss across fork and exec (a child of
    # the 500 MB loader "peaks" at 500 MB before doing anything); VmHWM is this process's own.
    outcome["peak_mb"] = status_mb("VmHWM")
    outcome["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB
    print(json.dumps(outcome))


def _run_child(spec: dict[str, Any]) -> dict[str, Any]:
    return run_child("benchmarks.policy_push", spec)


# --- the parent ----------------------------------------------------------------------------------


async def prepare(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, load the firms unless enough are there, and clear earlier benchmark pushes."""
    from backend.db.migrate import migrate
    from backend.runtime import Runtime
    from backend.synth.features import load_features

    runtime = Runtime.build(_settings(url))
    try:
        await migrate(runtime.engine)
        present = await scalar(url, "SELECT count(*) FROM enterprise_features")
        load = None
        if present < args.enterprises:
            step, shown, started = max(1, args.enterprises // 10), [0], time.perf_counter()

            def progress(done: int) -> None:  # a line on stderr every tenth of the load
                if done // step > shown[0]:
                    shown[0] = done // step
                    seconds = time.perf_counter() - started
                    print(f"  loaded {done:,} firms in {seconds:.0f} s", file=sys.stderr)

            result = await load_features(
                runtime=runtime,
                enterprises=args.enterprises,
                seed=args.seed,
                months=args.months,
                workers=args.workers,
                on_progress=progress,
            )
            load = {
                "written": result.written,
                "skipped": result.skipped,
                "seconds": result.seconds,
                "rate": result.rate,
                "workers": result.workers,
            }
    finally:
        await runtime.close()
    # Earlier runs' policies, jobs and messages go, so that every run pushes to an empty inbox.
    earlier = f"SELECT id FROM policies WHERE code LIKE '{CODE_PREFIX}%'"  # noqa: S608 (constant)
    await execute(
        url,
        f"DELETE FROM inbox_messages WHERE policy_id IN ({earlier})",  # noqa: S608
        f"DELETE FROM policy_push_jobs WHERE policy_id IN ({earlier})",  # noqa: S608
        f"DELETE FROM policies WHERE id IN ({earlier})",  # noqa: S608
        "VACUUM ANALYZE enterprises",
        "VACUUM ANALYZE enterprise_features",
        "VACUUM ANALYZE inbox_messages",
    )
    total = await scalar(url, "SELECT count(*) FROM enterprise_features")
    return {"enterprises": total, "load": load}


async def publish_policy(url: str, tag: str) -> int:
    """Insert the benchmark's policy, checked as ``publishPolicy`` checks it; returns its id."""
    from backend.policies.checks import check_policy
    from backend.policies.models import Policy
    from backend.runtime import Runtime

    fields = check_policy({**POLICY, "code": f"{CODE_PREFIX}{tag}", "valid_until": "2030-12-31"})
    runtime = Runtime.build(_settings(url))
    try:
        async with runtime.sessionmaker() as session:
            policy = Policy(**fields.values())
            session.add(policy)
            await session.commit()
            return policy.id
    finally:
        await runtime.close()


async def time_hand_count(url: str, runs: int = 3) -> tuple[int, float]:
    """The hand-written count and the median of ``runs`` timings of it."""
    connection = await asyncpg.connect(url)
    try:
        counts, seconds = set(), []
        for _ in range(runs):
            started = time.perf_counter()
            counts.add(await connection.fetchval(HAND_COUNT))
            seconds.append(time.perf_counter() - started)
    finally:
        await connection.close()
    assert len(counts) == 1
    return counts.pop(), statistics.median(seconds)


def run(args: argparse.Namespace, admin_url: str) -> dict[str, Any]:
    """Every step, printing as it goes; returns the summary."""
    tag = uuid.uuid4().hex[:8]
    name = args.keep_database or f"xinrong_bench_push_{tag}"
    url = db_url(admin_url, name)
    exists = asyncio.run(scalar(admin_url, "SELECT 1 FROM pg_database WHERE datname = $1", name))
    if not exists:
        asyncio.run(execute(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        base = asyncio.run(prepare(url, args))
        load = base["load"]
        if load is None:
            print(f"reusing {name}: {base['enterprises']:,} firms present, loading skipped")
        else:
            print(
                f"loaded {load['written']:,} firms (enterprises + enterprise_features, "
                f"{args.months} months of records each, {load['workers']} worker processes) in "
                f"{load['seconds']:.1f} s ({load['rate']:,.0f} firms/s)"
            )
        policy_id = asyncio.run(publish_policy(url, tag))
        expected, _warm = asyncio.run(time_hand_count(url, runs=1))  # also warms the cache
        spec = {"url": url, "policy_id": policy_id, "chunk_size": args.chunk_size}
        first = _run_child(spec)
        told = asyncio.run(
            scalar(url, "SELECT count(*) FROM inbox_messages WHERE policy_id = $1", policy_id)
        )
        hand_count, count_seconds = asyncio.run(time_hand_count(url))
        second = _run_child(spec)
    finally:
        if not args.keep_database:
            asyncio.run(execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    summary = {
        "enterprises": base["enterprises"],
        "matched": first["matched"],
        "hand_count": hand_count,
        "match_seconds": round(first["match_seconds"], 4),
        "count_seconds": round(count_seconds, 4),
        "match_vs_count": round(first["match_seconds"] / count_seconds, 2),
        "write_seconds": round(first["write_seconds"], 3),
        "total_seconds": round(first["total_seconds"], 3),
        "peak_mb": round(first["peak_mb"], 1),
        "rss_before_mb": round(first["rss_before_mb"], 1),
        "ru_maxrss_mb": round(first["ru_maxrss_mb"], 1),
        "pushed": first["pushed"],
        "messages": told,
        "second_run_pushed": second["pushed"],
        "load_seconds": round(load["seconds"], 1) if load else None,
        "load_rate": round(load["rate"]) if load else None,
    }
    report(summary, first, second, expected)
    return summary


def report(
    summary: dict[str, Any], first: dict[str, Any], second: dict[str, Any], expected: int
) -> None:
    """The figures, then the JSON line."""
    share = summary["matched"] / summary["enterprises"] if summary["enterprises"] else 0.0
    rows = [
        ("firms (enterprise_features rows)", f"{summary['enterprises']:,}", ""),
        ("matched by the policy", f"{summary['matched']:,} ({share:.1%})", "10–40 % intended"),
        ("hand-written COUNT, same predicates", f"{summary['hand_count']:,}", "= matched"),
        ("match: the push's count (s)", f"{summary['match_seconds']:.3f}", ""),
        ("hand-written COUNT (s, median of 3)", f"{summary['count_seconds']:.3f}", ""),
        ("match / COUNT", f"{summary['match_vs_count']:.2f}", f"aim ≤ {AIM_RATIO:g}"),
        ("write inbox messages (s)", f"{summary['write_seconds']:.2f}", ""),
        ("whole push (s)", f"{summary['total_seconds']:.2f}", f"aim < {AIM_SECONDS:g}"),
        ("messages written / stored", f"{summary['pushed']:,} / {summary['messages']:,}", ""),
        ("peak RSS of the push process (MB)", f"{summary['peak_mb']:.0f}", f"aim < {AIM_MB:g}"),
        ("  of which before the push began (MB)", f"{summary['rss_before_mb']:.0f}", ""),
        ("  ru_maxrss (inherits the parent's, MB)", f"{summary['ru_maxrss_mb']:.0f}", ""),
        ("second push: messages written", f"{summary['second_run_pushed']:,}", "must be 0"),
    ]
    print()
    print(f"{'figure':40} {'value':>20}   aim")
    for label, value, aim in rows:
        print(f"{label:40} {value:>20}   {aim}")
    print(f"push job {first['job_id']}: {first['status']}; second job: {second['status']}")
    checks = {
        "hand COUNT = matched": summary["hand_count"] == summary["matched"] == expected,
        "every matched firm told once": summary["pushed"]
        == summary["messages"]
        == summary["matched"],
        "second push wrote nothing": summary["second_run_pushed"] == 0,
    }
    print("; ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in checks.items()))
    print(json.dumps(summary))


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    """Parse the arguments, find or start PostgreSQL, run; returns the summary."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12, help="months of records per firm")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, help="loader processes (default: by size)")
    parser.add_argument("--chunk-size", type=int, help="push chunk (default: the push's own)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql://user@host:port/db) the benchmark may create "
        "databases on; default: a throwaway cluster",
    )
    parser.add_argument(
        "--keep-database",
        metavar="NAME",
        help="use and keep database NAME; a later run naming it skips loading",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(json.loads(args.child))
        return None
    os.environ.setdefault("XINRONG_LOG_LEVEL", "WARNING")
    with postgres_server(args.database_url, keep_database=args.keep_database) as admin_url:
        return run(args, admin_url)


if __name__ == "__main__":
    main()
