"""The load generator of ``benchmarks.api_load``: closed-loop clients over keep-alive HTTP/1.1.

Each client sends its own request (its own bearer token) again as soon as the answer is in, for
``warmup + duration`` seconds; only requests started after the warm-up are counted. Clients are
spread over ``processes`` load-generator processes (one uvloop event loop each); every client
has its own keep-alive connection (``benchmarks.api_load_http``: prepared request bytes, answers
parsed by httptools, because httpx cost more CPU per request than the ceiling app it measured).
Every process reports its latencies, its errors and the CPU it used while measuring, so the
report can say whether the generator, rather than the server, was the limit.

An answer is an error when its status is not 200, when it is not JSON, or (GraphQL) when it
holds ``errors`` or no ``data``; a transport failure or time-out is an error too.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import httptools

from benchmarks.api_load_http import KeepAliveConnection, post_request

#: Errors kept verbatim (per process) for the report.
SAMPLES = 3


@dataclass(frozen=True)
class ClientSpec:
    """What one client sends: the body and its bearer token (None: no Authorization header)."""

    body: bytes
    token: str | None = None


@dataclass
class Tally:
    """What one load-generator process measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    measured_seconds: float = 0.0

    def error(self, what: str) -> None:
        """Count an error and keep the first few descriptions."""
        self.errors += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(what[:300])


@dataclass(frozen=True)
class LoadFigures:
    """What a generator measured over one scenario's measured window (milliseconds)."""

    generator: str
    requests: int
    errors: int
    error_samples: list[str]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    cpu_seconds: float  # the generator's own CPU while measuring
    busiest_core: float  # the busiest generator process (or wrk) in cores


def percentile_ms(ordered: list[float], share: float) -> float:
    """The ``share`` percentile of sorted seconds ``ordered`` (nearest rank), in milliseconds."""
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index] * 1000


def figures_of(tallies: list[Tally], duration: float) -> LoadFigures:
    """The figures of the processes' tallies together."""
    latencies = sorted(x for tally in tallies for x in tally.latencies)
    return LoadFigures(
        generator="python",
        requests=len(latencies),
        errors=sum(tally.errors for tally in tallies),
        error_samples=[sample for tally in tallies for sample in tally.samples][:5],
        p50_ms=percentile_ms(latencies, 0.50),
        p90_ms=percentile_ms(latencies, 0.90),
        p99_ms=percentile_ms(latencies, 0.99),
        max_ms=latencies[-1] * 1000 if latencies else float("nan"),
        mean_ms=statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        cpu_seconds=sum(tally.cpu_seconds for tally in tallies),
        busiest_core=max(tally.cpu_seconds for tally in tallies) / duration,
    )


def answer_problem(status: int, content: bytes, graphql: bool) -> str | None:
    """Why an answer counts as an error, or None when it is a good one."""
    # The common case without decoding (decoding every answer would load the generator):
    # strawberry and Starlette both start a data answer with {"data" and name errors "errors".
    if status == 200 and content.startswith(b'{"data"') and b'"errors"' not in content:
        return None
    if status != 200:
        return f"HTTP {status}: {content[:200]!r}"
    try:
        body = json.loads(content)
    except ValueError:
        return f"not JSON: {content[:200]!r}"
    if graphql and (body.get("errors") or body.get("data") is None):
        return f"GraphQL errors: {json.dumps(body.get('errors'), ensure_ascii=False)[:250]}"
    return None


async def _client(
    url: str,
    spec: ClientSpec,
    job: dict[str, Any],
    tally: Tally,
) -> None:
    headers = {"Authorization": f"Bearer {spec.token}"} if spec.token else {}
    raw = post_request(url, spec.body, headers)
    connection = KeepAliveConnection(url)
    measure_from, stop_at, graphql = job["measure_from"], job["stop_at"], job["graphql"]
    try:
        while time.time() < stop_at:
            counted = time.time() >= measure_from
            started = time.perf_counter()
            try:
                async with asyncio.timeout(job["timeout"]):
                    status, content = await connection.request(raw)
                problem = answer_problem(status, content, graphql)
            except (OSError, TimeoutError, httptools.HttpParserError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            if counted:
                tally.latencies.append(elapsed)
                if problem is not None:
                    tally.error(problem)
    finally:
        await connection.close()


async def _drive(job: dict[str, Any]) -> Tally:
    specs = [ClientSpec(body=s["body"].encode(), token=s["token"]) for s in job["clients"]]
    tally = Tally()
    await asyncio.sleep(max(0.0, job["start_at"] - time.time()))
    tasks = [asyncio.create_task(_client(job["url"], spec, job, tally)) for spec in specs]
    await asyncio.sleep(max(0.0, job["measure_from"] - time.time()))
    cpu_from, wall_from = _cpu(), time.time()
    await asyncio.gather(*tasks)
    tally.cpu_seconds = _cpu() - cpu_from
    tally.measured_seconds = time.time() - wall_from
    return tally


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drive(job: dict[str, Any]) -> Tally:
    """Run one process's share of the clients (the pool's entry point)."""
    import uvloop

    return uvloop.run(_drive(job))


def _serve(connection: Connection) -> None:
    """A load-generator process: run each job that comes down ``connection``, send back its
    tally; stop on None."""
    import uvloop  # noqa: F401 (imported before the first job, so that no job pays for it)

    connection.send(os.getpid())
    while (job := connection.recv()) is not None:
        connection.send(drive(job))


@dataclass
class Pending:
    """A scenario under way: one tally will come from each process given a job."""

    connections: list[Connection]
    duration: float

    def get(self, timeout: float) -> LoadFigures:
        """The figures of every process (waits up to ``timeout`` seconds for each)."""
        tallies = []
        for connection in self.connections:
            if not connection.poll(timeout):
                raise TimeoutError("a load-generator process did not report in time")
            tallies.append(connection.recv())
        return figures_of(tallies, self.duration)


class LoadGenerator:
    """Load-generator processes, started once and reused by every scenario (one job each)."""

    def __init__(self, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.connections: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), daemon=True)
            process.start()
            self.connections.append(ours)
            self.processes.append(process)
        for connection in self.connections:  # every process is up before any timing starts
            if not connection.poll(60):
                raise RuntimeError("a load-generator process did not start")
            connection.recv()

    def start(
        self,
        url: str,
        clients: list[ClientSpec],
        *,
        graphql: bool,
        warmup: float,
        duration: float,
        timeout: float = 30.0,
    ) -> tuple[Pending, float, float]:
        """Start a scenario; returns the pending tallies, the time measuring starts and ends."""
        start_at = time.time() + 0.5
        measure_from, stop_at = start_at + warmup, start_at + warmup + duration
        count = len(self.connections)
        busy = []
        for index, connection in enumerate(self.connections):
            share = clients[index::count]
            if not share:
                continue
            connection.send(
                {
                    "url": url,
                    "clients": [{"body": c.body.decode(), "token": c.token} for c in share],
                    "graphql": graphql,
                    "start_at": start_at,
                    "measure_from": measure_from,
                    "stop_at": stop_at,
                    "timeout": timeout,
                }
            )
            busy.append(connection)
        return Pending(busy, duration), measure_from, stop_at

    def close(self) -> None:
        """Stop the processes."""
        for connection in self.connections:
            connection.send(None)
        for process in self.processes:
            process.join(timeout=10)
