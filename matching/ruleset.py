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
give every answer (``Answers``: the statuses, or the rules with some status, at C speed).
Answers equal :func:`matching.rules.evaluate`'s (a unit test checks), at a fraction of the cost
when thousands of products share conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import compress
from typing import Any, Final

from matching.rules import Condition, Facts, Group, Negation, Node, Rule, Status

# A rule's digit: 1 when one of its clauses is false, else 2 when one is unknown, else 0.
_DIGIT: Final = {Status.ELIGIBLE: ord("0"), Status.INELIGIBLE: ord("1"), Status.UNKNOWN: ord("2")}
_BY_DIGIT: Final = {digit: status for status, digit in _DIGIT.items()}
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


@cache
def _selector(statuses: frozenset[Status]) -> bytes:
    """A ``bytes.translate`` table: the digits of ``statuses`` to 1, every other byte to 0."""
    wanted = {_DIGIT[status] for status in statuses}
    return bytes(1 if byte in wanted else 0 for byte in range(256))


class Answers:
    """Every rule's answer for one enterprise, as one digit per rule (in rule order): the list of
    statuses, or the positions of the rules with some of them, found at C speed."""

    __slots__ = ("_numbers", "digits")

    def __init__(self, digits: bytes, numbers: Sequence[int] | None = None) -> None:
        """``digits``: b"0" eligible, b"1" ineligible, b"2" unknown, one per rule; ``numbers``:
        ``list(range(len(digits)))`` when the caller keeps one (made once, not per call)."""
        self.digits = digits
        self._numbers = range(len(digits)) if numbers is None else numbers

    def __len__(self) -> int:
        """The number of rules."""
        return len(self.digits)

    def statuses(self) -> list[Status]:
        """Every rule's status, in rule order."""
        by_digit = _BY_DIGIT
        return [by_digit[digit] for digit in self.digits]

    def positions(self, *statuses: Status) -> list[int]:
        """The numbers of the rules whose status is one of ``statuses``, ascending."""
        return list(self.where(*statuses))

    def where(self, *statuses: Status) -> Iterator[int]:
        """``positions(*statuses)`` one at a time, as they are asked for."""
        return compress(self._numbers, self.digits.translate(_selector(frozenset(statuses))))


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
        # (the rule numbers made once: ``Answers.positions`` picks from them)
        self._numbers = list(range(len(self.rules)))
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

    def answers(self, facts: Facts) -> Answers:
        """Every rule's answer for ``facts`` (``Answers``: the statuses, or the positions of the
        rules with a given status without going through them one by one)."""
        failed = unknown = 0
        for answer, members in zip(self._answer(self.outcomes(facts)), self._members, strict=True):
            if answer < 0:
                failed |= members
            elif answer == 0:
                unknown |= members
        count = len(self.rules)
        return Answers(_digits(failed, unknown, count) if count else b"", self._numbers)

    def statuses(self, facts: Facts) -> list[Status]:
        """Every rule's answer for ``facts``, in the order the rules were given."""
        return self.answers(facts).statuses()
