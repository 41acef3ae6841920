"""Small PostgreSQL and process helpers the database benchmarks share."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
PLAIN = "postgresql://"
ASYNC = "postgresql+asyncpg://"


@contextlib.contextmanager
def postgres_server(database_url: str | None, *, keep_database: str | None = None) -> Iterator[str]:
    """The admin URL (``postgresql://``) of the server to benchmark on: ``database_url``, or a
    throwaway cluster, stopped at the end unless ``keep_database`` names a database to reuse in
    a later run (the way to do that is printed)."""
    cluster = None
    admin_url = database_url
    if admin_url is None:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        if cluster is None:
            sys.exit("PostgreSQL is not installed here; pass --database-url")
        admin_url = cluster.url
    try:
        yield admin_url.replace(ASYNC, PLAIN, 1)
    finally:
        if cluster is not None and keep_database:
            print(
                f"cluster kept: --database-url {cluster.url} --keep-database "
                f"{keep_database} (stop: pg_ctl -D {cluster.data_dir}/data stop)",
                file=sys.stderr,
            )
        elif cluster is not None:
            cluster.stop()


def db_url(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    base, _slash, _db = admin_url.rpartition("/")
    return f"{base}/{name}"


async def execute(url: str, *statements: str) -> None:
    """Run ``statements`` one after another on a connection of their own."""
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def scalar(url: str, query: str, *args: Any) -> Any:
    """The first column of the first row of ``query``."""
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB: ``VmRSS`` now, ``VmHWM``
    the peak. Unlike ``ru_maxrss``, which Linux carries over from the parent across fork and
    exec, ``VmHWM`` is this process's own."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def run_child(module: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``python -m <module> --child <spec>`` and return the JSON of its last output line."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", module, "--child", json.dumps(spec)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} --child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
