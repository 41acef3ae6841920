"""What every generated call's response must look like: no 5xx, every error masked and coded.

An error raised while executing a field (it has a ``path``) must carry an ``extensions.code`` from
the contract and must not be the masked "internal error" message: a masked error means a resolver
raised something unexpected, which is a bug even though nothing leaked. An error without a path is
about the request itself (syntax, validation, a scalar that does not parse) and is allowed, as
long as no internal detail shows in any error: tracebacks, SQL, driver or Python exception names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from backend.errors import ErrorCode
from graphql_schema.schema import MASKED_MESSAGE

KNOWN_CODES = frozenset(code.value for code in ErrorCode) | {"NOT_AUTHENTICATED", "FORBIDDEN"}

INTERNAL_DETAIL = re.compile(
    r"Traceback|File \\?\"|\[SQL:|Background on this error|sqlalche\.me|site-packages|"
    r"\b(?:sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg2?|strawberry|backend|graphql_schema)\.|"
    r"\b(?:Integrity|Operational|Programming|Data|DBAPI|Interface|Internal|Key|Type|Attribute|"
    r"Index|Name|Unicode(?:Encode|Decode)?|Zero(?:Division)?|Overflow|Recursion|Assertion|"
    r"Runtime|Lookup|Timeout|Connection)Error\b|"
    r"\bInvalidOperation\b|ConversionSyntax|<class '|NoneType|object has no attribute|"
    r"\bcoroutine\b|\bUniqueViolation|\bNotNullViolation|\bForeignKeyViolation|"
    r"\bCheckViolation|\bduplicate key value\b|\bviolates\b.*\bconstraint\b|UNIQUE constraint",
)


class FuzzFailure(AssertionError):
    """A generated call got a response the app must never give."""


def check_response(document: str, status: int, text: str) -> dict[str, Any]:
    """Fail unless the response to ``document`` is a clean GraphQL answer; return its body."""
    if status >= 500:
        raise FuzzFailure(f"HTTP {status} for:\n{document}\n{text[:2000]}")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise FuzzFailure(
            f"HTTP {status} answered with non-JSON for:\n{document}\n{text[:500]}"
        ) from exc
    if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
        raise FuzzFailure(
            f"HTTP {status} answered without data or errors:\n{document}\n{text[:500]}"
        )
    for error in body.get("errors") or []:
        _check_error(document, error)
    leaked = INTERNAL_DETAIL.search(text)
    if leaked:  # a payload's UserError message, or anything else in the data
        raise FuzzFailure(
            f"internal detail {leaked.group(0)!r} in a response:\n{document}\n{text[:2000]}"
        )
    return body


def _check_error(document: str, error: dict[str, Any]) -> None:
    message = str(error.get("message", ""))
    shown = json.dumps(error, ensure_ascii=False)
    leaked = INTERNAL_DETAIL.search(shown)
    if leaked:
        raise FuzzFailure(f"internal detail {leaked.group(0)!r} in an error:\n{document}\n{shown}")
    if message == MASKED_MESSAGE:
        raise FuzzFailure(f"a resolver raised an unexpected exception (masked):\n{document}")
    if error.get("path") is None:
        return  # the request itself is invalid: syntax, validation, a scalar that does not parse
    code = (error.get("extensions") or {}).get("code")
    if code not in KNOWN_CODES:
        raise FuzzFailure(
            f"an execution error without a known code ({code!r}):\n{document}\n{shown}"
        )
