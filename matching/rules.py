"""The eligibility rule language: parse and check, evaluate in three states, explain.

A rule is JSON (CONTRACT.md, "The rule language")::

    {"all": [{"fact": "years_in_business", "op": "gte", "value": 2},
             {"not": {"fact": "on_dishonest_list", "op": "eq", "value": true}}]}

``parse_rule`` refuses a bad rule with :class:`RuleError` naming the path of the bad node
(``all[1].not.value``) and a Chinese message. ``evaluate`` answers ELIGIBLE, INELIGIBLE or UNKNOWN
(a fact the decision needs is missing: never guessed) with every condition's outcome, expected
and actual value and a Chinese sentence. The logic is Kleene's three-valued logic, which is also
SQL's, so ``compile_to_sql`` (``matching.rule_sql``) gives the same answers over the
``enterprise_features`` table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from typing import Any, Final

from matching.facts import CATALOG, Fact
from matching.rule_messages import describe

MAX_DEPTH: Final = 8
MAX_CHILDREN: Final = 50
MAX_LIST: Final = 200
_REGION: Final = re.compile(r"[0-9]{6}")
_REGION_PREFIX: Final = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}")
_INDUSTRY: Final = re.compile(r"[A-T]([0-9]{2,4})?")

Value = Any  # Decimal, bool, str, tuple[Decimal, Decimal], tuple[str, ...]
Facts = Mapping[str, Any]


class RuleError(ValueError):
    """A rule that cannot be accepted: the path of the bad node and a Chinese message."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class Status(StrEnum):
    """A rule's answer for one enterprise."""

    ELIGIBLE = "ELIGIBLE"
    INELIGIBLE = "INELIGIBLE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Condition:
    """A leaf ``{fact, op, value}`` with its value checked and normalised."""

    path: str
    fact: Fact
    op: str
    value: Value
    test: Callable[[Any], bool] = field(compare=False, repr=False)

    def outcome(self, facts: Facts) -> bool | None:
        """True or False, or None when the fact is unknown."""
        actual = facts.get(self.fact.name)
        return None if actual is None else self.test(actual)

    @cached_property
    def wording(self) -> dict[bool, str]:
        """What the condition asks, in Chinese, by whether it sits under ``not``: written by
        ``matching.rule_messages.describe`` on first use and kept (it never changes)."""
        return {}


@dataclass(frozen=True)
class Group:
    """``all`` or ``any`` over children."""

    path: str
    kind: str  # "all" or "any"
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    """``not`` of one child."""

    path: str
    child: Node


Node = Condition | Group | Negation


@dataclass(frozen=True)
class Rule:
    """A checked rule: its tree, its leaves in order and the facts it reads."""

    root: Node
    conditions: tuple[Condition, ...]
    raw: Any = field(compare=False, repr=False)

    @property
    def facts(self) -> frozenset[str]:
        """The facts the rule reads."""
        return frozenset(c.fact.name for c in self.conditions)

    # Worked out on first use and kept (the rule never changes): what ``evaluate`` and the
    # what-ifs of ``matching.whatif`` need besides the firm's facts.

    @cached_property
    def fact_names(self) -> tuple[str, ...]:
        """Each leaf's fact name, in leaf order."""
        return tuple(c.fact.name for c in self.conditions)

    @cached_property
    def leaf_ids(self) -> tuple[int, ...]:
        """Each leaf's ``id`` (how outcomes and truths are keyed), in leaf order."""
        return tuple(map(id, self.conditions))

    @cached_property
    def negations(self) -> tuple[bool, ...]:
        """Each leaf's ``negated`` (under an odd number of ``not``), in leaf order."""
        negated: dict[int, bool] = {}
        _negations(self.root, False, negated)
        return tuple(negated[id(c)] for c in self.conditions)

    @cached_property
    def clauses(self) -> tuple[Node, ...]:
        """The parts whose ``all`` the rule is: a root ``all``'s children, else the root."""
        root = self.root
        if isinstance(root, Group) and root.kind == "all":
            return root.children
        return (root,)

    @cached_property
    def clause_ids(self) -> tuple[int, ...]:
        """Each clause's ``id`` (how ``RuleResult.truths`` is keyed)."""
        return tuple(map(id, self.clauses))

    @cached_property
    def plain_clauses(self) -> tuple[bool, ...]:
        """Per clause, whether it is one leaf (under any number of ``not``): such a clause holds
        as soon as its leaf is as the rule wants it."""
        plain = []
        for clause in self.clauses:
            while isinstance(clause, Negation):
                clause = clause.child
            plain.append(isinstance(clause, Condition))
        return tuple(plain)

    @cached_property
    def clause_of(self) -> tuple[int, ...]:
        """Each leaf's clause (its index in ``clauses``), in leaf order."""
        owner: dict[int, int] = {}
        for number, clause in enumerate(self.clauses):
            _leaf_ids(clause, number, owner)
        return tuple(owner[id(c)] for c in self.conditions)


