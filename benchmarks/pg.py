"""Small PostgreSQL and process helpers the database benchmarks share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]


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
