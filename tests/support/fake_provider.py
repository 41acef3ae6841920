"""A fake data provider's interface, served for real on loopback, whose behaviour tests control:
answer normally, fail with 500, answer too slowly, or answer garbage."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@dataclass
class FakeProvider:
    """What the fake answers, and what it was asked."""

    base_url: str = ""
    records: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    mode: str = "ok"  # ok | fail | slow | garbage
    failures_left: int = 0  # with mode "ok": fail this many calls first
    delay_s: float = 5.0
    calls: int = 0

    def app(self) -> Starlette:
        """The Starlette app of the fake interface."""

        async def misbehave() -> Response | None:
            self.calls += 1
            if self.mode == "slow":
                await asyncio.sleep(self.delay_s)
            if self.mode == "fail" or self.failures_left > 0:
                self.failures_left = max(0, self.failures_left - 1)
                return PlainTextResponse("boom", status_code=500)
            if self.mode == "garbage":
                return PlainTextResponse("<html>not json</html>")
            return None

        async def records(request: Request) -> Response:
            refused = await misbehave()
            key = (request.query_params["category"], request.query_params["uscc"])
            return refused or JSONResponse({"records": self.records.get(key, [])})

        async def verify(request: Request) -> Response:
            refused = await misbehave()
            if refused:
                return refused
            body = await request.json()
            rows = self.records.get((body["category"], body["uscc"]), [])
            claim = body["claim"]
            match = any(all(row.get(k) == v for k, v in claim.items()) for row in rows)
            return JSONResponse({"match": match})

        return Starlette(
            routes=[Route("/records", records), Route("/verify", verify, methods=["POST"])]
        )


@contextmanager
def serve_fake_provider() -> Iterator[FakeProvider]:
    """Run a FakeProvider on a free loopback port for the duration of the block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeProvider(base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake provider did not start")
        time.sleep(0.02)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
