"""Serving the app with uvicorn and stopping it cleanly (``xinrong serve``).

On SIGTERM (or Ctrl-C) the listening socket closes at once, so new connections are refused and
a proxy sends them to another instance; requests in flight get ``graceful_timeout`` seconds to
finish (then they are cancelled); the app's shutdown runs (background pushes stop after their
last committed chunk and resume on any instance); and the process exits 0.

uvicorn alone falls short twice. It ends a graceful stop by raising SIGTERM again, so the process
dies "killed by SIGTERM" (status 143) although it stopped cleanly. And with several workers its
supervisor keeps the listening socket open until every worker has drained, so new connections
are accepted by the kernel and then left unanswered meanwhile.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

#: uvicorn's exit status when the app could not start.
STARTUP_FAILURE = 3


class ClosingSupervisor(Multiprocess):
    """uvicorn's worker supervisor, closing the listening socket before stopping the workers."""

    def terminate_all(self) -> None:
        """Refuse new connections, then ask each worker to finish its requests and stop."""
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def serve_app(app: Any, *, workers: int, graceful_timeout: float, **options: Any) -> None:
    """Serve ``app`` (an app, or an import string with ``factory=True`` for several workers)
    until SIGTERM or Ctrl-C, then stop as the module docstring says."""
    config = uvicorn.Config(
        app, workers=workers, timeout_graceful_shutdown=graceful_timeout, **options
    )
    if workers > 1:
        ClosingSupervisor(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    # uvicorn puts back the handler it found and raises the signal again once it has stopped:
    # with SIGTERM ignored by then, a stop asked for by SIGTERM ends with status 0.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Ctrl-C is raised again the same way, as KeyboardInterrupt: the stop was graceful all the same.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
