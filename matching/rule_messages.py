"""Chinese sentences for rule conditions: what the rule asks, and what the enterprise has.

``成立年限需≥2年，当前1年``; ``纳税信用等级需≥B级，当前为M级``;
``需未列入失信名单，当前列入失信被执行人或严重失信主体名单``. A condition under ``not`` is said the
way the rule means it (``not on_dishonest_list = true`` reads "需未列入…").
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from matching.facts import OP_SYMBOLS, Fact

if TYPE_CHECKING:
    from matching.rules import ConditionResult

NEGATED_OP: Final[dict[str, str]] = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "lte": "gt",
    "gt": "lte",
    "gte": "lt",
    "in": "not_in",
    "not_in": "in",
    "between": "not_between",
    "within_region": "not_within",
    "within_industry": "not_within",
}
UNKNOWN: Final = "暂无数据"
_TEN_THOUSAND: Final = Decimal(10000)


def number_text(value: Any, unit: str) -> str:
    """A number with its unit: whole numbers without decimals, large yuan amounts in 万元."""
    # The text depends on ``str(value)`` alone (a Decimal's ``str`` is exact, sign of zero and
    # exponent included), and catalogues repeat their thresholds: written once per distinct text.
    return _number_text(str(value), unit)


@lru_cache(maxsize=4096)
def _number_text(written: str, unit: str) -> str:
    number = Decimal(written)
    if unit == "元" and abs(number) >= _TEN_THOUSAND:
        return f"{_plain(number / _TEN_THOUSAND)}万元"
    return f"{_plain(number)}{unit}"


def _plain(number: Decimal) -> str:
    text = format(number.quantize(Decimal("0.01")).normalize(), "f")
    return text


def value_text(fact: Fact, value: Any) -> str:
    """One value of ``fact`` as a person reads it."""
    if value is None:
        return UNKNOWN
    if fact.kind == "number":
        return number_text(value, fact.unit)
    if fact.kind == "boolean":
        return fact.phrases[0] if value else fact.phrases[1]
    if fact.kind == "enum":
        return fact.value_label(str(value))
    return str(value)


def _list_text(fact: Fact, values: Any) -> str:
    return "、".join(value_text(fact, v) for v in values)


def _asks(fact: Fact, op: str, value: Any) -> str:
    label = fact.label
    if fact.kind == "boolean":
        wanted = value if op == "eq" else not value
        return f"需{value_text(fact, wanted)}"
    if op in OP_SYMBOLS:
        if fact.kind in ("number",) or fact.ordered:
            return f"{label}需{OP_SYMBOLS[op]}{value_text(fact, value)}"
        verb = "需为" if op == "eq" else "不能为"
        return f"{label}{verb}{value_text(fact, value)}"
    if op == "between":
        return f"{label}需在{value_text(fact, value[0])}至{value_text(fact, value[1])}之间"
    if op == "not_between":
        return f"{label}不能在{value_text(fact, value[0])}至{value_text(fact, value[1])}之间"
    if op == "in":
        return f"{label}需为{_list_text(fact, value)}之一"
    if op == "not_in":
        return f"{label}不能为{_list_text(fact, value)}"
    if op in ("within_region", "within_industry"):
        return f"{label}需在{_list_text(fact, value)}范围内"
    return f"{label}不能在{_list_text(fact, value)}范围内"  # not_within


def describe(result: ConditionResult) -> str:
    """``<what the rule asks>，当前<what the enterprise has>``."""
    condition, negated = result.condition, result.negated
    fact = condition.fact
    asks = condition.wording.get(negated)
    if asks is None:
        op = NEGATED_OP[condition.op] if negated else condition.op
        asks = condition.wording[negated] = _asks(fact, op, condition.value)
    has = value_text(fact, result.actual)
    if fact.kind in ("enum", "region", "industry") and result.actual is not None:
        has = f"为{has}"
    return f"{asks}，当前{has}"
