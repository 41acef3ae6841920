"""The Starlette application: /graphql, /healthz, /metrics and the web page at /."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from backend.audit.http import export_endpoint
from backend.credit.http import ingest_endpoint
from backend.db.outage import database_unavailable
from backend.enterprises.credit_code_page import credit_code_page
from backend.graphql_http import GuardedGraphQL
from backend.identity.http_auth import bearer_token
from backend.middleware import RequestMiddleware
from backend.observability import configure_logging, metrics_exposition
from backend.policies.worker import poll_forever
from backend.runtime import Runtime
from backend.settings import Settings, load_settings
from backend.stats.http import export_endpoint as statistics_export_endpoint
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from matching.text import warm_up

log = logging.getLogger("xinrong.app")
WEB_DIR = Path(__file__).resolve().parents[1] / "web"


class XinrongGraphQL(GuardedGraphQL):
    """strawberry's ASGI view (strict body, JSON refusals) with our per-request context."""

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime

    async def get_context(self, request: Request, response: Response | None = None) -> Context:
        """Build the context from the request's bearer token and the middleware's metadata."""
        state = request.scope.get("state", {})
        return Context(
            runtime=self.runtime,
            request_id=state.get("request_id"),
            client_ip=state.get("client_ip"),
            user_agent=request.headers.get("user-agent"),
            bearer_token=bearer_token(request),
            idempotency_key=request.headers.get("idempotency-key"),
            base_url=str(request.base_url),
        )

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """Run the operation, then give its database connection back to the pool."""
        context: Context = kwargs["context"] if "context" in kwargs else args[3]
        try:
            return await super().execute_operation(*args, **kwargs)
        finally:
            await context.release()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """Build the app; ``runtime`` may be passed in (tests) or is built from ``settings``."""
    settings = settings or (runtime.settings if runtime else load_settings())
    configure_logging(settings.log_level)
    runtime = runtime or Runtime.build(settings)
    graphql_app = XinrongGraphQL(
        runtime,
        schema=build_schema(settings),
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
    )

    async def healthz(_request: Request) -> Response:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to answer SELECT 1 means unhealthy
            # One line per failed check (a balancer checks every few seconds): the reason, no
            # traceback.
            log.warning("health check failed: database unreachable: %r", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(_request: Request) -> Response:
        body, media_type = metrics_exposition()
        return Response(body, media_type=media_type)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # jieba builds its dictionary on first use (~0.6 s): build it now, off the event loop,
        # so that the first productMatches after a start does not pay for it.
        await asyncio.to_thread(warm_up)
        # Policy pushes left unfinished by a stopped instance resume here (or on any instance).
        runtime.spawn("policy-push-poller", poll_forever(runtime))
        yield
        await runtime.close()

    routes = [
        # Every method reaches the view, which refuses all but GET and POST in JSON (405).
        Route("/graphql", graphql_app),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/ingest/{category}", ingest_endpoint, methods=["POST"]),
        Route("/audit/export", export_endpoint, methods=["GET"]),
        Route("/statistics/export.csv", statistics_export_endpoint, methods=["GET"]),
        Route("/c/{slug:path}", credit_code_page, methods=["GET"]),
        Mount("/", app=StaticFiles(directory=WEB_DIR, html=True), name="web"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                RequestMiddleware,
                max_body_bytes=settings.max_body_bytes,
                max_ingest_bytes=settings.max_ingest_bytes,
                trusted_proxies=settings.trusted_proxies,
            )
        ],
        lifespan=lifespan,
        # The database out of reach (restarting, stopped): 503 and a Chinese message, not a 500.
        exception_handlers={DBAPIError: database_unavailable, OSError: database_unavailable},
    )
    app.state.runtime = runtime
    return app


def create_app_from_environment() -> Starlette:
    """The app built from the process environment: the factory ``uvicorn --factory`` and
    ``xinrong serve --workers N`` give each worker process (settings come from ``XINRONG_*``)."""
    return create_app(load_settings())
