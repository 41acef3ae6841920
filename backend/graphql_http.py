"""The GraphQL endpoint's HTTP layer: a request that is not a GraphQL request gets a 4xx with a
stable code and a Chinese message in the usual ``errors`` shape, never a 500.

strawberry answers most malformed requests with a plain-text English 400 and lets a few through
as exceptions (500): a JSON body whose top level is not an object, a body that is not UTF-8,
JSON nested deeper than Python's recursion limit. Here the body is decoded strictly and every
refusal is answered in JSON.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from graphql_schema.schema import with_document_code

BAD_REQUEST = "BAD_REQUEST"

# strawberry's reasons (English) → what the caller is told.
_MESSAGES = {
    "Unable to parse request body as JSON": "请求体不是有效的 JSON",
    "Unsupported content type": "请求的 Content-Type 应为 application/json",
    "Batching is not enabled": "不支持批量请求：每次请求只能提交一个 GraphQL 操作",
    "No GraphQL query found in the request": "请求中没有 GraphQL 查询（query）",
    "mutations are not allowed when using GET": "变更操作只能用 POST 提交",
    "queries are not allowed when using GET": "查询请用 POST 提交",
    "The GraphQL operation's `query` must be a string or null, if provided.": "query 应为字符串",
    "The GraphQL operation's `variables` must be an object or null, if provided.": (
        "variables 应为 JSON 对象"
    ),
    "The GraphQL operation's `extensions` must be an object or null, if provided.": (
        "extensions 应为 JSON 对象"
    ),
    "GraphQL only supports GET and POST requests.": "仅支持 GET 和 POST 请求",
    "Not Found": "未找到",
}
_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class RequestRefused(HTTPException):
    """A refusal whose reason is already the Chinese message for the caller."""


def refusal_body(status: int, reason: str) -> dict[str, Any]:
    """The ``errors`` body for a refused request: a stable code and a Chinese message."""
    if isinstance(reason, str) and reason.startswith("Unknown operation named"):
        message = "找不到 operationName 指定的操作"
    else:
        message = _MESSAGES.get(reason, reason if _is_chinese(reason) else "请求无效")
    return {
        "errors": [{"message": message, "extensions": {"code": _CODES.get(status, BAD_REQUEST)}}]
    }


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class GuardedGraphQL(GraphQL):
    """strawberry's ASGI view with strict body decoding and JSON refusals."""

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """The response body; errors in the document itself get their ``extensions.code``."""
        if result.errors:
            result.errors = [with_document_code(error) for error in result.errors]
        return await super().process_result(request, result)

    def decode_json(self, data: str | bytes) -> object:
        """Decode a JSON body: UTF-8 only, not nested past the recursion limit, an object."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            raise RequestRefused(400, "请求体应为 UTF-8 编码的 JSON") from exc
        try:
            decoded = json.loads(text)
        except RecursionError as exc:
            raise RequestRefused(400, "请求体的 JSON 嵌套过深") from exc
        if not isinstance(decoded, dict | list):
            raise RequestRefused(400, '请求体应为 JSON 对象，形如 {"query": "…"}')
        return decoded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request; a refusal is answered in JSON instead of strawberry's plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = JSONResponse(
                refusal_body(exc.status_code, exc.reason), status_code=exc.status_code
            )
        await response(scope, receive, send)
