"""A TCP proxy in front of PostgreSQL that can stop passing bytes without closing anything: what
a network partition looks like to the app (no reset, no error, just silence), then heal."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class PartitionProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``freeze`` holds every byte in both directions
    (connections stay open), ``heal`` cuts the connections that lived through the partition (a
    reset on both sides) and passes bytes again."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def freeze(self) -> None:
        """From now on no byte passes, either way, on old or new connections."""
        self._flowing.clear()

    def heal(self) -> None:
        """Cut the connections that saw the partition and let bytes pass again.

        The cut is a reset, not a close: nothing held back is flushed first, and PostgreSQL ends
        each server process at once, rolling back its open transaction and releasing its locks,
        even one stuck sending to the silent proxy. A graceful close could wait for such a flush
        forever, and the transaction would go on holding its locks (a batch id, a job's row)
        against the requests that come after the partition.
        """
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        self._flowing.set()

    async def close(self) -> None:
        """Stop listening and close everything."""
        self.heal()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        self._track(self._serve(reader, client))

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        await self._flowing.wait()  # a connection attempt during the partition gets no answer
        upstream_reader, upstream = await asyncio.open_connection(*self._target)
        self._writers += [client, upstream]
        self._track(self._pipe(client_reader, upstream))
        self._track(self._pipe(upstream_reader, client))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self._flowing.wait()
                if sink.is_closing():
                    return
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            return  # one side went away (or heal closed it): the other side is closed below
        finally:
            sink.close()
