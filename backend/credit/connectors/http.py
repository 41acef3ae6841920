"""The httpx connector: timeouts, retries with back-off on transient failures, circuit breaker.

A provider's interface answers two calls (documented in docs/data-providers.md):

    GET  {base_url}/records?category=water_fee&uscc=…      → {"records": [{…}, …]}
    POST {base_url}/verify {"category", "uscc", "claim"}   → {"match": true | false}
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from backend.credit.connectors.breaker import CircuitBreaker, CircuitOpen

log = logging.getLogger("xinrong.connectors")


class ProviderUnavailable(Exception):
    """The provider did not answer usefully (timeouts, errors, open breaker)."""


class HttpConnector:
    """Calls one provider's interface."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 3.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout_s)
        self.retries = retries
        self.backoff_s = backoff_s
        self.breaker = breaker or CircuitBreaker()
        self._transport = transport

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            self.breaker.before_call()
        except CircuitOpen as exc:
            raise ProviderUnavailable("circuit open") from exc
        last: Exception | None = None
        async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
            for attempt in range(self.retries + 1):
                try:
                    response = await client.request(method, self.base_url + path, **kwargs)
                    if response.status_code >= 500:
                        raise httpx.HTTPStatusError(
                            f"status {response.status_code}",
                            request=response.request,
                            response=response,
                        )
                    response.raise_for_status()  # a 4xx is our mistake: no retry
                    body = response.json()
                    if not isinstance(body, dict):
                        raise ValueError("answer is not a JSON object")
                    self.breaker.succeeded()
                    return body
                except (httpx.TransportError, httpx.HTTPStatusError, ValueError) as exc:
                    last = exc
                    transient = isinstance(exc, httpx.TransportError) or (
                        isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500
                    )
                    log.warning(
                        "provider call failed",
                        extra={
                            "path": path,
                            "status": getattr(getattr(exc, "response", None), "status_code", None),
                        },
                    )
                    if not transient or attempt == self.retries:
                        break
                    await asyncio.sleep(self.backoff_s * 2**attempt)
        self.breaker.failed()
        raise ProviderUnavailable(str(last)) from last

    async def fetch(self, *, category: str, uscc: str) -> list[Any]:
        """The provider's current records of ``category`` about ``uscc``."""
        body = await self._request("GET", "/records", params={"category": category, "uscc": uscc})
        records = body.get("records")
        if not isinstance(records, list):
            raise ProviderUnavailable("answer has no records list")
        return records

    async def verify(self, *, category: str, uscc: str, claim: dict[str, Any]) -> bool:
        """Ask the provider whether ``claim`` matches its data (True/False)."""
        body = await self._request(
            "POST", "/verify", json={"category": category, "uscc": uscc, "claim": claim}
        )
        match = body.get("match")
        if not isinstance(match, bool):
            raise ProviderUnavailable("answer has no match flag")
        return match
