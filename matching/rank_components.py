"""The ranking components that depend on product figures alone (see ``matching.rank``).

Each family (amount, term, region, grade) is valued per distinct figure (an amount range, a term
range, a list of served regions, a target grade), not per product. Its function gives the value,
and the Chinese sentence only when asked (``explain``), so a ranking call values every group
first and writes sentences only for the groups its returned products fall in; value and sentence
come from the same branch. ``points`` turns a value into the points shown and whole hundredths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from matching.rank_config import RankingConfig

_LEVEL_NAMES = {"county": "区县", "city": "市", "province": "省"}
_WAN = Decimal(10000)


@dataclass(frozen=True, init=False)
class Component:
    """One scored component: ``points = weight × value`` with the reason in Chinese."""

    name: str
    label: str
    weight: float
    value: float
    points: float
    explanation: str

    def __init__(
        self, name: str, label: str, weight: float, value: float, points: float, explanation: str
    ) -> None:
        """Make the component (frozen all the same: see ``matching.rank.RankedProduct``)."""
        fields = self.__dict__
        fields["name"] = name
        fields["label"] = label
        fields["weight"] = weight
        fields["value"] = value
        fields["points"] = points
        fields["explanation"] = explanation


@lru_cache(maxsize=8192)
def points(weight: float, value: float) -> tuple[float, float, int]:
    """The value clamped to 0..1 (four places), its points (two places) and those in hundredths.

    (``matching.rank_text.margins`` bounds what these three roundings can add or take away.)
    Kept per (weight, value): a ranking call asks for the same few values again and again (a fit
    of 1, a grade's value), and three roundings cost more than the lookup.
    """
    value = min(1.0, max(0.0, round(value, 4)))
    shown = round(weight * value, 2)
    return value, shown, round(shown * 100)


def component(
    config: RankingConfig, name: str, weight: float, value: float, explanation: str
) -> Component:
    """A component with its value clamped to 0..1 and its points rounded to two places."""
    value, shown, _ = points(weight, value)
    return Component(name, config.labels[name], weight, value, shown, explanation)


def cents(weight: float, value: float) -> int:
    """The points of ``value`` in whole hundredths (what scores add up and tie on)."""
    return points(weight, value)[2]


# --- how figures are written ---------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros, to at most four places."""
    text = format(Decimal(value).quantize(Decimal("0.0001")).normalize(), "f")
    return "0" if text in ("-0", "") else text


def money(amount: Decimal) -> str:
    """Yuan as people write it: 3000000 → 300万元, 5000 → 5000元."""
    return f"{plain(amount / _WAN)}万元" if abs(amount) >= _WAN else f"{plain(amount)}元"


def money_range(low: Decimal, high: Decimal) -> str:
    """An amount range: 10万–500万元."""
    if low == high:
        return money(low)
    if abs(low) >= _WAN and abs(high) >= _WAN:
        return f"{plain(low / _WAN)}万–{plain(high / _WAN)}万元"
    return f"{money(low)}–{money(high)}"


def percent(rate: Decimal | float) -> str:
    """A fractional rate in per cent: 0.0435 → 4.35%."""
    return f"{plain(Decimal(str(rate)) * 100)}%"


def region_prefix(code: str) -> str:
    """A product region as a match prefix: "370000" → "37", "371300" → "3713"."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


# --- the families ----------------------------------------------------------------------------


class AmountRange(NamedTuple):
    """A product's amount range with its figures written out once (when products load)."""

    low: Decimal
    high: Decimal
    span: str  # 10万–500万元
    low_text: str
    high_text: str

    @classmethod
    def of(cls, low: Decimal, high: Decimal) -> AmountRange:
        """The range [low, high]."""
        return cls(low, high, money_range(low, high), money(low), money(high))


def amount_fit(
    amounts: AmountRange, wanted: Decimal, *, explain: str | None = None
) -> tuple[float, str]:
    """amount_fit of a demand's amount against a product's range; ``explain``: the amount
    written out (``money(wanted)``) for the sentence, which is left empty without it."""
    low, high = amounts.low, amounts.high
    if low <= wanted <= high:
        return 1.0, ("" if explain is None else f"需求金额{explain}在产品额度{amounts.span}之内")
    if wanted > high:
        value = float(high / wanted) if wanted > 0 else 0.0
        if explain is None:
            return value, ""
        return value, f"需求金额{explain}高于产品最高额度{amounts.high_text}，匹配度{value:.2f}"
    value = float(wanted / low) if low > 0 else 0.0
    if explain is None:
        return value, ""
    return value, f"需求金额{explain}低于产品最低额度{amounts.low_text}，匹配度{value:.2f}"


def term_fit(low: int, high: int, wanted: int, *, explain: bool = False) -> tuple[float, str]:
    """term_fit of a demand's term in months against the range [low, high]."""
    if low <= wanted <= high:
        span = f"{low}个月" if low == high else f"{low}–{high}个月"
        return 1.0, (f"需求期限{wanted}个月在产品期限{span}之内" if explain else "")
    if wanted > high:
        value = high / wanted if wanted > 0 else 0.0
        said = f"需求期限{wanted}个月长于产品最长期限{high}个月，匹配度{value:.2f}"
        return value, (said if explain else "")
    value = wanted / low if low > 0 else 0.0
    said = f"需求期限{wanted}个月短于产品最短期限{low}个月，匹配度{value:.2f}"
    return value, (said if explain else "")


def neutral_fit(config: RankingConfig, label: str) -> tuple[float, str]:
    """amount_fit or term_fit without a demand: the neutral value, saying so."""
    neutral = config.neutral_value
    return neutral, f"未填写融资需求，{label}匹配按中性值{neutral:g}计"


def firm_region(facts: Mapping[str, Any]) -> str:
    """The firm's division code as regional_focus reads it ("" when unknown)."""
    code = facts.get("region_code")
    return code.strip() if isinstance(code, str) else ""


def regional_focus(
    regions: Sequence[str], code: str, values: Mapping[str, float], *, explain: bool = False
) -> tuple[float, str]:
    """regional_focus of a list of served region prefixes (empty: nationwide) for a firm's code."""
    if not regions:
        value = values["nationwide"]
        if not explain:
            return value, ""
        if not code:
            return value, f"企业所在地区未知，全国性产品按{value:g}计"
        return value, "产品面向全国，未专门服务企业所在地区"
    if not code:
        return values["outside"], "企业所在地区未知，无法确认是否在产品服务地区内"
    matched = [prefix for prefix in regions if code.startswith(prefix)]
    if matched:
        prefix = max(matched, key=len)
        level = "province" if len(prefix) <= 2 else "city" if len(prefix) <= 4 else "county"
        value = values[level]
        return value, (
            f"产品服务地区覆盖企业所在{_LEVEL_NAMES[level]}（{prefix}）" if explain else ""
        )
    if not explain:
        return values["outside"], ""
    served = "、".join(regions[:5]) + ("等" if len(regions) > 5 else "")
    return values["outside"], f"产品服务地区（{served}）不含企业所在地（{code}）"


def approval_likelihood(config: RankingConfig, target: str | None, grade: Any) -> tuple[float, str]:
    """approval_likelihood of a firm's credit grade against a product's target grade."""
    order = config.grade_order
    if target not in order:
        value = config.neutral_value
        return value, f"产品未设目标信用等级，获批可能按中性值{value:g}计"
    if grade not in order:
        value = config.neutral_value
        return value, f"企业信用等级未知，获批可能按中性值{value:g}计"
    below = order.index(grade) - order.index(target)
    if below <= 0:
        return config.at_or_above, f"企业信用等级{grade}不低于产品目标等级{target}"
    if below == 1:
        return config.one_below, f"企业信用等级{grade}比产品目标等级{target}低一级"
    return config.further_below, f"企业信用等级{grade}比产品目标等级{target}低{below}级"


def rate_component(config: RankingConfig, weight: float, low: Decimal, high: Decimal) -> Component:
    """rate: 1 − (min rate − floor) ÷ (ceiling − floor), clamped; cheaper is better."""
    floor, ceiling = config.rate_floor, config.rate_ceiling
    span = f"{percent(floor)}–{percent(ceiling)}"
    shown = percent(low) if low == high else f"{percent(low)}–{percent(high)}"
    value = min(1.0, max(0.0, 1.0 - (float(low) - floor) / (ceiling - floor)))
    text = (
        f"产品年利率{shown}，最低年利率{percent(low)}对照参考区间{span}计{value:.2f}，利率越低越高"
    )
    return component(config, "rate", weight, value, text)
