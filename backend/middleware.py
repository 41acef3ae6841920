"""Pure ASGI middleware: request id, client address, access log, metrics, body size limit."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.observability import HTTP_LATENCY, HTTP_REQUESTS, request_id_var

log = logging.getLogger("xinrong.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_KNOWN_ROUTES = {"/graphql", "/healthz", "/metrics"}
_PAGE_POLICY = (
    b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)


class BodyTooLarge(Exception):
    """The request body passed the configured limit while streaming."""


def _route_label(path: str) -> str:
    """A bounded label for metrics: known endpoints by name, everything else as static."""
    if path in _KNOWN_ROUTES:
        return path
    if path.startswith("/ingest/"):
        return "/ingest/{category}"
    return "static"


def client_address(scope: Scope, trusted_proxies: tuple[str, ...]) -> str | None:
    """The caller's address; X-Forwarded-For is believed only from a trusted proxy."""
    peer = scope.get("client")
    host = peer[0] if peer else None
    if host and host in trusted_proxies:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                candidate = value.decode("latin-1").split(",")[-1].strip()
                try:
                    ipaddress.ip_address(candidate)
                except ValueError:
                    break
                return candidate
    return host


class RequestMiddleware:
    """Gives each request an id (kept from ``X-Request-ID`` when sane), limits the body size,
    logs one JSON line and counts it in Prometheus."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_ingest_bytes: int,
        trusted_proxies: tuple[str, ...],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_ingest_bytes = max_ingest_bytes
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (other scopes pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_ip"] = client_address(scope, self.trusted_proxies)
        started = time.perf_counter()
        status_holder = {"status": 500}
        route = _route_label(scope.get("path", ""))
        limit = self.max_ingest_bytes if route == "/ingest/{category}" else self.max_body_bytes

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                extra = [(b"x-request-id", request_id.encode()), *_SECURITY_HEADERS]
                if route != "/graphql":
                    extra.append((b"content-security-policy", _PAGE_POLICY))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._refuse_too_large(send_wrapper)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_wrapper)
            except BodyTooLarge:
                await self._refuse_too_large(send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            status = status_holder["status"]
            HTTP_REQUESTS.labels(scope.get("method", ""), route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client_ip": state.get("client_ip"),
                },
            )
            request_id_var.reset(token)

    async def _refuse_too_large(self, send: Send) -> None:
        body = json.dumps(
            {"errors": [{"message": "请求体过大", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]},
            ensure_ascii=False,
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
