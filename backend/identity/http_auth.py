"""Bearer tokens on plain HTTP endpoints (``/ingest``, ``/audit/export``) and the GraphQL view."""

from __future__ import annotations

from starlette.requests import Request

from backend.identity import service as identity
from backend.runtime import Runtime
from backend.security.actor import Actor


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    return token or None


async def request_actor(request: Request, runtime: Runtime) -> Actor | None:
    """The actor behind the request's bearer token (session or API token), or None."""
    token = bearer_token(request)
    if token is None:
        return None
    async with runtime.sessionmaker() as session:
        found = await identity.authenticate(session=session, token=token)
        await session.commit()  # an API token's last use
    if found is None:
        return None
    state = request.scope.get("state", {})
    return identity.actor_for(
        found.account,
        client_ip=state.get("client_ip"),
        request_id=state.get("request_id"),
        api_token=found.api_token,
    )
