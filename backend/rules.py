"""Eligibility rules as services see them: a RuleError becomes INVALID_RULE with the bad node's
path under the input field (``eligibility.all[2].value``), so products and policies refuse a bad
rule at publish time with a message a bank's integrator can act on."""

from __future__ import annotations

from typing import Any

from backend.errors import DomainError, ErrorCode
from matching.rules import Rule, RuleError, parse_rule


def check_rule(raw: Any, field: str = "eligibility") -> Rule:
    """The checked rule, or DomainError(INVALID_RULE) naming ``field`` and the node's path."""
    try:
        return parse_rule(raw)
    except RuleError as exc:
        path = field if exc.path == "rule" else f"{field}.{exc.path}"
        raise DomainError(ErrorCode.INVALID_RULE, f"规则无效：{exc.message}", field=path) from exc
