"""What ``benchmarks.api_load`` watches while a scenario runs: the server's workers (memory,
CPU), PostgreSQL (CPU, and its own counters: connections opened, transactions) and the machine.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from benchmarks.api_load_servers import (
    Server,
    cpu_seconds,
    machine_cpu_seconds,
    postgres_cpu_seconds,
    rss_mb,
)

#: The database's counters read before and after each scenario.
DB_COUNTERS = (
    "SELECT sessions, xact_commit, xact_rollback, numbackends FROM pg_stat_database "
    "WHERE datname = current_database()"
)


async def fetch_row(url: str, query: str) -> dict[str, Any]:
    """The first row of ``query`` on database ``url``, as a dict."""
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(query)
    finally:
        await connection.close()
    return dict(row) if row is not None else {}


class Sampler:
    """Memory and CPU figures of a server's workers, PostgreSQL and the machine, and the
    database's own counters (connections opened, transactions)."""

    def __init__(self, server: Server, database_url: str) -> None:
        self.workers = server.workers()
        self.database_url = database_url
        self.pg_port = urlsplit(database_url).port or 5432
        self.rss: dict[int, list[float | None]] = {pid: [] for pid in self.workers}
        self.cpu_start: dict[str, float] = {}
        self.db_start: dict[str, int] = {}

    def _cpu(self) -> dict[str, float]:
        return {
            "server": sum(cpu_seconds(pid) for pid in self.workers),
            "postgres": postgres_cpu_seconds(self.pg_port),
            "machine": machine_cpu_seconds(),
        }

    def _db(self) -> dict[str, int]:
        row = asyncio.run(fetch_row(self.database_url, DB_COUNTERS))
        return {key: int(value) for key, value in row.items()}

    def sample_rss(self) -> None:
        """Note every worker's RSS now."""
        for pid in self.workers:
            self.rss[pid].append(rss_mb(pid))

    def start(self) -> None:
        """The start of the measured window."""
        self.sample_rss()
        self.db_start = self._db()
        self.cpu_start = self._cpu()

    def cpu_used(self) -> dict[str, float]:
        """CPU seconds used since ``start``, by party."""
        now = self._cpu()
        return {party: now[party] - self.cpu_start[party] for party in now}

    def db_counted(self) -> dict[str, int]:
        """Connections opened and transactions since ``start`` (the database's statistics,
        flushed by its backends about once a second), and connections open now."""
        now = self._db()
        # Less the sampler's own connection at the start, and its one statement.
        return {
            "connections_opened": now["sessions"] - self.db_start["sessions"] - 1,
            "transactions": now["xact_commit"]
            + now["xact_rollback"]
            - self.db_start["xact_commit"]
            - self.db_start["xact_rollback"]
            - 1,
            "connections_open": now["numbackends"],
        }
