"""Many rules answered at once for one enterprise: every distinct condition is tested once, every
distinct clause is worked out once, and each clause's answer reaches all the rules containing it
through big-integer sets.

Outcomes are coded -1 (false), 0 (unknown), 1 (true); Kleene's logic is then ``min`` for
``all``, ``max`` for ``any`` and negation for ``not``. A rule is read as the ``all`` of its
clauses (the children of a root ``all``; else the root alone): false when a clause is false,
unknown when none is false and one is unknown, true otherwise. Catalogues repeat clauses ("not on
the dishonest list", "at least 2 years"), so each distinct clause is compiled once into generated
source holding only indices, ``min``, ``max`` and ``-`` (nothing from the rule's values reaches
it), and carries the rules containing it as an integer, one bit per rule. A call ORs the sets
of the false and of the unknown clauses; written out as one digit per rule (``_digits``), the two
give every answer.
Answers equal :func:`matching.rules.evaluate`'s (a unit test checks), at a fraction of the cost
when thousands of products share conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from matching.rules import Condition, Facts, Group, Negation, Node, Rule, Status

# A rule's digit: 1 when one of its clauses is false, else 2 when one is unknown, else 0.
_BY_DIGIT: Final = {ord("0"): Status.ELIGIBLE, ord("1"): Status.INELIGIBLE, ord("2"): Status.UNKNOWN}
_BUILTINS: Final = {"__builtins__": {}, "min": min, "max": max}


def _key(condition: Condition) -> tuple[str, str, str]:
    return (condition.fact.name, condition.op, repr(condition.value))


def _bits(members: int, count: int) -> str:
    """Bit i of ``members`` as character i ("0" or "1"), for the first ``count`` (C speed)."""
    return format(members, "b")[::-1].ljust(count, "0")[:count]


def _digits(failed: int, unknown: int, count: int) -> bytes:
    """Each rule's digit (ASCII) from the rules with a false clause and with an unknown one."""
    digits = _bits(failed, count)
    unknown &= ~failed  # false decides
    if unknown:
        # Read as hexadecimal, the "0"/"1" strings are one digit per rule: twice the unknown
        # ones added to the false ones (never both) gives 0, 1 or 2 in each place.
        either = int(digits, 16) + 2 * int(_bits(unknown, count), 16)
        digits = format(either, "x").zfill(count)
    return digits.encode("ascii")


def _clauses(root: Node) -> tuple[Node, ...]:
    """The parts whose ``all`` the rule is."""
    if isinstance(root, Group) and root.kind == "all":
        return root.children
    return (root,)


class RuleSet:
    """Rules prepared together (once, e.g. when products are loaded)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        index: dict[tuple[str, str, str], int] = {}
        self.conditions: list[Condition] = []
        clauses: dict[str, list[int]] = {}  # source → the rules containing it
        for number, rule in enumerate(self.rules):
            for clause in _clauses(rule.root):
                clauses.setdefault(self._source(clause, index), []).append(number)
        self._members: list[int] = []  # per clause, bit i set when rule i contains it
        for numbers in clauses.values():
            members = bytearray((len(self.rules) + 7) // 8)
            for number in numbers:
                members[number >> 3] |= 1 << (number & 7)
            self._members.append(int.from_bytes(members, "little"))
        source = f"lambda o: ({''.join(f'{clause}, ' for clause in clauses)})"
        self._answer: Callable[[list[int]], tuple[int, ...]] = eval(source, _BUILTINS)  # noqa: S307

    def _source(self, node: Node, index: dict[tuple[str, str, str], int]) -> str:
        if isinstance(node, Condition):
            key = _key(node)
            if key not in index:
                index[key] = len(self.conditions)
                self.conditions.append(node)
            return f"o[{index[key]}]"
        if isinstance(node, Negation):
            return f"-({self._source(node.child, index)})"
        parts = [self._source(child, index) for child in node.children]
        if len(parts) == 1:
            return parts[0]
        return f"{'min' if node.kind == 'all' else 'max'}({', '.join(parts)})"

    def outcomes(self, facts: Facts) -> list[int]:
        """Each distinct condition's outcome for ``facts``: -1, 0 (unknown) or 1."""
        coded: list[int] = []
        for condition in self.conditions:
            actual: Any = facts.get(condition.fact.name)
            coded.append(0 if actual is None else (1 if condition.test(actual) else -1))
        return coded

    def statuses(self, facts: Facts) -> list[Status]:
        """Every rule's answer for ``facts``, in the order the rules were given."""
        failed = unknown = 0
        for answer, members in zip(self._answer(self.outcomes(facts)), self._members, strict=True):
            if answer < 0:
                failed |= members
            elif answer == 0:
                unknown |= members
        by_digit = _BY_DIGIT
        count = len(self.rules)
        return [by_digit[digit] for digit in _digits(failed, unknown, count)] if count else []
