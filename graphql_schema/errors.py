"""``UserError`` for mutation payloads and the GraphQL enum of stable error codes."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from backend.errors import DomainError
from backend.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="稳定的错误代码")


@strawberry.type(
    description="An expected failure: a stable code, the input field and a Chinese message."
)
class UserError:
    code: ErrorCode
    field: str | None
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        """Shape a service's DomainError for the payload."""
        return cls(code=error.code, field=error.field, message=error.message)


def query_error(error: DomainError) -> GraphQLError:
    """A DomainError raised by a query that returns no payload: a GraphQL error with its code."""
    return GraphQLError(error.message, extensions={"code": error.code.value, "field": error.field})
