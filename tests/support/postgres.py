"""A throwaway PostgreSQL cluster for the test session (initdb, start, stop)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    """A running cluster and how to reach and stop it."""

    url: str
    data_dir: Path | None = None
    pg_ctl: str | None = None
    run_as: list[str] | None = None

    def stop(self) -> None:
        """Stop the cluster we started (never one we were given) and remove its files."""
        if self.data_dir is None or self.pg_ctl is None:
            return
        subprocess.run(
            [
                *(self.run_as or []),
                self.pg_ctl,
                "-D",
                str(self.data_dir / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data_dir, ignore_errors=True)


def find_pg_bin() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian layout), if any."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cluster() -> Cluster | None:
    """initdb and start a cluster on a free loopback port; None when PostgreSQL is not installed."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        return None
    root = Path(tempfile.mkdtemp(prefix="xinrong-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the cluster as the postgres user.
        shutil.chown(root, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(root / "data"),
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return Cluster(
        url=f"postgresql://postgres@127.0.0.1:{port}/postgres",
        data_dir=root,
        pg_ctl=str(bin_dir / "pg_ctl"),
        run_as=run_as,
    )
