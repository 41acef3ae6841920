"""Text relevance for ranking: jieba tokens, Okapi BM25 over product texts, rapidfuzz for names.

Two signals, both built once per product set so that a ranking call only has to cut the demand's
purpose into words once:

* ``TextIndex``: Okapi BM25 (k1=1.5, b=0.75) over each product's name, description and tags.
  Every per-document, per-term weight ``idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl /
  avgdl))`` is computed when the index is built, so a query only adds up posting weights. IDF is
  ``ln(1 + (N - df + 0.5) / (df + 0.5))``: always positive, larger for rarer terms. A frequent
  term's weights are also packed into one big integer (fixed point, a field per document), so
  that ``packed_scores`` adds up whole columns in C, for bounds; ``raw_scores`` and
  ``score_and_mask`` give the exact figures.
* ``name_tag_similarity``: rapidfuzz ``partial_ratio`` of the purpose against the product's short
  name and each tag, which catches what word segmentation misses ("冷链车" against "冷链物流贷").
  ``NameTagMatcher`` gives the same numbers for a whole product set at once; it scores only the
  names and tags that share enough characters with the purpose to possibly reach the cut-off.

jieba loads its dictionary on first use (~0.6 s) and logs to stderr: ``warm_up()`` does that
once, quietly; ``tokenize`` calls it lazily and the application calls it at start-up.
``query_terms`` keeps the words of the last purposes cut.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Final

import jieba  # type: ignore[import-untyped]
from rapidfuzz import fuzz

__all__ = [
    "BM25_B",
    "BM25_K1",
    "NAME_TAG_CUTOFF",
    "PACKED_FROM",
    "PACKED_SHARE",
    "STOP_WORDS",
    "UNIT",
    "NameTagMatcher",
    "TextIndex",
    "name_tag_similarity",
    "query_terms",
    "tokenize",
    "warm_up",
]

BM25_K1 = 1.5
BM25_B = 0.75
#: partial_ratio (0-100) below which a name or tag counts as unrelated: two shared characters
#: out of five are chance in Chinese product names ("贷", "企业"), three out of four are not.
NAME_TAG_CUTOFF = 60.0

#: Function words that carry no topic (single characters and a few fillers).
STOP_WORDS = frozenset(
    {
        *"的地得了着过和与及或等在对为于之其是把被将向从由以而并且也都就这那此个各每该本我你他她它们吗呢吧啊",
        *("用于", "以及", "或者", "及其", "等等", "进行"),
    }
)

_NO_POSTINGS = (array("i"), array("d"))
#: Packed BM25 (``TextIndex.packed_scores``): one unsigned 64-bit field per document holding a
#: sum of term weights in units of 2**-24 (``1 / UNIT``), each weight rounded up to a whole unit.
#: (A sum under 64, as BM25 sums are, stays under 2**30: a one-digit Python integer, cheap to read.)
UNIT: Final = float(2**24)
_FIELD: Final = 8  # bytes per document
#: Terms in at least this many documents, and in one in ``PACKED_SHARE`` of them, keep their
#: weights packed as well (one big integer each, 8 bytes per document): a query adds those up
#: in C instead of posting by posting, which pays from about that many postings on.
PACKED_FROM: Final = 64
PACKED_SHARE: Final = 32
_warm_lock = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Load jieba's dictionary now (~0.6 s) with its start-up log quieted; later calls return."""
    global _warmed
    if _warmed:
        return
    with _warm_lock:
        if not _warmed:
            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.initialize()
            _warmed = True


@lru_cache(maxsize=256)
def query_terms(text: str) -> tuple[str, ...]:
    """``tokenize(text)``, kept for the last 256 texts: a demand's purpose is ranked again and
    again (a page, the other groups of the same answer, the next request), and cutting it into
    words is a good part of a ranking call."""
    return tuple(tokenize(text))


