"""The API under load: the enterprise profile and productMatches on PostgreSQL with 1,000,000 firms.

    .venv/bin/python -m benchmarks.api_load [--database-url URL] [--duration 60] [--clients 50]
        [--warmup 10] [--workers 2] [--generator auto|wrk|python] [--client-processes 2]
        [--scenarios ceiling,profile,matches] [--quick] [--json FILE]

What runs, in one go:

1. Fifty (``--clients``) enterprise accounts, each verified to its own firm holding full records
   (``benchmarks.api_load_accounts``: made once through the platform's own services, reused
   afterwards), each with a fresh session token.
2. The platform: ``xinrong serve --workers 2`` in production mode (``XINRONG_ENV=production``,
   a 48-character secret, PostgreSQL, log level WARNING), started as a subprocess; and the
   ceiling: a plain Starlette app with one JSON endpoint (``benchmarks.api_load_ceiling``) under
   the same uvicorn with the same number of workers, on its own port, in the same run.
3. Three scenarios, each ``--warmup`` seconds unmeasured then ``--duration`` seconds measured,
   ``--clients`` closed-loop clients, one keep-alive connection each: ``ceiling`` (POST /ping),
   ``profile`` (the web page's ``myCreditProfile`` query: enterprise, evaluation with factors,
   category summaries, declarations) and ``matches`` (the web page's ``productMatches`` query,
   ``first: 20, includeIneligible: true``); every client sends its own firm's token. The
   generator (``--generator auto``): wrk for the ceiling when installed
   (``benchmarks.api_load_wrk``), the Python generator for the GraphQL scenarios
   (``benchmarks.api_load_client``, two processes); see ``Generators`` for why.
4. Per scenario: requests, req/s and its share of the ceiling's, p50/p90/p99/max latency,
   errors (non-200, non-JSON, GraphQL ``errors``, transport failures), each worker's RSS at the
   start, middle and end of the measured window, where the CPU went (server workers,
   PostgreSQL, the load generator, everything else on the machine: it is shared), and from
   ``pg_stat_database`` the connections opened (pool churn) and transactions per request.
   Prints a table and, as the last line, one JSON object (also to ``--json``). Aims (≥ 500
   req/s, p99 < 150 ms, zero errors, flat memory) are printed, never asserted.

Where the time goes inside one request: ``benchmarks.api_load_profile`` (statements per request,
CPU per request, a cProfile by package).

The database (kept between runs; loading takes an hour or more on two shared cores):

    # a cluster of its own, as the postgres user (initdb refuses root)
    mkdir -p /work/bench-pg && chown postgres:postgres /work/bench-pg
    runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D /work/bench-pg/data \\
        -U postgres -A trust -E UTF8 --locale=C.UTF-8
    # then in /work/bench-pg/data/postgresql.conf: port = 55432, listen_addresses = '127.0.0.1',
    # unix_socket_directories = '/work/bench-pg', shared_buffers = 2GB, max_connections = 200,
    # effective_cache_size = 8GB, work_mem = 16MB (synchronous_commit = off while loading only)
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /work/bench-pg/data \\
        -l /work/bench-pg/log -w start
    psql -h 127.0.0.1 -p 55432 -U postgres -c 'CREATE DATABASE xinrong_load_1m'
    export XINRONG_ENV=test XINRONG_LOG_LEVEL=WARNING \\
        XINRONG_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:55432/xinrong_load_1m \\
        XINRONG_SECRET_KEY=xinrong-load-benchmark-secret-key-0123456789abcdef
    .venv/bin/xinrong seed                                  # schema, products, policies
    .venv/bin/xinrong synth --enterprises 1000000 --features-only --months 12   # the million
    .venv/bin/xinrong synth --enterprises 5000 --output /work/bench-pg/work/records-5000
    psql -h 127.0.0.1 -p 55432 -U postgres xinrong_load_1m -c 'VACUUM ANALYZE'

The last ``synth`` (same seed, run the same day) draws the first 5,000 firms of the million
again, with 24 months of records (283,163), and loads them through the bulk path: their
registrations match the rows already there, and their records, features and evaluations become
real. On the shared 2-core machine the million took 56 minutes (296 firms/s, 2 loader
processes), the 5,000 firms' records 88 seconds. The benchmark's clients are
verified to firms among them. Later, after a restart of the machine, only ``pg_ctl ... start``
is needed before running the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from backend.settings import Settings
from benchmarks.api_load_accounts import BenchClient, prepare_clients, revoke_sessions
from benchmarks.api_load_client import ClientSpec, LoadGenerator
from benchmarks.api_load_report import report
from benchmarks.api_load_sampler import Sampler
from benchmarks.api_load_servers import (
    Server,
    ceiling_command,
    free_port,
    platform_command,
    serving,
)
from benchmarks.api_load_wrk import WrkGenerator, wrk_path

DEFAULT_URL = "postgresql://postgres@127.0.0.1:55432/xinrong_load_1m"
DEFAULT_SECRET = "xinrong-load-benchmark-secret-key-0123456789abcdef"  # noqa: S105 (benchmark db)

#: What the web page's credit view asks (web/js/views/credit.js).
PROFILE = """query MyCreditProfile {
  myCreditProfile {
    enterprise { name }
    evaluation { score grade version factors { name dimension points explanation } }
    categorySummaries { category label disclosure count latestOn }
    declarations { id categoryLabel status statusLabel declaredAt }
  }
}"""
#: What the web page's matches view asks (web/js/views/matches.js), for no particular demand.
MATCHES = """query ProductMatches($demandId: ID, $first: Int!) {
  productMatches(demandId: $demandId, first: $first, includeIneligible: true) {
    status score reasons
    unmetConditions { fact label message }
    missingFacts { fact label declarable }
    components { name label weight value points explanation }
    nearMiss { changes { label message } }
    product {
      id name productTypeLabel minAmount maxAmount minAnnualRate maxAnnualRate
      minTermMonths maxTermMonths
      regionNames institution { name }
    }
  }
}"""
SCENARIOS = ("ceiling", "profile", "matches")


def graphql_body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    """A GraphQL POST body."""
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def scenario_clients(name: str, clients: list[BenchClient], count: int) -> list[ClientSpec]:
    """What each of ``count`` clients sends in scenario ``name``."""
    if name == "ceiling":
        return [ClientSpec(body=b'{"ping": true}') for _ in range(count)]
    body = graphql_body(PROFILE) if name == "profile" else graphql_body(MATCHES, {"first": 20})
    return [ClientSpec(body=body, token=clients[i % len(clients)].token) for i in range(count)]


def run_scenario(
    name: str,
    generator: LoadGenerator | WrkGenerator,
    server: Server,
    specs: list[ClientSpec],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One scenario under load; returns its figures."""
    path = "/ping" if name == "ceiling" else "/graphql"
    pending, measure_from, stop_at = generator.start(
        server.base_url + path,
        specs,
        graphql=name != "ceiling",
        warmup=args.warmup,
        duration=args.duration,
    )
    sampler = Sampler(server, args.database_url)
    time.sleep(max(0.0, measure_from - time.time()))
    sampler.start()
    time.sleep(max(0.0, (measure_from + stop_at) / 2 - time.time()))
    sampler.sample_rss()
    time.sleep(max(0.0, stop_at - time.time()))
    cpu = sampler.cpu_used()
    database = sampler.db_counted()
    load = pending.get(timeout=args.duration + args.warmup + 120)
    sampler.sample_rss()
    cpu["generator"] = load.cpu_seconds
    cpu["other"] = cpu["machine"] - cpu["server"] - cpu["postgres"] - load.cpu_seconds
    return {
        "scenario": name,
        "generator": load.generator,
        "requests": load.requests,
        "rps": round(load.requests / args.duration, 1),
        "p50_ms": round(load.p50_ms, 2),
        "p90_ms": round(load.p90_ms, 2),
        "p99_ms": round(load.p99_ms, 2),
        "max_ms": round(load.max_ms, 2),
        "mean_ms": round(load.mean_ms, 2),
        "errors": load.errors,
        "error_samples": load.error_samples,
        "worker_rss_mb": {
            str(pid): [round(v, 1) if v is not None else None for v in values]
            for pid, values in sampler.rss.items()
        },
        "database": {
            **database,
            "transactions_per_request": round(database["transactions"] / load.requests, 2)
            if load.requests and name != "ceiling"
            else None,
        },
        # CPU cores busy on average while measuring, by party.
        "cpu_cores": {party: round(used / args.duration, 2) for party, used in cpu.items()},
        "generator_max_core": round(load.busiest_core, 2),
    }


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        database_url=args.database_url.replace("postgresql://", "postgresql+asyncpg://", 1),
        env="test",
        secret_key=args.secret_key,
    )


