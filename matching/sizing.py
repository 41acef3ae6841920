"""SME size class (中小企业划型) under 工信部联企业〔2011〕300号.

The thresholds and the GB/T 4754-2017 industry mapping live in
``seed_products/sme_size_classes.json`` (with their source and what still needs checking), so a
correction is a data change. This module only reads that file and applies it:

* each industry group uses one or two figures: employees (从业人员), revenue (营业收入) and total
  assets (资产总额), the money figures in 万元;
* an enterprise takes the highest class (large, medium, small) whose lines it reaches on *every*
  figure the group uses, and is micro otherwise;
* a figure the group uses that is missing makes the class unknown (``None``): never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parents[1] / "seed_products" / "sme_size_classes.json"
SIZE_CLASSES = ("micro", "small", "medium", "large")
FIGURES = ("employees", "revenue", "assets")
_TIERS = ("large", "medium", "small")  # tried from the top: the first one fully reached wins
_YUAN_PER_WAN = Decimal(10000)
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")


@dataclass(frozen=True)
class IndustryGroup:
    """One row of the 300号 table: the figures it uses and each class's lines (万元, persons)."""

    name: str
    figures: tuple[str, ...]
    lines: dict[str, dict[str, Decimal]]  # tier -> figure -> line


@dataclass(frozen=True)
class SizeTable:
    """The whole standard: industry groups and the industry-code prefix map."""

    version: str
    source: str
    groups: dict[str, IndustryGroup]
    industry_map: dict[str, str | None]


def _parse_group(name: str, raw: dict[str, Any]) -> IndustryGroup:
    figures = tuple(raw["figures"])
    unknown = set(figures) - set(FIGURES)
    if not figures or unknown:
        raise ValueError(f"size group {name}: bad figures {sorted(unknown) or figures}")
    lines: dict[str, dict[str, Decimal]] = {}
    for tier in _TIERS:
        tier_lines = raw[tier]
        if set(tier_lines) != set(figures):
            raise ValueError(f"size group {name}: {tier} must give exactly {figures}")
        lines[tier] = {fig: Decimal(str(tier_lines[fig])) for fig in figures}
    for fig in figures:
        if not lines["small"][fig] <= lines["medium"][fig] <= lines["large"][fig]:
            raise ValueError(f"size group {name}: {fig} lines must rise from small to large")
    return IndustryGroup(name=name, figures=figures, lines=lines)


def parse_size_table(raw: dict[str, Any]) -> SizeTable:
    """Build a SizeTable from the JSON document, checking that it is consistent."""
    groups = {name: _parse_group(name, spec) for name, spec in raw["groups"].items()}
    industry_map: dict[str, str | None] = {}
    for prefix, group in raw["industry_map"].items():
        if not _INDUSTRY_CODE.fullmatch(prefix):
            raise ValueError(f"industry_map: {prefix!r} is not a GB/T 4754 code")
        if group is not None and group not in groups:
            raise ValueError(f"industry_map: {prefix} names unknown group {group!r}")
        industry_map[prefix] = group
    return SizeTable(
        version=str(raw["version"]),
        source=str(raw["source"]),
        groups=groups,
        industry_map=industry_map,
    )


@lru_cache(maxsize=4)
def load_size_table(path: Path = DATA_FILE) -> SizeTable:
    """Read and check the size-class table (cached per path)."""
    with path.open(encoding="utf-8") as handle:
        return parse_size_table(json.load(handle))


def industry_group(industry_code: str | None, *, table: SizeTable | None = None) -> str | None:
    """The 300号 industry group of a GB/T 4754 code (longest prefix wins), or None."""
    if not industry_code:
        return None
    code = industry_code.strip().upper()
    if not _INDUSTRY_CODE.fullmatch(code):
        return None
    mapping = (table or load_size_table()).industry_map
    for length in range(len(code), 0, -1):
        if code[:length] in mapping:
            return mapping[code[:length]]
    return None


def required_figures(
    industry_code: str | None, *, table: SizeTable | None = None
) -> tuple[str, ...] | None:
    """The figures (of ``employees revenue assets``) the code's group is classed by, or None."""
    table = table or load_size_table()
    group = industry_group(industry_code, table=table)
    return None if group is None else table.groups[group].figures


def classify_size(
    industry_code: str | None,
    *,
    employees: int | None,
    revenue_yuan: Decimal | None,
    assets_yuan: Decimal | None,
    table: SizeTable | None = None,
) -> str | None:
    """``micro small medium large``, or None when the industry or a figure it needs is unknown.

    Revenue and assets are given in yuan and compared with the table's 万元 lines.
    """
    table = table or load_size_table()
    group_name = industry_group(industry_code, table=table)
    if group_name is None:
        return None
    group = table.groups[group_name]
    given: dict[str, Decimal | None] = {
        "employees": None if employees is None else Decimal(employees),
        "revenue": None if revenue_yuan is None else Decimal(revenue_yuan) / _YUAN_PER_WAN,
        "assets": None if assets_yuan is None else Decimal(assets_yuan) / _YUAN_PER_WAN,
    }
    figures: dict[str, Decimal] = {}
    for fig in group.figures:
        value = given[fig]
        if value is None:
            return None
        figures[fig] = value
    for tier in _TIERS:
        if all(figures[fig] >= line for fig, line in group.lines[tier].items()):
            return tier
    return "micro"
