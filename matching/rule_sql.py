"""A checked rule as a SQLAlchemy boolean expression, for set-based work over the
``enterprise_features`` table (one column per fact; NULL where a fact is unknown).

SQL's three-valued logic is the rule language's: a comparison with NULL is NULL, ``AND`` and
``OR`` follow Kleene, ``NOT NULL`` is NULL. So ``WHERE <expr>`` selects the ELIGIBLE firms,
``WHERE NOT <expr>`` the INELIGIBLE ones and ``<expr> IS NULL`` the UNKNOWN ones, exactly as
``matching.rules.evaluate`` answers them (a property test checks this on SQLite and PostgreSQL).
Nothing here touches a database: the caller passes the columns and runs the statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, case, false, literal, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from matching.facts import Fact
from matching.rules import Condition, Negation, Node, Rule


def compile_rule(rule: Rule, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    """The rule over ``columns`` (fact name → column)."""
    return _node(rule.root, columns)


def _node(node: Node, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
    if isinstance(node, Condition):
        return _condition(node, columns[node.fact.name])
    if isinstance(node, Negation):
        return not_(_node(node.child, columns))
    parts = [_node(child, columns) for child in node.children]
    return and_(*parts) if node.kind == "all" else or_(*parts)


def _rank(fact: Fact, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An ordered enum's position (NULL when the value is NULL)."""
    return case(*((column == value, index) for index, value in enumerate(fact.values)))


def _comparison(op: str, left: Any, right: Any) -> ColumnElement[bool]:
    comparisons = {
        "eq": lambda: left == right,
        "ne": lambda: left != right,
        "lt": lambda: left < right,
        "lte": lambda: left <= right,
        "gt": lambda: left > right,
        "gte": lambda: left >= right,
    }
    result: ColumnElement[bool] = comparisons[op]()
    return result


def _condition(condition: Condition, column: ColumnElement[Any]) -> ColumnElement[bool]:
    fact, op, value = condition.fact, condition.op, condition.value
    if op == "in":
        return column.in_(list(value))
    if op == "not_in":
        return column.not_in(list(value))
    if op in ("within_region", "within_industry"):
        return or_(*(column.startswith(prefix, autoescape=True) for prefix in value))
    if fact.kind == "boolean":
        wanted = true() if value else false()
        return column == wanted if op == "eq" else column != wanted
    if fact.kind == "enum" and fact.ordered:
        rank = _rank(fact, column)
        if op == "between":
            low, high = (fact.values.index(v) for v in value)
            return rank.between(literal(low), literal(high))
        return _comparison(op, rank, literal(fact.values.index(value)))
    if op == "between":
        return column.between(literal(value[0]), literal(value[1]))
    return _comparison(op, column, literal(value))