async def _prepare(args: argparse.Namespace) -> tuple[list[BenchClient], int]:
    from sqlalchemy import text

    from backend.runtime import Runtime

    runtime = Runtime.build(_settings(args))
    try:
        clients = await prepare_clients(runtime, args.clients)
        async with runtime.engine.connect() as connection:
            firms = (await connection.execute(text("SELECT count(*) FROM enterprises"))).scalar()
    finally:
        await runtime.close()
    return clients, int(firms or 0)


async def _revoke(args: argparse.Namespace, clients: list[BenchClient]) -> None:
    from backend.runtime import Runtime

    runtime = Runtime.build(_settings(args))
    try:
        await revoke_sessions(runtime, clients)
    finally:
        await runtime.close()


def platform_env(args: argparse.Namespace) -> dict[str, str]:
    """The production environment the platform runs with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINRONG_")}
    env.update(
        XINRONG_ENV="production",
        XINRONG_DATABASE_URL=args.database_url.replace("postgresql://", "postgresql+asyncpg://"),
        XINRONG_SECRET_KEY=args.secret_key,
        XINRONG_LOG_LEVEL="WARNING",
    )
    return env


class Generators:
    """The generator of each scenario, started when first needed.

    ``auto``: wrk for the ceiling when it is installed (the Python generator spends more CPU
    per request than the ceiling app and would cap it), the Python generator for the GraphQL
    scenarios (there it takes about 1 % of the CPU; it gives every client its own token and
    keeps its connections open from the warm-up into the measured window, where wrk has to
    start a second run)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.choice = args.generator
        self.processes = args.client_processes
        self.python: LoadGenerator | None = None
        self.wrk: WrkGenerator | None = None

    def for_scenario(self, name: str) -> LoadGenerator | WrkGenerator:
        """The generator that drives scenario ``name``."""
        if self.choice == "wrk" or (self.choice == "auto" and name == "ceiling" and wrk_path()):
            self.wrk = self.wrk or WrkGenerator(threads=self.processes)
            return self.wrk
        self.python = self.python or LoadGenerator(self.processes)
        return self.python

    def close(self) -> None:
        """Stop whatever was started."""
        for generator in (self.python, self.wrk):
            if generator is not None:
                generator.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare, serve, load every scenario; returns the summary."""
    started = time.perf_counter()
    clients, firms = asyncio.run(_prepare(args))
    print(
        f"{len(clients)} enterprise accounts ready in {time.perf_counter() - started:.1f} s "
        f"(firms with {min(c.records for c in clients)}–{max(c.records for c in clients)} "
        f"records); {firms:,} firms in the database",
        file=sys.stderr,
    )
    log_dir = Path(tempfile.mkdtemp(prefix="xinrong-api-load-"))
    results = []
    generators = Generators(args)
    try:
        ceiling_port, platform_port = free_port(), free_port()
        with (
            serving(
                "ceiling",
                ceiling_command(ceiling_port, args.workers),
                dict(os.environ),
                ceiling_port,
                args.workers,
                log_dir,
            ) as ceiling,
            serving(
                "platform",
                platform_command(platform_port, args.workers),
                platform_env(args),
                platform_port,
                args.workers,
                log_dir,
            ) as platform,
        ):
            for name in args.scenarios:
                server = ceiling if name == "ceiling" else platform
                specs = scenario_clients(name, clients, args.clients)
                print(
                    f"running {name}: {args.warmup:g} s warm-up + {args.duration:g} s",
                    file=sys.stderr,
                )
                generator = generators.for_scenario(name)
                results.append(run_scenario(name, generator, server, specs, args))
    finally:
        generators.close()
        asyncio.run(_revoke(args, clients))
    summary = {
        "firms": firms,
        "clients": args.clients,
        "workers": args.workers,
        "generator_processes": args.client_processes,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "cores": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "server_logs": str(log_dir),
        "scenarios": results,
    }
    report(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False))
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"default {DEFAULT_URL}")
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("XINRONG_BENCH_SECRET_KEY", DEFAULT_SECRET),
        help="the key the database was loaded with (encrypted ID numbers, audit MACs)",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="wrk (C: least CPU taken from the server) or the Python generator for every "
        "scenario; auto: wrk for the ceiling when installed, Python for the others",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="load-generator processes (wrk: threads)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 s each, 2 s warm-up")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.quick:
        args.duration, args.warmup = 5.0, 2.0
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark from the command line."""
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