def tokenize(text: str) -> list[str]:
    """Cut text into lower-cased search words (jieba ``lcut_for_search``).

    Whitespace, punctuation and the function words of ``STOP_WORDS`` are dropped. The search
    mode also yields the parts of long words ("中小企业" → "中小", "企业", "小企业", "中小企业"),
    so a purpose and a product description meet even when one says the longer word.
    """
    if not _warmed:
        warm_up()
    words: list[str] = jieba.lcut_for_search(text)
    tokens = []
    for word in words:
        token = word.strip().lower()
        if token and token not in STOP_WORDS and any(ch.isalnum() for ch in token):
            tokens.append(token)
    return tokens


class TextIndex:
    """Okapi BM25 over a fixed set of documents, keyed by product id.

    Documents are kept in the order given; ``ids[i]`` is the document at position ``i``, which
    ``search`` uses to answer without building id-keyed dicts.
    """

    def __init__(
        self,
        documents: Mapping[str, str],
        *,
        k1: float = BM25_K1,
        b: float = BM25_B,
        packed_from: int | None = None,
    ) -> None:
        """Tokenise every document once and precompute its BM25 term weights (``packed_from``:
        the postings from which a term is packed; by default see ``PACKED_FROM``)."""
        self.ids: tuple[str, ...] = tuple(documents)
        self.k1 = k1
        self.b = b
        term_counts = [Counter(tokenize(documents[pid])) for pid in self.ids]
        lengths = [sum(counts.values()) for counts in term_counts]
        total = len(self.ids)
        average = sum(lengths) / total if total else 0.0
        document_frequency: Counter[str] = Counter()
        for counts in term_counts:
            document_frequency.update(counts.keys())
        self._idf = {
            term: math.log(1.0 + (total - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for position, (counts, length) in enumerate(zip(term_counts, lengths, strict=True)):
            norm = k1 * (1.0 - b + b * length / average) if average else k1
            for term, tf in counts.items():
                positions, weights = postings.setdefault(term, ([], []))
                positions.append(position)
                weights.append(self._idf[term] * tf * (k1 + 1.0) / (tf + norm))
        # term → (document positions ascending, their weights), as flat arrays: a query reads
        # them in one sweep of contiguous memory rather than chasing thousands of objects.
        self._postings = {
            term: (array("i", positions), array("d", weights))
            for term, (positions, weights) in postings.items()
        }
        self._heaviest = max((max(w) for _, w in self._postings.values()), default=0.0)
        if packed_from is None:
            packed_from = max(PACKED_FROM, total // PACKED_SHARE)
        self._packed = {
            term: self._pack(term)
            for term, (positions, _) in self._postings.items()
            if len(positions) >= packed_from
        }

    def __len__(self) -> int:
        """Number of documents."""
        return len(self.ids)

    def idf(self, term: str) -> float:
        """The term's inverse document frequency (0 for a term in no document)."""
        return self._idf.get(term, 0.0)

    def search(self, query_tokens: Iterable[str]) -> dict[int, float]:
        """Raw BM25 scores by document position, only for documents sharing a query term.

        Each distinct query term counts once, whatever its repetitions in the query.
        """
        _, scores, masks = self.matches(query_tokens)
        return {position: scores[position] for position, mask in enumerate(masks) if mask}

    def matches(self, query_tokens: Iterable[str]) -> tuple[list[str], list[float], list[int]]:
        """The query's distinct terms and, for every document position, raw BM25 and a mask.

        Bit ``i`` of a document's mask says it contains ``terms[i]``; 0 means no shared term.
        """
        terms, scores = self.raw_scores(query_tokens)
        return terms, scores, self.shared_masks(terms)

    def raw_scores(self, query_tokens: Iterable[str]) -> tuple[list[str], list[float]]:
        """The query's distinct terms and every document's raw BM25 by position (0: no overlap).

        Every term weight is above 0, so a document shares a query term exactly when its
        score is above 0; ``shared`` says which terms.
        """
        terms = list(dict.fromkeys(query_tokens))
        scores = [0.0] * len(self.ids)
        for term in terms:
            positions, weights = self._postings.get(term, _NO_POSTINGS)
            for position, weight in zip(positions, weights, strict=True):
                scores[position] += weight
        return terms, scores

    def _pack(self, term: str) -> int:
        """The term's weights as one integer: field i (8 bytes, little-endian) holds document
        i's weight in units of ``1 / UNIT``, rounded up (0: the document lacks the term)."""
        positions, weights = self._postings.get(term, _NO_POSTINGS)
        fields = array("Q", bytes(_FIELD * len(self.ids)))
        for position, weight in zip(positions, weights, strict=True):
            fields[position] = math.ceil(weight * UNIT)
        if sys.byteorder != "little":
            fields.byteswap()
        return int.from_bytes(fields, "little")

    def packed_scores(self, terms: Sequence[str]) -> array[int] | None:
        """Every document's BM25 for the distinct query ``terms``, by position, in units of
        ``1 / UNIT``: the sum of its terms' weights, each rounded up to a unit, added up for all
        documents at once as big integers. Against ``raw_scores``' figure ``s`` for ``n`` terms
        in the document, the sum ``p`` has ``s × UNIT ≤ p + n × 2**-52 × p`` and ``p ≤
        s × UNIT + n + n × 2**-52 × p``; it is 0 exactly when the document shares no term.
        None when the sums could overflow a field (then use ``raw_scores``).
        """
        if len(terms) * (self._heaviest * UNIT + 1.0) >= 2.0**63:
            return None
        total, rare = 0, []
        for term in terms:
            packed = self._packed.get(term)
            if packed is None:
                rare.append(term)
            else:
                total += packed
        column: array[int] = array("Q")
        column.frombytes(total.to_bytes(_FIELD * len(self.ids), "little"))
        if sys.byteorder != "little":
            column.byteswap()
        for term in rare:  # (few postings each: added one by one)
            positions, weights = self._postings.get(term, _NO_POSTINGS)
            for position, weight in zip(positions, weights, strict=True):
                column[position] += math.ceil(weight * UNIT)
        return column

    def score_and_mask(self, terms: Sequence[str], position: int) -> tuple[float, int]:
        """One document's ``raw_scores`` figure for the distinct ``terms`` (the same additions in
        the same order) and ``shared(terms, position)``."""
        score, mask = 0.0, 0
        for bit, term in enumerate(terms):
            positions, weights = self._postings.get(term, _NO_POSTINGS)
            found = bisect_left(positions, position)
            if found < len(positions) and positions[found] == position:
                score += weights[found]
                mask |= 1 << bit
        return score, mask

    def shared_masks(self, terms: Sequence[str]) -> list[int]:
        """``shared(terms, position)`` for every position at once."""
        masks = [0] * len(self.ids)
        for bit, term in enumerate(terms):
            flag = 1 << bit
            for position in self._postings.get(term, _NO_POSTINGS)[0]:
                masks[position] |= flag
        return masks

    def shared(self, terms: Sequence[str], position: int) -> int:
        """A mask of the ``terms`` the document at ``position`` contains (bit i: ``terms[i]``)."""
        mask = 0
        for bit, term in enumerate(terms):
            positions = self._postings.get(term, _NO_POSTINGS)[0]
            found = bisect_left(positions, position)
            if found < len(positions) and positions[found] == position:
                mask |= 1 << bit
        return mask

    def scores(self, query_tokens: Iterable[str]) -> dict[str, float]:
        """BM25 of every document, 0..1: over the best score of this query, 0 if no overlap."""
        raw = self.search(query_tokens)
        best = max(raw.values(), default=0.0)
        result = dict.fromkeys(self.ids, 0.0)
        if best > 0.0:
            for position, score in raw.items():
                result[self.ids[position]] = score / best
        return result


def _fold(text: str) -> str:
    """The form names, tags and purposes are compared in."""
    return text.strip().lower()


def name_tag_similarity(
    purpose: str, name: str, tags: Iterable[str], *, cutoff: float = NAME_TAG_CUTOFF
) -> float:
    """How closely a purpose matches a product's name or one of its tags, 0..1.

    The best rapidfuzz ``partial_ratio`` (the best-aligned substring) over the name and each tag,
    divided by 100; a best score under ``cutoff`` (0-100) is 0, so chance characters score nothing.
    """
    query = _fold(purpose)
    best = 0.0
    if not query:
        return best
    for candidate in (name, *tags):
        folded = _fold(candidate)
        if folded:
            best = max(best, fuzz.partial_ratio(query, folded, score_cutoff=cutoff))
    return best / 100.0


class NameTagMatcher:
    """``name_tag_similarity`` for a whole product set at once, by position.

    Built once: the distinct names and tags, which positions carry each, and for every character
    the names and tags containing it. A call counts, per name or tag, the characters it shares with
    the purpose; a partial ratio of ``c`` needs at least ``c / (2 - c)`` of the shorter string's
    characters in common (ratio = 2·LCS / (m + n) with n ≥ LCS), so every other string scores under
    the cut-off without being compared, and the result equals ``name_tag_similarity`` exactly.
    """

    def __init__(
        self,
        products: Sequence[tuple[str, Sequence[str]]],
        *,
        cutoff: float = NAME_TAG_CUTOFF,
    ) -> None:
        """Index ``(name, tags)`` per position."""
        self.cutoff = cutoff
        owners: dict[str, list[int]] = {}
        for position, (name, tags) in enumerate(products):
            for candidate in (name, *tags):
                folded = _fold(candidate)
                if folded and position not in owners.setdefault(folded, []):
                    owners[folded].append(position)
        self._strings = list(owners)
        self._owners = [tuple(positions) for positions in owners.values()]
        by_position: list[list[int]] = [[] for _ in products]
        for index, positions in enumerate(self._owners):
            for position in positions:
                by_position[position].append(index)
        self._by_position = [tuple(indices) for indices in by_position]
        self._lengths = [len(string) for string in self._strings]
        by_char: dict[str, list[int]] = {}
        for index, string in enumerate(self._strings):
            for char, count in Counter(string).items():
                by_char.setdefault(char, []).extend([index] * count)
        self._by_char = by_char

    def similarities(self, purpose: str) -> dict[int, float]:
        """Similarity 0..1 by position, only for the positions above 0."""
        query = _fold(purpose)
        result: dict[int, float] = {}
        if not query:
            return result
        shared: Counter[int] = Counter()
        for char in set(query):
            shared.update(self._by_char.get(char, ()))
        out_of_reach = self._out_of_reach(query)
        for index, common in shared.items():
            if out_of_reach(index, common):
                continue
            score = fuzz.partial_ratio(query, self._strings[index], score_cutoff=self.cutoff)
            if score:
                value = score / 100.0
                for position in self._owners[index]:
                    if value > result.get(position, 0.0):
                        result[position] = value
        return result

    def scorer(self, purpose: str) -> Callable[[int], float]:
        """``similarities(purpose)`` one position at a time, for when only a few are wanted.

        Each distinct name or tag is compared with the purpose at most once per scorer, when a
        position carrying it is first asked about; the numbers are those of ``similarities``.
        """
        query = _fold(purpose)
        strings, by_position, cutoff = self._strings, self._by_position, self.cutoff
        ratios: dict[int, float] = {}
        # (the character filter of ``similarities``: a string sharing too few characters with
        # the purpose, or none, scores 0 without being compared)
        letters, out_of_reach = frozenset(query), self._out_of_reach(query)

        def similarity(position: int) -> float:
            best = 0.0
            for index in by_position[position]:
                value = ratios.get(index)
                if value is None:
                    string = strings[index]
                    common = sum(map(letters.__contains__, string))
                    if not common or out_of_reach(index, common):
                        value = ratios[index] = 0.0
                    else:
                        score = fuzz.partial_ratio(query, string, score_cutoff=cutoff)
                        value = ratios[index] = score / 100.0
                if value > best:
                    best = value
            return best

        return similarity

    def _out_of_reach(self, query: str) -> Callable[[int, int], bool]:
        """Whether the string at an index, sharing ``common`` characters (with repeats) with
        ``query``, is sure to score under the cut-off (see the class)."""
        ratio = self.cutoff / 100.0
        need = ratio / (2.0 - ratio) if ratio < 2.0 else math.inf
        query_length, lengths = len(query), self._lengths

        def out_of_reach(index: int, common: int) -> bool:
            return common + 1e-9 < need * min(query_length, lengths[index])

        return out_of_reach
