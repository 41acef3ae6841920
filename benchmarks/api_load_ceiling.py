"""The ceiling of ``benchmarks.api_load``: a plain Starlette app with one JSON endpoint.

Served by the same uvicorn, with the same number of workers, as the platform, so that the
difference between the two is the platform's own work (GraphQL, sessions, SQL, audit), not the
HTTP stack's or the load generator's.

    .venv/bin/uvicorn benchmarks.api_load_ceiling:app --workers 2 --port 8001
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

#: A body of the same order of size as a small GraphQL answer.
PAYLOAD = {"data": {"ping": {"ok": True, "message": "信融 ceiling", "items": list(range(20))}}}


async def ping(request: Request) -> JSONResponse:
    """Read the request body (as the GraphQL endpoint does) and answer a fixed JSON object."""
    await request.body()
    return JSONResponse(PAYLOAD)


async def healthz(_request: Request) -> JSONResponse:
    """Ready as soon as the worker answers."""
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/ping", ping, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
