"""A small GraphQL client for tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLResult:
    """A GraphQL response: data, errors and the HTTP status."""

    status: int
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def error_codes(self) -> list[str | None]:
        """``extensions.code`` of each top-level GraphQL error."""
        return [e.get("extensions", {}).get("code") for e in self.errors]


@dataclass
class GraphQLClient:
    """Posts documents to /graphql, optionally as a signed-in user."""

    http: httpx.AsyncClient
    # Called with (token, raw response text) after every request: the suite-wide leak check.
    inspect: Callable[[str | None, str], Awaitable[None]] | None = None

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResult:
        """Send one operation and return its result."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        if self.inspect is not None:
            await self.inspect(token, response.text)
        body = response.json()
        return GraphQLResult(response.status_code, body.get("data"), body.get("errors") or [])
