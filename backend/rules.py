"""Eligibility rules as services see them: a RuleError becomes INVALID_RULE with the bad node's
path under the input field (``eligibility.all[2].value``), so products and policies refuse a bad
rule at publish time with a message a bank's integrator can act on."""

from __future__ import annotations

from typing import Any

from backend.errors import DomainError, ErrorCode
from backend.identity.regions import region_name
from matching.rules import ConditionResult, Rule, RuleError, parse_rule


def check_rule(raw: Any, field: str = "eligibility") -> Rule:
    """The checked rule, or DomainError(INVALID_RULE) naming ``field`` and the node's path."""
    try:
        return parse_rule(raw)
    except RuleError as exc:
        path = field if exc.path == "rule" else f"{field}.{exc.path}"
        raise DomainError(ErrorCode.INVALID_RULE, f"规则无效：{exc.message}", field=path) from exc


def sentence(result: ConditionResult) -> str:
    """A condition's Chinese sentence for a firm, with places named (``注册地需在山东省临沂市
    范围内，当前为山东省临沂市兰山区``) where the engine, which reads no region table, gives
    codes; otherwise the engine's own sentence."""
    condition = result.condition
    if condition.op != "within_region":
        return result.message
    places = "、".join(region_name(code.ljust(6, "0")) or code for code in condition.value)
    verb = "不能" if result.negated else "需"
    asks = f"{condition.fact.label}{verb}在{places}范围内"
    if result.actual is None:
        return f"{asks}，当前暂无数据"
    return f"{asks}，当前为{region_name(str(result.actual)) or result.actual}"
