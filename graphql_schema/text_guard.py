"""Refuse text holding the NUL character (U+0000) before any resolver runs.

No field of the platform has a use for it, and PostgreSQL cannot store it in ``text`` or
``jsonb``: let through, it fails deep inside a transaction as an internal error. It is looked
for in every variable (keys and values, at any depth) and every string literal of the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from backend.errors import ErrorCode

NUL = "\x00"
MESSAGE = "输入的文本中不能含有空字符（U+0000）"


def holds_nul(value: Any) -> bool:
    """Whether any string in ``value`` (a JSON-like structure of any depth) contains NUL."""
    pending = [value]
    while pending:  # no recursion: variables may be nested as deep as the JSON parser allows
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class _NulLiteral(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        if NUL in node.value:
            self.found = True


def document_holds_nul(document: DocumentNode | None) -> bool:
    """Whether a string literal of ``document`` contains NUL (written as an escape)."""
    if document is None:
        return False
    visitor = _NulLiteral()
    visit(document, visitor)
    return visitor.found


def _may_write_nul(query: str | None) -> bool:
    """Whether the document's text could hold NUL at all: as itself or as a ``\\u`` escape.
    Almost no query has either, and then its parsed tree need not be walked."""
    return query is not None and (NUL in query or "\\u" in query)


class RefuseNulCharacters(SchemaExtension):
    """Answers an operation whose input holds NUL with one VALIDATION_ERROR, unexecuted."""

    def on_execute(self) -> Iterator[None]:
        """Skip execution (the result is set already) when the input holds NUL."""
        context = self.execution_context
        if holds_nul(context.variables) or (
            _may_write_nul(context.query) and document_holds_nul(context.graphql_document)
        ):
            error = GraphQLError(MESSAGE, extensions={"code": ErrorCode.VALIDATION_ERROR.value})
            context.result = ExecutionResult(data=None, errors=[error])
        yield
