"""``GET /statistics/export.csv``: government staff download the statistics for Excel.

    curl -OJ 'https://…/statistics/export.csv?regionCode=3713&from=2026-01-01&to=2026-06-30' \\
         -H 'Authorization: Bearer <government token>'

The parameters are those of ``platformStatistics`` (all optional; dates ``YYYY-MM-DD``, China
time, inclusive). Answers 200 with ``text/csv`` (UTF-8 with BOM); 401 without a valid token, 403
for any role but GOVERNMENT, 400 for bad parameters, each with ``errors: [{code, field, message}]``.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.http_auth import request_actor
from backend.runtime import Runtime
from backend.stats.export import statistics_csv
from backend.stats.service import platform_statistics, require_government


def _error(code: str, message: str, status: int, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"code": code, "field": field, "message": message}]}, status_code=status
    )


def _date(raw: str | None, field: str) -> date | None:
    """A ``YYYY-MM-DD`` query parameter; absent or empty means the default."""
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "日期格式应为 YYYY-MM-DD（如 2026-01-31）", field
        ) from None


async def export_endpoint(request: Request) -> Response:
    """Check the caller is government staff, compute the figures and send them as CSV."""
    runtime: Runtime = request.app.state.runtime
    actor = await request_actor(request, runtime)
    if actor is None:
        return _error("NOT_AUTHENTICATED", "请先登录（Bearer 令牌）", 401)
    params = request.query_params
    try:
        require_government(actor)  # before the parameters: others learn nothing more
        date_from, date_to = check_each(
            lambda: _date(params.get("from"), "from"), lambda: _date(params.get("to"), "to")
        )
        async with runtime.sessionmaker() as session:
            stats = await platform_statistics(
                session=session,
                actor=actor,
                region_code=params.get("regionCode"),
                date_from=date_from,
                date_to=date_to,
            )
    except DomainError as exc:
        status = 403 if exc.code == ErrorCode.FORBIDDEN else 400
        errors = [{"code": e.code.value, "field": e.field, "message": e.message} for e in exc.all]
        return JSONResponse({"errors": errors}, status_code=status)
    scope = stats.scope
    name = (
        f"xinrong-statistics-{scope.region_prefix or 'all'}-"
        f"{scope.date_from.isoformat()}_{scope.date_to.isoformat()}.csv"
    )
    return Response(
        statistics_csv(stats),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
