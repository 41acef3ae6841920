"""``POST /ingest/{category}``: the bulk path for data providers' systems.

    curl -X POST 'https://…/ingest/water_fee?batchId=water-2026-11' \\
         -H 'Authorization: Bearer <token>' -H 'Content-Type: application/x-ndjson' \\
         --data-binary @water.jsonl

Answers 200 with the batch (also for a replay), 4xx with ``errors`` for a refused call.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from backend.credit.bulk import ingest_stream
from backend.credit.formats import format_of
from backend.errors import DomainError, ErrorCode
from backend.identity.http_auth import request_actor
from backend.runtime import Runtime

_STATUS = {
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNKNOWN_CATEGORY: 404,
}


def _error(error: DomainError, status: int | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"code": error.code.value, "field": error.field, "message": error.message}]},
        status_code=status or _STATUS.get(error.code, 400),
    )


def _batch_json(outcome: Any) -> dict[str, Any]:
    batch = outcome.batch
    return {
        "batch": {
            "id": str(batch.id),
            "batchId": batch.external_batch_id,
            "category": batch.category,
            "status": batch.status,
            "accepted": batch.accepted,
            "rejected": batch.rejected,
            "allOrNothing": batch.all_or_nothing,
            "replayed": outcome.replayed,
        },
        "rowErrors": outcome.row_errors,
        "rowErrorsTruncated": outcome.errors_truncated,
        "errors": [],
    }


async def ingest_endpoint(request: Request) -> JSONResponse:
    """Stream the request body into one batch of ``category``."""
    runtime: Runtime = request.app.state.runtime
    actor = await request_actor(request, runtime)
    if actor is None:
        return _error(DomainError(ErrorCode.FORBIDDEN, "请先登录（Bearer 令牌）"), 401)
    try:
        outcome = await ingest_stream(
            runtime=runtime,
            actor=actor,
            batch_id=request.query_params.get("batchId", ""),
            category=request.path_params["category"],
            body=request.stream(),
            fmt=format_of(request.headers.get("content-type")),
            all_or_nothing=request.query_params.get("allOrNothing", "false").lower() == "true",
        )
    except DomainError as exc:
        return _error(exc)
    return JSONResponse(_batch_json(outcome))
