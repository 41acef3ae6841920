"""A lean HTTP/1.1 keep-alive connection for the load generator (httptools parses the answers).

httpx costs about 1.8 ms of CPU per request on these cores, seven times what the ceiling app
spends answering it: on two shared cores the generator, not the server, set the ceiling. This
client sends prepared request bytes over one asyncio stream and lets httptools (the C parser
uvicorn itself uses) find the status, the body (with Content-Length or chunked) and whether the
server keeps the connection open; a connection that closes or fails is opened again for the
next request.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import httptools

READ_SIZE = 256 * 1024


def post_request(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The bytes of ``POST url`` with ``body`` and ``headers`` (keep-alive, JSON)."""
    parts = urlsplit(url)
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class KeepAliveConnection:
    """One client's connection: send a prepared request, get (status, body) back."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._body: list[bytes] = []
        self._complete = False

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        """Part of the answer's body."""
        self._body.append(body)

    def on_message_complete(self) -> None:
        """The whole answer is in."""
        self._complete = True

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw`` and read the answer; reconnects first when the last one closed. A failed
        or cancelled (timed-out) exchange closes the connection: its state is unknown."""
        try:
            return await self._exchange(raw)
        except BaseException:
            await self.close()
            raise

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self._body, self._complete = [], False
        parser = httptools.HttpResponseParser(self)
        self.writer.write(raw)
        while not self._complete:
            data = await self.reader.read(READ_SIZE)
            if not data:
                raise ConnectionError("the server closed the connection mid-answer")
            parser.feed_data(data)
        if not parser.should_keep_alive():
            await self.close()
        return parser.get_status_code(), b"".join(self._body)

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            # A connection the server already reset is closed, which is all we wanted.
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
