"""A database that cannot be reached (stopped, restarting, connection cut) told apart from other
errors, so that the plain HTTP endpoints answer 503 with a Chinese message, not a bare 500.

Nothing is half-written in that case: the request's transaction dies with its connection and
PostgreSQL rolls it back. The pool (``pool_pre_ping``) replaces the lost connections, so the
same process serves again as soon as the database is back.
"""

from __future__ import annotations

import logging
import traceback

from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    CrashShutdownError,
    PostgresConnectionError,
)
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("xinrong.db")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "数据库暂时无法连接，本次请求未完成，请稍后重试"
RETRY_AFTER_S = 5
# Connection refused or reset, server shutting down or starting up, connection gone.
_UNREACHABLE = (
    ConnectionError,
    PostgresConnectionError,
    AdminShutdownError,
    CrashShutdownError,
    CannotConnectNowError,
)


def _driver_timeout(exc: BaseException) -> bool:
    """A ``TimeoutError`` raised by the database driver: no answer to a statement within
    ``XINRONG_DB_COMMAND_TIMEOUT``, or to a connection attempt within the connect timeout (a
    network partition looks like this). Other timeouts (an HTTP call, say) are not the database."""
    if not isinstance(exc, TimeoutError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return any("/asyncpg/" in frame.filename for frame in frames)


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database could not be reached, did not
    answer in time, or the connection to it was lost, rather than that a statement failed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNREACHABLE) or _driver_timeout(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: 503 with ``SERVICE_UNAVAILABLE`` when the database is out of
    reach; any other error goes on to the usual 500."""
    if not database_unreachable(exc):
        raise exc
    log.error("database unreachable: %s %s answered 503", request.method, request.url.path)
    body = {
        "errors": [{"message": UNAVAILABLE_MESSAGE, "extensions": {"code": SERVICE_UNAVAILABLE}}]
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
