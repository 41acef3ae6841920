"""The first page of a ranking by branch and bound (see ``matching.rank``).

Every product's points from the five components other than text relevance are exact and cheap
(``OtherPoints``); its text points lie within known margins of an estimate from its raw BM25
(``matching.rank_text.TextColumn``). ``settle_page`` uses the two to work out text relevance
exactly, name/tag similarity included, only for the few products that might still reach the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappush, heapreplace, nlargest
from operator import itemgetter

from matching.rank_text import TextColumn


class OtherPoints:
    """A product's points in hundredths from every component but text relevance, by position.

    Three lookups each: the points of its (amount, term) group, of its (region, grade) group
    and of its rate.
    """

    def __init__(
        self,
        fit: list[int],
        fit_of: list[int],
        firm: list[int],
        firm_of: list[int],
        rate: list[int],
    ) -> None:
        self._fit, self._fit_of, self._firm, self._firm_of, self._rate = (
            fit,
            fit_of,
            firm,
            firm_of,
            rate,
        )

    def of(self, position: int) -> int:
        """One product's points."""
        return (
            self._fit[self._fit_of[position]]
            + self._firm[self._firm_of[position]]
            + self._rate[position]
        )

    def each(self, positions: list[int]) -> list[int]:
        """The points of every product at ``positions``."""
        fit, fit_of, firm, firm_of, rate = (
            self._fit,
            self._fit_of,
            self._firm,
            self._firm_of,
            self._rate,
        )
        return [fit[fit_of[p]] + firm[firm_of[p]] + rate[p] for p in positions]

    def estimates(self, positions: list[int], text: TextColumn) -> Sequence[float]:
        """``each`` plus the text estimate ``text.rate × text.picked[slot]``."""
        if not text.rate:
            return self.each(positions)
        fit, fit_of, firm, firm_of, rate = (
            self._fit,
            self._fit_of,
            self._firm,
            self._firm_of,
            self._rate,
        )
        per = text.rate
        return [
            fit[fit_of[p]] + firm[firm_of[p]] + rate[p] + per * bm25
            for p, bm25 in zip(positions, text.picked, strict=True)
        ]


def settle_page(
    positions: list[int], points: OtherPoints, text: TextColumn, size: int
) -> tuple[list[int], list[int]]:
    """The first ``size`` products (positions) and their totals in order: score descending, then
    position (so id) ascending, exactly as scoring every product would have them.

    A product's total is its other points plus its text points, which lie between
    ``estimate − shortfall`` and ``estimate + reach``. The ``size``-th best lower bound is a score
    that ``size`` products reach for sure, so one whose upper bound stays under it comes after
    them all and is never scored. The others are scored exactly, best estimate first, until the
    next upper bound is below the ``size``-th best total found (an equal one could still win on
    its id).
    """
    shortfall, reach = text.shortfall, text.reach
    estimate = points.estimates(positions, text)
    cut = nlargest(size, estimate)[-1] - shortfall - reach
    contenders = [
        (guess, position)
        for position, guess in zip(positions, estimate, strict=True)
        if guess >= cut
    ]
    # (stable: equal estimates stay in position order)
    contenders.sort(key=itemgetter(0), reverse=True)
    kept: list[tuple[int, int]] = []  # (total, -position): a heap, the worst kept on top
    exact = text.cents
    for guess, position in contenders:
        if len(kept) == size and guess + reach < kept[0][0]:
            break
        entry = (points.of(position) + exact(position), -position)
        if len(kept) < size:
            heappush(kept, entry)
        elif entry > kept[0]:
            heapreplace(kept, entry)
    kept.sort(reverse=True)
    return [-negated for _, negated in kept], [total for total, _ in kept]
