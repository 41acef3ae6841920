"""The strawberry schema: domain queries and mutations merged, hardened with limits and masking."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.tools import merge_types

from backend.db.outage import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, database_unreachable
from backend.settings import Settings
from graphql_schema.audit import AuditQuery
from graphql_schema.consent import ConsentMutation, ConsentQuery
from graphql_schema.credit import CreditMutation
from graphql_schema.credit_code import CreditCodeMutation, CreditCodeQuery
from graphql_schema.credit_profile import CreditProfileQuery
from graphql_schema.declarations import DeclarationMutation, DeclarationQuery
from graphql_schema.identity import IdentityMutation, IdentityQuery
from graphql_schema.inbox import InboxMutation, InboxQuery
from graphql_schema.institutions import InstitutionMutation, InstitutionQuery
from graphql_schema.interface import InterfaceMutation, InterfaceQuery
from graphql_schema.lending import LendingMutation, LendingQuery
from graphql_schema.limits import validation_rules_extension
from graphql_schema.matches import MatchesMutation, MatchesQuery
from graphql_schema.objections import ObjectionMutation, ObjectionQuery
from graphql_schema.policies import PoliciesMutation, PoliciesQuery
from graphql_schema.products import ProductsMutation, ProductsQuery
from graphql_schema.reports import ReportQuery
from graphql_schema.risk import RiskMutation, RiskQuery
from graphql_schema.rules import RuleQuery
from graphql_schema.stats import StatsQuery
from graphql_schema.text_guard import RefuseNulCharacters

log = logging.getLogger("xinrong.graphql")

Query = merge_types(
    "Query",
    (
        IdentityQuery,
        InstitutionQuery,
        CreditProfileQuery,
        InterfaceQuery,
        DeclarationQuery,
        ObjectionQuery,
        InboxQuery,
        ConsentQuery,
        ReportQuery,
        RuleQuery,
        AuditQuery,
        ProductsQuery,
        LendingQuery,
        MatchesQuery,
        RiskQuery,
        StatsQuery,
        PoliciesQuery,
        CreditCodeQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        IdentityMutation,
        InstitutionMutation,
        CreditMutation,
        InterfaceMutation,
        DeclarationMutation,
        ObjectionMutation,
        InboxMutation,
        ConsentMutation,
        ProductsMutation,
        LendingMutation,
        MatchesMutation,
        RiskMutation,
        PoliciesMutation,
        CreditCodeMutation,
    ),
)

MASKED_MESSAGE = "服务器内部错误，请稍后重试（已记录，可凭请求编号查询）"
#: ``extensions.code`` of a masked error: an unexpected one, or the database out of reach.
INTERNAL_ERROR = "INTERNAL_ERROR"
#: ``extensions.code`` of an error in the document itself, found before anything ran: a syntax
#: error, or a query the schema or the limits refuse (unknown field, wrong argument or variable
#: type, too deep, too many aliases or tokens). The message (graphql-core's) says what.
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def with_document_code(error: GraphQLError) -> GraphQLError:
    """``error`` with a code when it has none: a document error (no ``path``) gets
    ``GRAPHQL_PARSE_FAILED`` or ``GRAPHQL_VALIDATION_FAILED``; anything else is unchanged."""
    if (error.extensions or {}).get("code") or error.path is not None:
        return error
    code = GRAPHQL_PARSE_FAILED if error.message.startswith("Syntax Error") else None
    error.extensions = {**(error.extensions or {}), "code": code or GRAPHQL_VALIDATION_FAILED}
    return error


def should_mask(error: GraphQLError) -> bool:
    """Mask errors raised by unexpected exceptions; keep validation and permission errors."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    if database_unreachable(original):
        log.warning("database unreachable in resolver: %r", original)
        return True
    log.error(
        "unexpected error in resolver",
        exc_info=(type(original), original, original.__traceback__),
        extra={"graphql_path": error.path},
    )
    return True


class MaskInternalErrors(MaskErrors):
    """strawberry's masking, with a code: ``SERVICE_UNAVAILABLE`` (and a message saying to retry)
    when the database could not be reached, else ``INTERNAL_ERROR`` and :data:`MASKED_MESSAGE`.
    (Errors in the document get theirs from :func:`with_document_code`, at the HTTP view: a
    syntax error never reaches this extension.)"""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The error without its cause: message, code, and where in the query it happened."""
        outage = error.original_error is not None and database_unreachable(error.original_error)
        return GraphQLError(
            message=UNAVAILABLE_MESSAGE if outage else self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": SERVICE_UNAVAILABLE if outage else INTERNAL_ERROR},
        )


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with caches, depth/alias/token limits and error masking for ``settings``."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            ParserCache,
            ValidationCache,
            validation_rules_extension(settings),
            RefuseNulCharacters,
            lambda: MaskInternalErrors(should_mask_error=should_mask, error_message=MASKED_MESSAGE),
        ],
    )


def export_sdl() -> str:
    """The schema's SDL (the same in every environment)."""
    return build_schema(Settings()).as_str() + "\n"
