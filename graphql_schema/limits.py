"""Depth, alias and introspection rules, built once so the validation cache keeps hitting.

strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` used as factories build new rule
classes on every request, and ``ValidationCache`` is keyed by the rules, so it never hits (see
reference/STACK_NOTES.md). Here the rule classes are made once per schema and added through one
``AddValidationRules`` factory.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from backend.settings import Settings


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The extra validation rules for ``settings`` (introspection refused in production)."""
    rules: list[type[ASTValidationRule]] = [
        depth_validator(settings.graphql_max_depth, None, None),
        alias_validator(settings.graphql_max_aliases),
    ]
    if settings.is_production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def validation_rules_extension(settings: Settings) -> Callable[[], AddValidationRules]:
    """A factory of the extension that adds the same rule classes to every request."""
    rules = validation_rules(settings)
    return lambda: AddValidationRules(rules)