# --- parsing ------------------------------------------------------------------------------


def parse_rule(raw: Any) -> Rule:
    """Check a rule and build its tree; RuleError with the bad node's path otherwise."""
    leaves: list[Condition] = []
    root = _node(raw, "", 1, leaves)
    return Rule(root, tuple(leaves), raw)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _node(raw: Any, path: str, depth: int, leaves: list[Condition]) -> Node:
    here = path or "rule"
    if depth > MAX_DEPTH:
        raise RuleError(here, f"规则嵌套过深（至多 {MAX_DEPTH} 层）")
    if not isinstance(raw, Mapping):
        raise RuleError(here, "规则节点应为对象：all、any、not 或 {fact, op, value}")
    keys = set(raw)
    for kind in ("all", "any"):
        if kind in keys:
            if keys != {kind}:
                raise RuleError(here, f"“{kind}”节点不能再有其他键")
            children = raw[kind]
            if not isinstance(children, list) or not children:
                raise RuleError(_join(path, kind), f"“{kind}”应为非空数组")
            if len(children) > MAX_CHILDREN:
                raise RuleError(_join(path, kind), f"“{kind}”至多 {MAX_CHILDREN} 项")
            return Group(
                here,
                kind,
                tuple(
                    _node(child, f"{_join(path, kind)}[{i}]", depth + 1, leaves)
                    for i, child in enumerate(children)
                ),
            )
    if "not" in keys:
        if keys != {"not"}:
            raise RuleError(here, "“not”节点不能再有其他键")
        return Negation(here, _node(raw["not"], _join(path, "not"), depth + 1, leaves))
    if keys != {"fact", "op", "value"}:
        raise RuleError(here, "条件应恰好包含 fact、op、value 三个键")
    condition = _condition(raw, path)
    leaves.append(condition)
    return condition


def _condition(raw: Mapping[str, Any], path: str) -> Condition:
    name, op = raw["fact"], raw["op"]
    fact = CATALOG.get(name) if isinstance(name, str) else None
    if fact is None:
        raise RuleError(_join(path, "fact"), f"未知的事实“{name}”")
    if not isinstance(op, str) or op not in fact.operators:
        allowed = "、".join(sorted(fact.operators))
        raise RuleError(_join(path, "op"), f"“{fact.label}”不能使用运算符“{op}”（可用：{allowed}）")
    value = _value(fact, op, raw["value"], _join(path, "value"))
    return Condition(path or "rule", fact, op, value, _test(fact, op, value))


