"""Administrative division codes (行政区划代码) and names, from python-stdnum's maintained table."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "PLACEHOLDER_NAMES",
    "Region",
    "all_regions",
    "build_region_table",
    "lookup_region",
    "province_code_known",
    "region_name",
    "within_region",
]

#: Names that stand for a grouping, not a place; left out when composing a full name.
PLACEHOLDER_NAMES = frozenset(
    {
        "市辖区",
        "县",
        "省直辖县级行政单位",
        "省直辖县级行政区划",
        "省直辖行政单位",
        "自治区直辖县级行政单位",
        "自治区直辖县级行政区划",
    }
)

_CODE_RE = re.compile(r"[0-9]{6}")
_PROVINCE_LINE = re.compile(r'^([0-9]{2})\s+province="([^"]*)"\s*$')
_COUNTY_LINE = re.compile(r'^\s+([0-9]{4})\s+county="([^"]*)"\s*$')
_NAME_PART = re.compile(r"^(?:\[([0-9]{4})?-([0-9]{4})?\])?(.+)$")


@dataclass(frozen=True)
class Region:
    """One administrative division: its code, current (or last) name and composed full name."""

    code: str
    name: str
    full_name: str
    level: str
    abolished: bool


def _level(code: str) -> str:
    """Return "province", "city" or "county" from the shape of a 6-digit code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _latest_name(value: str) -> tuple[str, bool]:
    """Pick the current name from e.g. ``[1994-2013]苍山县,[2014-]兰陵县``; flag abolished."""
    current: list[tuple[int, str]] = []
    ended: list[tuple[int, int, str]] = []
    for index, part in enumerate(p.strip() for p in value.split(",")):
        match = _NAME_PART.match(part)
        if not match or not match.group(3).strip():
            continue
        end, name = match.group(2), match.group(3).strip()
        if end is None:
            current.append((index, name))
        else:
            ended.append((int(end), index, name))
    if current:
        return current[-1][1], False
    if ended:
        return max(ended)[2], True
    raise ValueError(f"no name in {value!r}")


def build_region_table(loc_text: str, overlay: dict[str, str] | None = None) -> dict[str, Region]:
    """Parse stdnum's ``cn/loc.dat`` text plus an overlay (code → name) into code → Region."""
    names: dict[str, tuple[str, bool]] = {}
    province_line_names: dict[str, str] = {}
    province = None
    for line in loc_text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if match := _PROVINCE_LINE.match(line):
            province = match.group(1)
            province_line_names[province] = match.group(2)
            continue
        if (match := _COUNTY_LINE.match(line)) and province is not None:
            try:
                names[province + match.group(1)] = _latest_name(match.group(2))
            except ValueError:
                continue
    for province, name in province_line_names.items():
        names.setdefault(province + "0000", (name, False))
    for code, name in (overlay or {}).items():
        if _CODE_RE.fullmatch(code) and name.strip():
            names[code] = (name.strip(), False)

    table: dict[str, Region] = {}
    for code, (name, abolished) in names.items():
        level = _level(code)
        parts: list[str] = []
        if level != "province":
            parts.append(names.get(code[:2] + "0000", ("", False))[0])
        if level == "county":
            parts.append(names.get(code[:4] + "00", ("", False))[0])
        full_name = "".join(p for p in parts if p and p not in PLACEHOLDER_NAMES) + name
        table[code] = Region(
            code=code, name=name, full_name=full_name, level=level, abolished=abolished
        )
    return table


def _load_overlay() -> dict[str, str]:
    """Read ``data/regions_overlay.json`` (codes newer than stdnum's snapshot)."""
    path = resources.files(__package__ or "backend.identity").joinpath(
        "data", "regions_overlay.json"
    )
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    regions = data.get("regions", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in regions.items()}


@cache
def all_regions() -> dict[str, Region]:
    """Return the full code → Region table, built once from stdnum's data and the overlay."""
    loc_text = resources.files("stdnum").joinpath("cn", "loc.dat").read_text(encoding="utf-8")
    return build_region_table(loc_text, _load_overlay())


@cache
def _province_codes() -> frozenset[str]:
    """Return the set of known 2-digit province codes."""
    return frozenset(code[:2] for code, r in all_regions().items() if r.level == "province")


def lookup_region(code: str) -> Region | None:
    """Return the Region for a 6-digit code, or None when the code is unknown or malformed."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        return None
    return all_regions().get(code)


def region_name(code: str) -> str | None:
    """Return the full name (e.g. 山东省临沂市兰山区) of a 6-digit code, or None if unknown."""
    region = lookup_region(code)
    return region.full_name if region else None


def province_code_known(code2: str) -> bool:
    """Tell whether a 2-digit string is a known province-level code."""
    return isinstance(code2, str) and code2 in _province_codes()


def within_region(code: str | None, prefix: str) -> bool:
    """Tell whether a region code lies within a region given by its code prefix (e.g. "3713")."""
    return isinstance(code, str) and code.startswith(prefix)


_PREFIX_RE = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}")


def region_prefix(code: str | None) -> str | None:
    """The match prefix of a known, current region given by 2, 4 or 6 digits, or None.

    ``37`` and ``370000`` are 山东省 (prefix ``37``), ``3713`` and ``371300`` 临沂市 (``3713``),
    ``371302`` 兰山区; products, rules and bulk reads match enterprises' region codes against it.
    """
    code = code.strip() if isinstance(code, str) else ""
    if not _PREFIX_RE.fullmatch(code):
        return None
    region = lookup_region(code.ljust(6, "0"))
    if region is None or region.abolished:
        return None
    return {"province": region.code[:2], "city": region.code[:4]}.get(region.level, region.code)
