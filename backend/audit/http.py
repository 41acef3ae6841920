"""``GET /audit/export``: an auditor downloads a stretch of the audit log for a regulator.

    curl -OJ 'https://…/audit/export?from=2026-11-01&to=2026-12-01' \\
         -H 'Authorization: Bearer <auditor token>'

Dates are China time, ``to`` exclusive. Answers 200 with ``application/x-ndjson`` (one audit row
per line, the manifest last), streamed; 401 without a valid token, 403 for any role but AUDITOR,
400 for bad dates, each with ``errors: [{code, field, message}]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from backend.audit.export import ExportPlan, day_range, jsonl_line, start_export, stream_plan
from backend.audit.queries import require_auditor
from backend.errors import DomainError, ErrorCode
from backend.identity.http_auth import request_actor
from backend.runtime import Runtime

_FLUSH_BYTES = 64 * 1024


def _error(code: str, message: str, status: int, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"code": code, "field": field, "message": message}]}, status_code=status
    )


async def _body(runtime: Runtime, plan: ExportPlan) -> AsyncIterator[bytes]:
    """The export's lines, sent in blocks of about 64 KiB."""
    async with runtime.sessionmaker() as session:
        block: list[bytes] = []
        size = 0
        async for item in stream_plan(session, keyring=runtime.keyring, plan=plan):
            line = jsonl_line(item).encode("utf-8")
            block.append(line)
            size += len(line)
            if size >= _FLUSH_BYTES:
                yield b"".join(block)
                block, size = [], 0
        if block:
            yield b"".join(block)


async def export_endpoint(request: Request) -> Response:
    """Check the caller is an auditor, record the export, then stream it."""
    runtime: Runtime = request.app.state.runtime
    actor = await request_actor(request, runtime)
    if actor is None:
        return _error("NOT_AUTHENTICATED", "请先登录（Bearer 令牌）", 401)
    try:
        require_auditor(actor, "导出审计日志")  # before the dates: others learn nothing more
        occurred_from, occurred_to = day_range(
            request.query_params.get("from"), request.query_params.get("to")
        )
        async with runtime.sessionmaker() as session:
            plan = await start_export(
                session=session,
                runtime=runtime,
                actor=actor,
                occurred_from=occurred_from,
                occurred_to=occurred_to,
                destination="http",
            )
            await session.commit()
    except DomainError as exc:
        status = 403 if exc.code == ErrorCode.FORBIDDEN else 400
        return _error(exc.code.value, exc.message, status, exc.field)
    name = (
        f"xinrong-audit-{occurred_from.date().isoformat()}_{occurred_to.date().isoformat()}.jsonl"
    )
    return StreamingResponse(
        _body(runtime, plan),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