def _number(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise RuleError(where, "应为数值")
    try:
        number = Decimal(str(raw))
    except InvalidOperation as exc:
        raise RuleError(where, "应为数值") from exc
    if not number.is_finite():
        raise RuleError(where, "应为有限数值")
    return number


def _pair(raw: Any, where: str, item: Callable[[Any, str], Any], key: Callable[[Any], Any]) -> Any:
    if not isinstance(raw, list) or len(raw) != 2:
        raise RuleError(where, "“between”的值应为 [下限, 上限]")
    low, high = item(raw[0], f"{where}[0]"), item(raw[1], f"{where}[1]")
    if key(low) > key(high):
        raise RuleError(where, "下限不能大于上限")
    return (low, high)


def _items(raw: Any, where: str, item: Callable[[Any, str], Any]) -> tuple[Any, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleError(where, "应为非空数组")
    if len(raw) > MAX_LIST:
        raise RuleError(where, f"至多 {MAX_LIST} 项")
    values = tuple(item(v, f"{where}[{i}]") for i, v in enumerate(raw))
    return tuple(dict.fromkeys(values))


def _enum_value(fact: Fact) -> Callable[[Any, str], str]:
    def check(raw: Any, where: str) -> str:
        if raw not in fact.values:
            raise RuleError(where, f"“{fact.label}”的取值应为 {'、'.join(fact.values)} 之一")
        return str(raw)

    return check


def _pattern(pattern: re.Pattern[str], message: str) -> Callable[[Any, str], str]:
    def check(raw: Any, where: str) -> str:
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise RuleError(where, message)
        return raw

    return check


_REGION_CODE = _pattern(_REGION, "应为 6 位行政区划代码")
_REGION_PREFIX_CODE = _pattern(_REGION_PREFIX, "应为 2、4 或 6 位行政区划代码")
_INDUSTRY_CODE = _pattern(_INDUSTRY, "应为国民经济行业分类代码（如 C、C13、I65）")


def _value(fact: Fact, op: str, raw: Any, where: str) -> Value:
    if fact.kind == "number":
        if op == "between":
            return _pair(raw, where, _number, lambda v: v)
        return _number(raw, where)
    if fact.kind == "boolean":
        if not isinstance(raw, bool):
            raise RuleError(where, "应为 true 或 false")
        return raw
    if fact.kind == "enum":
        item = _enum_value(fact)
        if op in ("in", "not_in"):
            return _items(raw, where, item)
        if op == "between":
            return _pair(raw, where, item, fact.values.index)
        return item(raw, where)
    single = _REGION_CODE if fact.kind == "region" else _INDUSTRY_CODE
    if op in ("within_region", "within_industry"):
        prefix = _REGION_PREFIX_CODE if fact.kind == "region" else _INDUSTRY_CODE
        return _items(raw, where, prefix) if isinstance(raw, list) else (prefix(raw, where),)
    if op in ("in", "not_in"):
        return _items(raw, where, single)
    return single(raw, where)


# --- the tests a condition applies --------------------------------------------------------


def _as_decimal(actual: Any) -> Decimal | int:
    """The fact's number as the tests compare it: a Decimal, or an int as it is (an int compares
    with a Decimal exactly, as ``Decimal(str(actual))`` would); anything else through ``str``."""
    if type(actual) is int or isinstance(actual, Decimal):
        return actual
    return Decimal(str(actual))


def _ordered(op: str, key: Callable[[Any], Any], value: Value) -> Callable[[Any], bool]:
    if op == "between":
        low, high = key(value[0]), key(value[1])
        return lambda actual: low <= key(actual) <= high
    bound = key(value)
    tests: dict[str, Callable[[Any], bool]] = {
        "eq": lambda actual: key(actual) == bound,
        "ne": lambda actual: key(actual) != bound,
        "lt": lambda actual: key(actual) < bound,
        "lte": lambda actual: key(actual) <= bound,
        "gt": lambda actual: key(actual) > bound,
        "gte": lambda actual: key(actual) >= bound,
    }
    return tests[op]


def _test(fact: Fact, op: str, value: Value) -> Callable[[Any], bool]:
    if op == "in":
        members = frozenset(value)
        return lambda actual: actual in members
    if op == "not_in":
        members = frozenset(value)
        return lambda actual: actual not in members
    if op in ("within_region", "within_industry"):
        prefixes = tuple(value)
        return lambda actual: str(actual).startswith(prefixes)
    if fact.kind == "number":
        return _ordered(op, _as_decimal, value)
    if fact.kind == "enum" and fact.ordered:
        return _ordered(op, fact.values.index, value)
    if op == "eq":
        return lambda actual: actual == value
    return lambda actual: actual != value


# --- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True, init=False)
class ConditionResult:
    """One leaf's outcome for one enterprise. ``negated`` when it sits under an odd number of
    ``not`` nodes: then the rule wants it false, and ``satisfied`` says whether the rule got
    what it wanted."""

    condition: Condition
    actual: Any
    outcome: bool | None
    negated: bool

    def __init__(
        self, condition: Condition, actual: Any, outcome: bool | None, negated: bool
    ) -> None:
        """Make the result (still frozen: see ``matching.rank.RankedProduct``)."""
        fields = self.__dict__
        fields["condition"] = condition
        fields["actual"] = actual
        fields["outcome"] = outcome
        fields["negated"] = negated

    @property
    def satisfied(self) -> bool | None:
        """Whether this leaf is as the rule wants it (None when the fact is unknown)."""
        if self.outcome is None:
            return None
        return self.outcome != self.negated

    @property
    def message(self) -> str:
        """The Chinese sentence: what the rule asks and what the enterprise has."""
        return describe(self)


@dataclass(frozen=True)
class RuleResult:
    """A rule's answer with every leaf's outcome."""

    status: Status
    results: tuple[ConditionResult, ...]
    # The known leaves that make the rule fail (a failed child of a satisfied ``any`` is not one).
    unmet: tuple[ConditionResult, ...] = ()
    #: Every node's three-valued truth by node id (``id(node)``), leaves included, as
    #: ``evaluate`` found it: what-ifs (``matching.whatif``) start from it. Empty when not known.
    truths: Mapping[int, bool | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def missing_facts(self) -> tuple[str, ...]:
        """The facts the rule reads that are unknown, in rule order, once each."""
        missing = (r.condition.fact.name for r in self.results if r.outcome is None)
        return tuple(dict.fromkeys(missing))


def kleene_truth(node: Node, outcomes: Mapping[int, bool | None]) -> bool | None:
    """A node's three-valued truth from its leaves' outcomes (by leaf index)."""
    if isinstance(node, Condition):
        return outcomes[id(node)]
    if isinstance(node, Negation):
        inner = kleene_truth(node.child, outcomes)
        return None if inner is None else not inner
    decisive = node.kind == "any"  # True decides an any, False decides an all
    unknown = False
    for child in node.children:
        value = kleene_truth(child, outcomes)
        if value is decisive:
            return decisive
        unknown = unknown or value is None
    return None if unknown else not decisive


def _truths(node: Node, into: dict[int, bool | None]) -> bool | None:
    """``kleene_truth`` of ``node`` from its leaves' outcomes in ``into`` (by node id), where the
    truth of every ``all``, ``any`` and ``not`` below it is put as well: the tree in one pass."""
    if isinstance(node, Condition):
        return into[id(node)]
    if isinstance(node, Negation):
        inner = _truths(node.child, into)
        value = None if inner is None else not inner
    else:
        decisive = node.kind == "any"  # True decides an any, False decides an all
        unknown = found = False
        for child in node.children:
            truth = into[id(child)] if isinstance(child, Condition) else _truths(child, into)
            found = found or truth is decisive
            unknown = unknown or truth is None
        value = decisive if found else None if unknown else not decisive
    into[id(node)] = value
    return value


def _blame(node: Node, want: bool, truths: Mapping[int, bool | None], into: set[int]) -> None:
    """Collect the leaves that keep ``node`` from being ``want`` (none when it is or is unknown);
    ``truths``: every node's truth (``_truths``)."""
    if isinstance(node, Condition):
        if truths[id(node)] is (not want):
            into.add(id(node))
        return
    if isinstance(node, Negation):
        _blame(node.child, not want, truths, into)
        return
    if truths[id(node)] is not (not want):
        return
    # An all that should hold (or an any that should fail) is spoilt by each child that is
    # wrong; an any that should hold (or an all that should fail) by all of its children.
    only_wrong = (node.kind == "all") == want
    for child in node.children:
        if only_wrong and truths[id(child)] is not (not want):
            continue
        if isinstance(child, Condition):  # (the leaf's own test, without the call)
            if truths[id(child)] is (not want):
                into.add(id(child))
        else:
            _blame(child, want, truths, into)


def _leaf_ids(node: Node, clause: int, into: dict[int, int]) -> None:
    if isinstance(node, Condition):
        into[id(node)] = clause
    elif isinstance(node, Negation):
        _leaf_ids(node.child, clause, into)
    else:
        for child in node.children:
            _leaf_ids(child, clause, into)


def _negations(node: Node, negated: bool, into: dict[int, bool]) -> None:
    if isinstance(node, Condition):
        into[id(node)] = negated
    elif isinstance(node, Negation):
        _negations(node.child, not negated, into)
    else:
        for child in node.children:
            _negations(child, negated, into)


def status_of(truth: bool | None) -> Status:
    """The status a three-valued truth stands for."""
    if truth is None:
        return Status.UNKNOWN
    return Status.ELIGIBLE if truth else Status.INELIGIBLE


def evaluate(rule: Rule, facts: Facts) -> RuleResult:
    """ELIGIBLE, INELIGIBLE or UNKNOWN for ``facts``, with every leaf's outcome."""
    conditions = rule.conditions
    actuals = list(map(facts.get, rule.fact_names))
    tested = [
        None if actual is None else condition.test(actual)
        for condition, actual in zip(conditions, actuals, strict=True)
    ]
    results = tuple(map(ConditionResult, conditions, actuals, tested, rule.negations))
    truths: dict[int, bool | None] = dict(zip(rule.leaf_ids, tested, strict=True))
    truth = _truths(rule.root, truths)
    if truth is not False:
        return RuleResult(status_of(truth), results, truths=truths)
    blamed: set[int] = set()
    _blame(rule.root, True, truths, blamed)
    unmet = tuple([r for r, leaf in zip(results, rule.leaf_ids, strict=True) if leaf in blamed])
    return RuleResult(Status.INELIGIBLE, results, unmet, truths)


def truth_with(rule: Rule, facts: Facts, satisfied: Sequence[Condition]) -> bool | None:
    """The rule's truth if the leaves ``satisfied`` were as the rule wants them (for what-if)."""
    negated: dict[int, bool] = {}
    _negations(rule.root, False, negated)
    forced = {id(c) for c in satisfied}
    outcomes = {
        id(c): (not negated[id(c)]) if id(c) in forced else c.outcome(facts)
        for c in rule.conditions
    }
    return kleene_truth(rule.root, outcomes)


def compile_to_sql(rule: Rule, columns: Mapping[str, Any]) -> Any:
    """The rule as a SQLAlchemy boolean expression over ``columns`` (see ``matching.rule_sql``)."""
    from matching.rule_sql import compile_rule

    return compile_rule(rule, columns)
