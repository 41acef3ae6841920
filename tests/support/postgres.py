"""A throwaway PostgreSQL cluster for the test session (initdb, start, stop), and for the fault
tests a server that can be stopped, started and restarted under the app (fast or immediate)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: How long pg_ctl may wait for the server to start or stop before the test fails.
PG_CTL_TIMEOUT_S = 30


@dataclass
class Cluster:
    """A running cluster and how to reach, stop, start again and remove it."""

    url: str
    data_dir: Path | None = None
    pg_ctl: str | None = None
    run_as: list[str] | None = None
    # The server's command-line options (port, socket directory, settings): a start after a
    # stop must listen where the URL points.
    options: str | None = None

    def _ctl(self, *args: str) -> None:
        """Run ``pg_ctl -D <data> -w -t <timeout> ARGS`` as the cluster's owner; raise on failure.

        The server's output goes to the cluster's log file (``-l``), never to our pipes: a
        server started with pipes for its output would hold them open, and ``run`` would wait
        for it to exit.
        """
        if self.data_dir is None or self.pg_ctl is None:
            raise RuntimeError("this cluster was given to the tests, not started by them")
        result = subprocess.run(
            [
                *(self.run_as or []),
                self.pg_ctl,
                "-D",
                str(self.data_dir / "data"),
                "-w",
                "-t",
                str(PG_CTL_TIMEOUT_S),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=PG_CTL_TIMEOUT_S + 15,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {result.stderr or result.stdout}")

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server, keeping its files: ``fast`` rolls back open transactions and shuts
        down cleanly; ``immediate`` kills every process (crash recovery at the next start)."""
        self._ctl("-m", mode, "stop")

    def start_server(self) -> None:
        """Start the stopped server again with its options; returns once it accepts connections."""
        assert self.data_dir is not None
        self._ctl("-l", str(self.data_dir / "log"), "-o", self.options or "", "start")

    def restart_server(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m MODE``: stop (see ``stop_server``) and start again at once."""
        assert self.data_dir is not None
        self._ctl("-m", mode, "-l", str(self.data_dir / "log"), "-o", self.options or "", "restart")

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


def start_cluster(*, durable_commits: bool = False) -> Cluster | None:
    """initdb and start a cluster on a free loopback port; None when PostgreSQL is not installed.

    For speed the cluster never syncs to disk, which only matters if the machine itself
    crashes. By default it also acknowledges commits before their WAL is written
    (``synchronous_commit=off``), so a server killed in ``immediate`` mode may lose the last
    commits; ``durable_commits`` keeps every acknowledged commit across such a kill, as the fault
    tests need.
    """
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
        f"-c synchronous_commit={'on' if durable_commits else 'off'} -c full_page_writes=off "
        "-c max_connections=200"
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
        options=options,
    )
