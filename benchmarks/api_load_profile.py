"""Where a request's time goes: the load benchmark's queries, one at a time, in one process.

    .venv/bin/python -m benchmarks.api_load_profile [--database-url URL] [--requests 300]
        [--top 25]

The app is built in this process (production settings, as ``xinrong serve`` builds it) and
driven through httpx's ASGI transport, so no socket, no other worker and no load generator is
in the picture. For each query of ``benchmarks.api_load`` (``profile``, ``matches``), as one of
the benchmark's enterprise accounts:

* the SQL statements one request sends, counted and listed (SQLAlchemy ``before_cursor_execute``);
* wall and CPU milliseconds per request (sequential: one request in flight, so this is latency
  without queueing; CPU is this process's: the app and the in-process client);
* a cProfile (CPU time) of ``--requests`` requests, summed by package (graphql-core and strawberry,
  SQLAlchemy, asyncpg, the platform's own modules, the matcher, the JSON encoder, ...) and the
  ``--top`` functions by own time.

Run it on the loaded database (the default URL is the benchmark's) while nothing else runs for
figures that mean something; the shares hold on a busy machine too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import event

from backend.settings import Settings
from benchmarks.api_load import DEFAULT_SECRET, DEFAULT_URL, MATCHES, PROFILE, graphql_body
from benchmarks.api_load_accounts import prepare_clients, revoke_sessions

#: Packages whose time is summed together (first match wins), by a fragment of the file path.
GROUPS = (
    ("graphql-core / strawberry", ("/graphql/", "/strawberry/")),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("asyncpg", ("/asyncpg/", "asyncpg.protocol")),
    ("matcher (matching/)", ("/matching/",)),
    ("platform (backend/)", ("/backend/",)),
    ("GraphQL types (graphql_schema/)", ("/graphql_schema/",)),
    ("starlette / httpx / anyio", ("/starlette/", "/httpx/", "/anyio/", "/h11/")),
    ("json", ("/json/", "_json")),
    ("asyncio", ("/asyncio/",)),
)


def group_of(filename: str) -> str:
    """The package group a function's file belongs to."""
    for name, fragments in GROUPS:
        if any(fragment in filename for fragment in fragments):
            return name
    return "other (stdlib, builtins)"


def by_group(stats: pstats.Stats) -> dict[str, float]:
    """Own time (tottime) in seconds, summed by package group."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        totals[group_of(filename)] += row[2]
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


async def _profile(args: argparse.Namespace) -> dict[str, Any]:
    from backend.app import create_app
    from backend.runtime import Runtime

    settings = Settings(
        database_url=args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1),
        env="production",
        secret_key=args.secret_key,
        log_level="WARNING",
    )
    runtime = Runtime.build(settings)
    clients = await prepare_clients(runtime, 1)
    app = create_app(settings, runtime=runtime)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    headers = {"authorization": f"Bearer {clients[0].token}", "content-type": "application/json"}
    results: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for name, body in (
                ("profile", graphql_body(PROFILE)),
                ("matches", graphql_body(MATCHES, {"first": 20})),
            ):

                async def once(body: bytes = body) -> None:
                    response = await http.post("/graphql", content=body, headers=headers)
                    answer = response.json()
                    if response.status_code != 200 or answer.get("errors"):
                        raise SystemExit(f"{response.status_code}: {response.text[:500]}")

                for _ in range(20):  # warm caches (catalogue, parser, validation, pool)
                    await once()
                statements.clear()
                await once()
                sent = list(statements)
                # CPU time, not wall time: on a shared machine a wall-clock profile charges other
                # processes' time to whatever was running when this one was descheduled.
                profiler = cProfile.Profile(time.process_time)
                started = time.process_time()
                profiler.enable()
                for _ in range(args.requests):
                    await once()
                profiler.disable()
                elapsed = time.process_time() - started
                stats = pstats.Stats(profiler)
                results[name] = {
                    "statements": len(sent),
                    "statement_texts": [" ".join(s.split())[:160] for s in sent],
                    "cpu_ms_per_request_profiled": round(elapsed / args.requests * 1000, 2),
                    "groups_cpu_ms_per_request": {
                        group: round(seconds / args.requests * 1000, 3)
                        for group, seconds in by_group(stats).items()
                    },
                    "stats": stats,
                }
                started, cpu_started = time.perf_counter(), time.process_time()
                for _ in range(args.requests):
                    await once()
                results[name]["wall_ms_per_request"] = round(
                    (time.perf_counter() - started) / args.requests * 1000, 2
                )
                results[name]["cpu_ms_per_request"] = round(
                    (time.process_time() - cpu_started) / args.requests * 1000, 2
                )
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
        await revoke_sessions(runtime, clients)
        await runtime.close()
    return results


def main(argv: list[str] | None = None) -> None:
    """Profile both queries and print what was found."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", help="write each query's cProfile stats to SAVE-<query>.pstats")
    args = parser.parse_args(argv)
    results = asyncio.run(_profile(args))
    summary = {}
    for name, found in results.items():
        stats = found.pop("stats")
        if args.save:
            stats.dump_stats(f"{args.save}-{name}.pstats")
        print(f"\n=== {name}: {found['statements']} SQL statements per request")
        for text in found["statement_texts"]:
            print(f"  {text}")
        print(
            f"  unprofiled: {found['wall_ms_per_request']} ms wall, {found['cpu_ms_per_request']}"
            f" ms CPU per request (this process: app and client); under cProfile "
            f"{found['cpu_ms_per_request_profiled']} ms CPU, own CPU time by package (ms):"
        )
        for group, ms in found["groups_cpu_ms_per_request"].items():
            print(f"    {ms:8.3f}  {group}")
        stats.sort_stats("tottime").print_stats(args.top)
        summary[name] = {k: v for k, v in found.items() if k != "statement_texts"}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
