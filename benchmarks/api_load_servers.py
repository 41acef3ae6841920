"""Servers for ``benchmarks.api_load``: start them, wait until they answer, watch their workers.

Both servers are uvicorn with N worker processes: the platform through ``xinrong serve
--workers N`` (production settings), the ceiling through ``uvicorn benchmarks.api_load_ceiling:app
--workers N``. uvicorn starts its workers with multiprocessing's *spawn*, so they are the server
process's children whose command line runs ``spawn_main``; their memory (``VmRSS``) and CPU
time come from ``/proc``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """A server we started: its process, address and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def workers(self) -> list[int]:
        """The pids of uvicorn's worker processes (children started by spawn)."""
        return [
            pid
            for pid in children(self.process.pid)
            if "spawn_main" in _read(f"/proc/{pid}/cmdline").replace("\0", " ")
        ]

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's output (for error messages)."""
        return self.log_path.read_text(errors="replace")[-size:]


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from every thread's ``children`` list)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in _read(str(task / "children")).split()]
    return sorted(set(found))


def rss_mb(pid: int) -> float | None:
    """The resident memory of ``pid`` in MB, or None when it has gone."""
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User plus system CPU seconds ``pid`` has used (0 when it has gone); with
    ``reaped_children``, also what its children that have exited used."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def postgres_pids(port: int) -> list[int]:
    """The postmaster listening on ``port`` and its backends (to count PostgreSQL's CPU)."""
    for pid_file in Path("/proc").glob("[0-9]*/cmdline"):
        command = _read(str(pid_file)).split("\0")
        if command and command[0].endswith("bin/postgres"):
            postmaster = int(pid_file.parent.name)
            data_dir = command[command.index("-D") + 1] if "-D" in command else ""
            port_line = _read(os.path.join(data_dir, "postmaster.pid")).splitlines()
            if len(port_line) > 3 and port_line[3].strip() == str(port):
                return [postmaster, *children(postmaster)]
    return []


def postgres_cpu_seconds(port: int) -> float:
    """CPU seconds of the PostgreSQL server on ``port``: the postmaster, its live backends and
    the backends that have exited (a connection opened and closed while measuring counts)."""
    pids = postgres_pids(port)
    if not pids:
        return 0.0
    postmaster, *backends = pids
    own = cpu_seconds(postmaster, reaped_children=True)
    return own + sum(cpu_seconds(pid) for pid in backends)


def machine_cpu_seconds() -> float:
    """CPU seconds every core of this machine has spent busy since boot: user, nice, system,
    irq and softirq (not idle, not waiting for I/O, not stolen by the hypervisor)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(v) for v in _read("/proc/stat").splitlines()[0].split()[1:8]
    )
    return (user + nice + system + irq + softirq) / CLOCK_TICKS


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(server: Server, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            if (
                httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200
                and len(server.workers()) == workers
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"{server.name} did not become healthy in {timeout:.0f} s:\n{server.log_tail()}"
    )


def stop(server: Server) -> None:
    """SIGTERM (uvicorn's graceful shutdown), SIGKILL after 20 s."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def serving(
    name: str, command: list[str], env: dict[str, str], port: int, workers: int, log_dir: Path
) -> Iterator[Server]:
    """Run ``command`` until the block ends; yields once /healthz answers and every worker is up."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter's scripts)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_healthy(server, workers, timeout=180)
        yield server
    finally:
        stop(server)


def platform_command(port: int, workers: int) -> list[str]:
    """``xinrong serve`` on ``port`` with ``workers`` processes and no demo data."""
    return [
        str(BIN / "xinrong"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-demo",
    ]


def ceiling_command(port: int, workers: int) -> list[str]:
    """The plain Starlette app under the same uvicorn (access log off, as the platform's is at
    WARNING)."""
    return [
        str(BIN / "uvicorn"),
        "benchmarks.api_load_ceiling:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
