"""text_relevance for one ranking call (see ``matching.rank``), worked out only as far as needed.

    value = (bm25_share × h + name_tag_share × s) ÷ 100

``h``: the product's BM25 in hundredths of the best among the ranked products, ``s``: the name/tag
similarity in hundredths. The similarity (rapidfuzz) is the dear part: a product's text points are
estimated from its BM25 alone within proven ``margins``, so a page (``matching.rank_page``) asks
``cents`` only for the few products that might still reach it. For a page the estimates come from
packed BM25 (``TextIndex.packed_scores``: every product's sum at once, as big integers, within a
known error of the raw figure, which widens the margins); raw BM25 is then looked up for the best
product, which scales all of them, and for the products scored exactly. ``every_cents`` scores
all at once, from every product's raw BM25. ``components`` writes the sentences, for the
returned products only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter

from matching.rank_components import Component, cents, component
from matching.rank_config import RankingConfig
from matching.text import UNIT, NameTagMatcher, TextIndex, query_terms

_SHOWN_PURPOSE = 20  # characters of the purpose quoted in an explanation
_SHOWN_TERMS = 3  # shared keywords named in an explanation
_NAME = "text_relevance"
_FEW = 64  # returned products up to which shared words are looked up one product at a time


def _sentence(bm25: int, similarity: int, value: float, shared: list[str], shown: str) -> str:
    """Why the purpose and the product are (not) related, with the figures."""
    parts = []
    if shared:
        parts.append(
            f"与产品名称、介绍或标签有共同关键词“{'、'.join(shared[:_SHOWN_TERMS])}”"
            f"（关键词匹配度{bm25 / 100:.2f}）"
        )
    if similarity:
        parts.append(f"与产品名称或标签相似度{similarity / 100:.2f}")
    if round(value, 4) > 0.0:
        return f"融资用途与产品相关度{value:.2f}：{'；'.join(parts)}"
    if shared:
        return f"融资用途与产品仅有常见词“{'、'.join(shared[:_SHOWN_TERMS])}”相同，相关度不足0.01"
    return f"融资用途“{shown}”与产品名称、介绍和标签无共同关键词"


def _pick(column: Sequence[int], positions: Sequence[int]) -> Sequence[int]:
    """``column`` at ``positions``, in their order (one C call for the lot)."""
    if len(positions) < 2:
        return [column[p] for p in positions]
    picked: tuple[int, ...] = itemgetter(*positions)(column)
    return picked


def margins(config: RankingConfig, weight: float) -> tuple[float, float]:
    """How far below and above the estimate ``weight × bm25_share × score × scale`` a product's
    exact text points in hundredths can lie (``score × scale``: its BM25 in hundredths of the
    best, unrounded).

    Exactly, ``cents = round(round(w × v′, 2) × 100)``, ``v′`` the value
    ``v = (bm25_share × h + name_tag_share × s) ÷ 100`` rounded to four places (and clamped: the
    shares add up to 1, so v ≤ 1 + 1e-9), where ``h = int(score × scale + 0.5)`` and the
    similarity ``s`` is 0..100. So ``cents`` is ``w × (bm25_share × h + name_tag_share × s)`` to
    within ``100 w × 0.00005 + 0.5 + 0.5`` (the three roundings); ``h`` is within 0.5 of
    ``score × scale``; ``s`` adds 0 to ``w × name_tag_share × 100``. A further 0.01 covers the
    floating-point error of the estimate itself.
    """
    rounding = weight * (config.bm25_share * 0.5 + 100 * (0.00005 + 1e-9)) + 1.01
    return rounding, rounding + weight * config.name_tag_share * 100


class TextColumn:
    """text_relevance of the ranked products (``positions``) of one call, by position.

    For bounding, a product's text points in hundredths are estimated as ``rate × raw BM25``;
    the exact figure lies within ``shortfall`` below and ``reach`` above that estimate (see
    ``margins``). ``every``: all products will be scored exactly, so the similarities are
    computed for the whole set at once (``NameTagMatcher.similarities``) instead of one product
    at a time.
    """

    def __init__(
        self,
        text: TextIndex,
        names: NameTagMatcher,
        config: RankingConfig,
        weight: float,
        purpose: str | None,
        positions: Sequence[int],
        *,
        every: bool,
    ) -> None:
        """Tokenise the purpose once and take every ranked product's BM25 (see the module)."""
        self.config = config
        self.weight = weight
        self._terms: list[str] = []
        self._text = text
        self._keys: dict[int, int] = {}  # position → figures (see ``_key``)
        self._cents: dict[int, int] = {}
        self._made: dict[int, Component] = {}
        self._flat: Component | None = None
        stripped = (purpose or "").strip()
        if not stripped:
            said = "未填写融资需求，无法判断用途相关度" if purpose is None else "融资需求未写明用途"
            self._flat = component(config, _NAME, weight, 0.0, said)
            flat = round(self._flat.points * 100)
            # Every product scores ``flat`` exactly: an estimate of 0, off by exactly that.
            self.raw: list[float] = []
            self.picked: Sequence[float] = []
            self._packed = False
            self.rate, self.shortfall, self.reach = 0.0, float(-flat), float(flat)
            self._scale = 0.0
            self._shown = ""
            self._similarity: Callable[[int], float] = lambda position: 0.0
            return
        self._shown = (
            stripped if len(stripped) <= _SHOWN_PURPOSE else stripped[:_SHOWN_PURPOSE] + "…"
        )
        tokens = query_terms(stripped)
        terms = list(dict.fromkeys(tokens))
        self._terms = [term for term in terms if text.idf(term) > 0.0]  # in some product
        self._found: dict[int, tuple[float, int]] = {}  # position → raw BM25 and shared mask
        packed = None if every else text.packed_scores(self._terms)
        self._packed = packed is not None
        self.shortfall, self.reach = margins(config, weight)
        if packed is None:
            self._from_raw(text, tokens, positions)
        else:
            self._from_packed(packed, positions)
        if every:
            similar = names.similarities(stripped)
            self._similarity = lambda position: similar.get(position, 0.0)
        else:
            self._similarity = names.scorer(stripped)

    def _from_raw(self, text: TextIndex, tokens: Sequence[str], positions: Sequence[int]) -> None:
        """Estimates from every product's raw BM25 (``raw``, by position; 0 for a product
        without a shared word): ``picked`` holds the ranked products' in ``positions`` order."""
        _, self.raw = text.raw_scores(tokens)
        self.picked = list(map(self.raw.__getitem__, positions))
        best = max(self.picked, default=0.0)
        self._scale = 100.0 / best if best > 0.0 else 0.0
        self.rate = self.weight * self.config.bm25_share * self._scale

    def _from_packed(self, packed: Sequence[int], positions: Sequence[int]) -> None:
        """Estimates from packed BM25 (``TextIndex.packed_scores``): ``picked`` holds the ranked
        products' packed figures, ``rate`` turns them into points, and the margins grow by what
        packing can be off (``n`` terms: ``n + n × 2**-52 × p`` units, one more to be safe). The
        best raw BM25, which scales every product, is exact: the product with the best packed
        figure has it unless another one is within that error, and then those are all worked
        out exactly."""
        self.raw = []  # (raw BM25 comes one product at a time: ``_search``)
        self.picked = picked = _pick(packed, positions)
        top = max(picked, default=0)
        count = len(self._terms)
        error = count + count * 2.0**-52 * top + 1.0  # in units (``UNIT``)
        best = 0.0
        if top:
            slot = picked.index(top)
            second = max(max(picked[:slot], default=0), max(picked[slot + 1 :], default=0))
            best = self._raw(positions[slot])
            if best * UNIT < second + error:  # a close second: make sure
                close = top - 2.0 * error
                best = max(
                    self._raw(p) for p, v in zip(positions, picked, strict=True) if v >= close
                )
        self._scale = 100.0 / best if best > 0.0 else 0.0
        self.rate = self.weight * self.config.bm25_share * self._scale / UNIT
        self.shortfall += self.rate * error
        self.reach += self.rate * error

    def _raw(self, position: int) -> float:
        """The product's raw BM25 (what ``TextIndex.raw_scores`` gives it)."""
        if self._packed:
            return self._search(position)[0]
        return self.raw[position]

    def _mask(self, position: int) -> int:
        """The product's shared-word mask (bit i: ``_terms[i]``), with packed BM25 only."""
        return self._search(position)[1]

    def _search(self, position: int) -> tuple[float, int]:
        """The product's raw BM25 and shared-word mask, looked up once."""
        found = self._found.get(position)
        if found is None:
            found = self._found[position] = self._text.score_and_mask(self._terms, position)
        return found

    def _key(self, position: int) -> int:
        """BM25 and similarity in hundredths, as ``bm25 << 7 | similarity``."""
        key = self._keys.get(position)
        if key is None:
            bm25 = int(self._raw(position) * self._scale + 0.5)
            similarity = int(self._similarity(position) * 100.0 + 0.5)
            key = self._keys[position] = bm25 << 7 | similarity
        return key

    def _key_cents(self, key: int) -> int:
        """The exact points in hundredths of the figures ``key`` (see ``_key``)."""
        found = self._cents.get(key)
        if found is None:
            config = self.config
            value = (config.bm25_share * (key >> 7) + config.name_tag_share * (key & 127)) / 100.0
            found = self._cents[key] = cents(self.weight, value)
        return found

    def cents(self, position: int) -> int:
        """The product's exact points in hundredths."""
        if self._flat is not None:
            return round(self.reach)
        return self._key_cents(self._key(position))

    def every_cents(self, positions: Sequence[int]) -> list[int]:
        """``cents`` of every product at ``positions``, in one sweep."""
        if self._flat is not None:
            return [round(self.reach)] * len(positions)
        raw, scale, similarity = self.raw, self._scale, self._similarity
        keys = [
            int(raw[p] * scale + 0.5) << 7 | int(similarity(p) * 100.0 + 0.5) for p in positions
        ]
        self._keys.update(zip(positions, keys, strict=True))
        points = {key: self._key_cents(key) for key in dict.fromkeys(keys)}
        return list(map(points.__getitem__, keys))

    def components(self, positions: Sequence[int]) -> list[Component]:
        """The products' components with their sentences (one per distinct figures)."""
        if self._flat is not None:
            return [self._flat] * len(positions)
        if len(positions) > _FEW:  # one sweep of the postings beats a search per product
            every = self._text.shared_masks(self._terms)
            masks = list(map(every.__getitem__, positions))
        elif not self._packed:
            shared, raw, terms = self._text.shared, self.raw, self._terms
            masks = [shared(terms, p) if raw[p] > 0.0 else 0 for p in positions]
        else:  # (found with the raw BM25: the returned products' points are worked out)
            masks = [self._mask(p) for p in positions]
        known = self._keys  # (every returned product has had its exact points worked out)
        keys = [
            mask << 14 | (known[p] if p in known else self._key(p))
            for p, mask in zip(positions, masks, strict=True)
        ]
        made = self._made
        for key in dict.fromkeys(keys):
            if key not in made:
                made[key] = self._component(key)
        return list(map(made.__getitem__, keys))

    def _component(self, key: int) -> Component:
        """The component of shared-word mask ``key >> 14``, BM25 and similarity (``_key``)."""
        mask, bm25, similarity = key >> 14, key >> 7 & 127, key & 127
        shared = [term for bit, term in enumerate(self._terms) if mask >> bit & 1]
        config = self.config
        value = (config.bm25_share * bm25 + config.name_tag_share * similarity) / 100.0
        said = _sentence(bm25, similarity, value, shared, self._shown)
        return component(config, _NAME, self.weight, value, said)
