"""``xinrong serve`` stopped with SIGTERM while requests are in flight: new connections are
refused at once (a proxy goes to another instance), a request in flight still gets its 200, one
that never finishes is cut off after ``--graceful-timeout``, and the process exits 0 within that
bound; with one worker and with two.

The requests are slow honestly: they say ``Expect: 100-continue`` and send their body only after
the SIGTERM (or never). The server's ``100 Continue`` shows that the app is already reading it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.fault_processes import free_port, healthy, refuses_connections, start_xinrong
from tests.support.faults import wait_for

QUERY = json.dumps({"query": "{ institutions { name } }"}).encode()
GRACE_S = 8  # --graceful-timeout: what a request in flight may still take after SIGTERM
JSON_HEADERS = {"Content-Type": "application/json"}
COUNTED_QUERIES = 'xinrong_http_requests_total{method="POST",route="/graphql",status="200"} 6.0'
MARGIN_S = 15  # for the app's own shutdown and a busy machine

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _request_in_flight(port: int) -> Connection:
    """A GraphQL request whose headers the app has and whose body it is waiting for."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(QUERY)
    )
    await writer.drain()
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    return reader, writer


async def _six_queries_are_counted(port: int) -> None:
    """Six GraphQL queries on connections of their own, then two scrapes that both count six."""
    base = f"http://127.0.0.1:{port}"
    for _ in range(6):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            answer = await http.post("/graphql", content=QUERY, headers=JSON_HEADERS)
            assert answer.status_code == 200, answer.text
    for _ in range(2):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            scraped = (await http.get("/metrics")).text
        assert COUNTED_QUERIES in scraped.splitlines(), scraped


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_lets_requests_in_flight_finish_within_the_grace_time_and_exits_0(
    fault_database_url: str, tmp_path: Path, workers: int
) -> None:
    # given the app served by `xinrong serve` on PostgreSQL
    port = free_port()
    log = tmp_path / "serve.log"
    process = await start_xinrong(
        # (the database is migrated and seeded already: --no-setup serves it as it is)
        *("serve", "--no-setup", "--port", str(port), "--workers", str(workers)),
        *("--graceful-timeout", str(GRACE_S)),
        database_url=fault_database_url,
        cwd=tmp_path,
        output=log,
    )
    try:

        async def up() -> bool:
            assert process.returncode is None, f"serve exited: {log.read_text()}"
            return await healthy(port)

        await wait_for(up, within=120, what="xinrong serve to answer /healthz", every=0.2)
        # and /metrics counts every worker's requests, whichever worker answers the scrape
        await _six_queries_are_counted(port)
        # and two requests in flight: one will finish, the other never sends its body
        finishing_reader, finishing = await _request_in_flight(port)
        stalled_reader, stalled = await _request_in_flight(port)
        # when the server is told to stop
        process.send_signal(signal.SIGTERM)
        told = time.monotonic()
        # then it refuses new connections at once
        await wait_for(lambda: refuses_connections(port), within=5, what="new connections refused")
        # and still answers the request in flight, whose body only now arrives
        for start in range(0, len(QUERY), 16):
            finishing.write(QUERY[start : start + 16])
            await finishing.drain()
        response = await asyncio.wait_for(finishing_reader.read(), GRACE_S)
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response
        assert json.loads(body)["data"]["institutions"], body
        # and cuts the stalled one off after the grace time, then exits 0
        code = await asyncio.wait_for(process.wait(), GRACE_S + MARGIN_S)
        assert code == 0, log.read_text()
        assert time.monotonic() - told >= GRACE_S - 1  # it did wait for the stalled request
        # (its connection is closed, not answered as if its body had come)
        assert not (await asyncio.wait_for(stalled_reader.read(), 5)).startswith(b"HTTP/1.1 200")
        finishing.close()
        stalled.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
