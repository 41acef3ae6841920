"""``xinrong`` commands as real processes for the fault tests: started, run to the end or killed
with SIGKILL, and the server's port watched (healthy, refusing connections)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def xinrong_env(database_url: str) -> dict[str, str]:
    """The environment of an ``xinrong`` process on ``database_url`` (quiet logs)."""
    return {
        **os.environ,
        "XINRONG_DATABASE_URL": database_url,
        "XINRONG_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }


async def start_xinrong(
    *args: str, database_url: str, cwd: Path, output: Path
) -> asyncio.subprocess.Process:
    """``xinrong ARGS`` as its own process (its output to ``output``, for failure messages)."""
    with output.open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend.cli",
            *args,
            env=xinrong_env(database_url),
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )


async def run_xinrong(
    *args: str, database_url: str, cwd: Path, within: float = 120
) -> tuple[int, str]:
    """Run ``xinrong ARGS`` to its end; returns (exit code, output). Fails after ``within`` s."""
    output = cwd / f"xinrong-{uuid.uuid4().hex[:6]}.log"
    process = await start_xinrong(*args, database_url=database_url, cwd=cwd, output=output)
    try:
        code = await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"xinrong {' '.join(args)} still running after {within:.0f} s")
    return code, output.read_text("utf-8", errors="replace")


async def kill_hard(process: asyncio.subprocess.Process) -> int:
    """SIGKILL the process (no cleanup of any kind runs) and reap it; returns its exit code."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    return await asyncio.wait_for(process.wait(), 30)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def healthy(port: int) -> bool:
    """Whether the app on ``port`` answers /healthz with 200."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"http://127.0.0.1:{port}/healthz")
    except httpx.TransportError:
        return False
    return response.status_code == 200


async def refuses_connections(port: int) -> bool:
    """Whether a new TCP connection to ``port`` is refused (nothing listens any more)."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False
