"""The ranking file (``seed_products/ranking.json``): weights of the six components and each
component's parameters, read once and checked; a malformed file names the bad place."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "seed_products" / "ranking.json"
COMPONENTS = (
    "amount_fit",
    "term_fit",
    "rate",
    "text_relevance",
    "regional_focus",
    "approval_likelihood",
)

REGION_LEVELS = ("county", "city", "province", "nationwide", "outside")


class RankingConfigError(ValueError):
    """The ranking file is malformed; the message names the place."""


@dataclass(frozen=True)
class Weights:
    """Relative weight of each component; scaled to add up to 100 when ranking."""

    amount_fit: float
    term_fit: float
    rate: float
    text_relevance: float
    regional_focus: float
    approval_likelihood: float

    def __post_init__(self) -> None:
        """Refuse negative, non-numeric or all-zero weights."""
        for name in COMPONENTS:
            _check_number(getattr(self, name), f"weights.{name}", low=0.0)
        if not any(getattr(self, name) for name in COMPONENTS):
            raise RankingConfigError("weights: at least one weight must be above 0")

    @classmethod
    def from_mapping(cls, weights: Mapping[str, Any]) -> Weights:
        """Weights from ``{component name: weight}``, naming every component exactly once."""
        unknown = sorted(set(weights) - set(COMPONENTS))
        if unknown:
            raise RankingConfigError(
                f"weights: unknown component {', '.join(unknown)}; known: {', '.join(COMPONENTS)}"
            )
        missing = [name for name in COMPONENTS if name not in weights]
        if missing:
            raise RankingConfigError(f"weights: missing component {', '.join(missing)}")
        return cls(**{name: weights[name] for name in COMPONENTS})

    def scaled(self) -> dict[str, float]:
        """Each weight × 100 ÷ their total: the points a component's full value is worth."""
        values = [float(getattr(self, name)) for name in COMPONENTS]
        total = sum(values)
        return {name: value * 100.0 / total for name, value in zip(COMPONENTS, values, strict=True)}


@dataclass(frozen=True)
class RankingConfig:
    """The ranking file, checked: version, weights, labels and each component's parameters."""

    version: str
    weights: Weights
    labels: Mapping[str, str]
    neutral_value: float
    rate_floor: float
    rate_ceiling: float
    bm25_k1: float
    bm25_b: float
    bm25_share: float
    name_tag_share: float
    name_tag_cutoff: float
    region_values: Mapping[str, float]
    grade_order: tuple[str, ...]
    at_or_above: float
    one_below: float
    further_below: float


def _check_number(
    value: Any, where: str, *, low: float = -math.inf, high: float = math.inf
) -> float:
    """``value`` as a float when it is a finite number within [low, high]; else a clear error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise RankingConfigError(
            f"{where} must be a number from {low:g} to {high:g}, got {value!r}"
        )
    return float(value)


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of the file."""
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise RankingConfigError(f"{key} must be an object")
    return value


def _named(section: Mapping[str, Any], key: str, names: Sequence[str]) -> dict[str, Any]:
    """A section that must name exactly ``names``."""
    unknown = sorted(set(section) - set(names))
    missing = [name for name in names if name not in section]
    if unknown or missing:
        raise RankingConfigError(
            f"{key}: unknown {', '.join(unknown) or '-'}, missing {', '.join(missing) or '-'}"
        )
    return {name: section[name] for name in names}


def parse_config(data: Any) -> RankingConfig:
    """Check the parsed ranking file and return it; ``RankingConfigError`` names what is wrong."""
    if not isinstance(data, Mapping):
        raise RankingConfigError("the ranking file must be a JSON object")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RankingConfigError("version must be a non-empty string")
    labels = _named(_section(data, "labels"), "labels", COMPONENTS)
    for name, label in labels.items():
        if not isinstance(label, str) or not label.strip():
            raise RankingConfigError(f"labels.{name} must be a non-empty string")
    rate, text = _section(data, "rate"), _section(data, "text")
    floor = _check_number(rate.get("floor"), "rate.floor", low=0.0, high=1.0)
    ceiling = _check_number(rate.get("ceiling"), "rate.ceiling", low=0.0, high=1.0)
    if ceiling <= floor:
        raise RankingConfigError("rate.ceiling must be above rate.floor")
    shares = [
        _check_number(text.get(k), f"text.{k}", low=0.0, high=1.0)
        for k in ("bm25_share", "name_tag_share")
    ]
    if not math.isclose(sum(shares), 1.0, abs_tol=1e-9):
        raise RankingConfigError("text.bm25_share + text.name_tag_share must add up to 1")
    regions = _named(_section(data, "regional_focus"), "regional_focus", REGION_LEVELS)
    approval = _section(data, "approval_likelihood")
    order = approval.get("grade_order")
    if (
        not isinstance(order, list)
        or not order
        or not all(isinstance(grade, str) and grade for grade in order)
        or len(set(order)) != len(order)
    ):
        raise RankingConfigError("approval_likelihood.grade_order must list distinct grades")
    return RankingConfig(
        version=version,
        weights=Weights.from_mapping(_section(data, "weights")),
        labels=labels,
        neutral_value=_check_number(data.get("neutral_value"), "neutral_value", low=0.0, high=1.0),
        rate_floor=floor,
        rate_ceiling=ceiling,
        bm25_k1=_check_number(text.get("bm25_k1"), "text.bm25_k1", low=0.0),
        bm25_b=_check_number(text.get("bm25_b"), "text.bm25_b", low=0.0, high=1.0),
        bm25_share=shares[0],
        name_tag_share=shares[1],
        name_tag_cutoff=_check_number(
            text.get("name_tag_cutoff"), "text.name_tag_cutoff", low=0.0, high=100.0
        ),
        region_values={
            level: _check_number(value, f"regional_focus.{level}", low=0.0, high=1.0)
            for level, value in regions.items()
        },
        grade_order=tuple(order),
        **{
            key: _check_number(approval.get(key), f"approval_likelihood.{key}", low=0.0, high=1.0)
            for key in ("at_or_above", "one_below", "further_below")
        },
    )


@cache
def load_config(path: Path = DEFAULT_PATH) -> RankingConfig:
    """Read and check a ranking file once per path (the default is the seed file)."""
    try:
        return parse_config(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, RankingConfigError) as error:
        raise RankingConfigError(f"{path.name}: {error}") from error
