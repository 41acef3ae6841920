"""SME size classes (工信部联企业〔2011〕300号): every group's lines, the ceilings, the code map."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.sizing import (
    DATA_FILE,
    SIZE_CLASSES,
    classify_size,
    industry_group,
    load_size_table,
    parse_size_table,
    required_figures,
)

WAN = Decimal(10000)

# One industry code per group, and the table's lines from DOMAIN_FACTS.md (万元, persons):
# (code, {tier: {figure: line}}) with tiers small, medium, large (large = the bracket, read as AND).
GROUPS = {
    "农林牧渔业": ("A01", {"small": {"R": 50}, "medium": {"R": 500}, "large": {"R": 20000}}),
    "工业": (
        "C39",
        {
            "small": {"Y": 20, "R": 300},
            "medium": {"Y": 300, "R": 2000},
            "large": {"Y": 1000, "R": 40000},
        },
    ),
    "建筑业": (
        "E47",
        {
            "small": {"R": 300, "Z": 300},
            "medium": {"R": 6000, "Z": 5000},
            "large": {"R": 80000, "Z": 80000},
        },
    ),
    "批发业": (
        "F51",
        {
            "small": {"Y": 5, "R": 1000},
            "medium": {"Y": 20, "R": 5000},
            "large": {"Y": 200, "R": 40000},
        },
    ),
    "零售业": (
        "F52",
        {
            "small": {"Y": 10, "R": 100},
            "medium": {"Y": 50, "R": 500},
            "large": {"Y": 300, "R": 20000},
        },
    ),
    "交通运输业": (
        "G54",
        {
            "small": {"Y": 20, "R": 200},
            "medium": {"Y": 300, "R": 3000},
            "large": {"Y": 1000, "R": 30000},
        },
    ),
    "仓储业": (
        "G59",
        {
            "small": {"Y": 20, "R": 100},
            "medium": {"Y": 100, "R": 1000},
            "large": {"Y": 200, "R": 30000},
        },
    ),
    "邮政业": (
        "G60",
        {
            "small": {"Y": 20, "R": 100},
            "medium": {"Y": 300, "R": 2000},
            "large": {"Y": 1000, "R": 30000},
        },
    ),
    "住宿业和餐饮业": (
        "H62",
        {
            "small": {"Y": 10, "R": 100},
            "medium": {"Y": 100, "R": 2000},
            "large": {"Y": 300, "R": 10000},
        },
    ),
    "信息传输业": (
        "I63",
        {
            "small": {"Y": 10, "R": 100},
            "medium": {"Y": 100, "R": 1000},
            "large": {"Y": 2000, "R": 100000},
        },
    ),
    "软件和信息技术服务业": (
        "I65",
        {
            "small": {"Y": 10, "R": 50},
            "medium": {"Y": 100, "R": 1000},
            "large": {"Y": 300, "R": 10000},
        },
    ),
    "房地产开发经营": (
        "K7010",
        {
            "small": {"R": 100, "Z": 2000},
            "medium": {"R": 1000, "Z": 5000},
            "large": {"R": 200000, "Z": 10000},
        },
    ),
    "物业管理": (
        "K702",
        {
            "small": {"Y": 100, "R": 500},
            "medium": {"Y": 300, "R": 1000},
            "large": {"Y": 1000, "R": 5000},
        },
    ),
    "租赁和商务服务业": (
        "L72",
        {
            "small": {"Y": 10, "Z": 100},
            "medium": {"Y": 100, "Z": 8000},
            "large": {"Y": 300, "Z": 120000},
        },
    ),
    "其他未列明行业": ("M73", {"small": {"Y": 10}, "medium": {"Y": 100}, "large": {"Y": 300}}),
}
TIER_BELOW = {"small": "micro", "medium": "small", "large": "medium"}
_ARGS = {"Y": "employees", "R": "revenue_yuan", "Z": "assets_yuan"}


def _classify(code: str, figures: dict[str, Decimal]) -> str | None:
    """Classify with figures in persons / 万元; figures the group does not use are left out."""
    kwargs: dict[str, object] = {"employees": None, "revenue_yuan": None, "assets_yuan": None}
    for key, value in figures.items():
        kwargs[_ARGS[key]] = int(value) if key == "Y" else value * WAN
    return classify_size(code, **kwargs)  # type: ignore[arg-type]


def _cases() -> list[tuple[str, str, dict[str, dict[str, int]]]]:
    return [(group, code, lines) for group, (code, lines) in GROUPS.items()]


@pytest.mark.parametrize(("group", "code", "lines"), _cases(), ids=list(GROUPS))
def test_code_maps_to_group_and_figures(
    group: str, code: str, lines: dict[str, dict[str, int]]
) -> None:
    # then
    assert industry_group(code) == group
    used = {"Y": "employees", "R": "revenue", "Z": "assets"}
    assert set(required_figures(code) or ()) == {used[k] for k in lines["small"]}


@pytest.mark.parametrize(("group", "code", "lines"), _cases(), ids=list(GROUPS))
@pytest.mark.parametrize("tier", ["small", "medium", "large"])
def test_each_line_at_and_just_below(
    group: str, code: str, lines: dict[str, dict[str, int]], tier: str
) -> None:
    at = {k: Decimal(v) for k, v in lines[tier].items()}
    # at every line: the tier
    assert _classify(code, at) == tier
    # well above the tier's lines but below the next tier's: still the tier
    if tier != "large":
        nxt = "medium" if tier == "small" else "large"
        between = {k: Decimal(lines[nxt][k]) - Decimal("0.01") for k in at}
        if "Y" in between:
            between["Y"] = Decimal(lines[nxt]["Y"] - 1)
        assert _classify(code, between) == tier
    # just below on any one figure (others at the line): one tier down
    for key in at:
        below = dict(at)
        below[key] = at[key] - (1 if key == "Y" else Decimal("0.01"))
        assert _classify(code, below) == TIER_BELOW[tier], (group, tier, key)


@pytest.mark.parametrize(("group", "code", "lines"), _cases(), ids=list(GROUPS))
def test_above_the_ceilings_is_large_and_zero_is_micro(
    group: str, code: str, lines: dict[str, dict[str, int]]
) -> None:
    above = {k: Decimal(v) * 10 for k, v in lines["large"].items()}
    assert _classify(code, above) == "large"
    assert _classify(code, {k: Decimal(0) for k in lines["large"]}) == "micro"


def test_ceiling_bracket_is_read_with_or_for_sme_and_and_for_large() -> None:
    # 工业: (Y < 1000 or R < 40000) is still an SME: exceeding only one ceiling is not large
    assert _classify("C", {"Y": Decimal(5000), "R": Decimal(39999)}) == "medium"
    assert _classify("C", {"Y": Decimal(999), "R": Decimal(900000)}) == "medium"
    assert _classify("C", {"Y": Decimal(1000), "R": Decimal(40000)}) == "large"
    # huge headcount but tiny revenue drops to micro (below small on either figure)
    assert _classify("C", {"Y": Decimal(5000), "R": Decimal(299)}) == "micro"


def test_revenue_is_given_in_yuan() -> None:
    # 零售 small needs R >= 100 万元 = 1,000,000 元
    kwargs = {"employees": 10, "assets_yuan": None}
    assert classify_size("F52", revenue_yuan=Decimal("1000000"), **kwargs) == "small"  # type: ignore[arg-type]
    assert classify_size("F52", revenue_yuan=Decimal("999999.99"), **kwargs) == "micro"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "assets"),
    [
        ("C39", None, Decimal("1e8"), None),  # 工业 needs employees
        ("C39", 500, None, None),  # and revenue
        ("E47", None, Decimal("1e8"), None),  # 建筑业 needs assets (never guessed)
        ("K7010", 10, Decimal("1e8"), None),  # 房地产开发经营 needs assets
        ("L72", 50, Decimal("1e8"), None),  # 租赁和商务服务业 needs assets, not revenue
        ("M73", None, Decimal("1e8"), Decimal("1e8")),  # 其他 needs employees only
        ("A01", 500, None, None),  # 农林牧渔 needs revenue only
        ("C39", 5, None, None),  # even when the known figure alone would say micro
    ],
)
def test_missing_figure_the_group_needs_is_unknown(
    code: str, employees: int | None, revenue: Decimal | None, assets: Decimal | None
) -> None:
    assert (
        classify_size(code, employees=employees, revenue_yuan=revenue, assets_yuan=assets) is None
    )


def test_figures_a_group_does_not_use_are_not_needed() -> None:
    assert classify_size(
        "A01", employees=None, revenue_yuan=Decimal(600 * WAN), assets_yuan=None
    ) == ("medium")
    assert classify_size("M73", employees=150, revenue_yuan=None, assets_yuan=None) == "medium"


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("A", "农林牧渔业"),
        ("A0511", "农林牧渔业"),
        ("B06", "工业"),
        ("C", "工业"),
        ("D44", "工业"),
        ("E", "建筑业"),
        ("F51", "批发业"),
        ("F5211", "零售业"),
        ("F", None),  # 批发 or 零售: cannot tell
        ("G53", None),  # 300号 excludes railway transport
        ("G54", "交通运输业"),
        ("G58", "交通运输业"),
        ("G59", "仓储业"),
        ("G60", "邮政业"),
        ("G", None),
        ("H61", "住宿业和餐饮业"),
        ("H", "住宿业和餐饮业"),  # same lines for both
        ("I64", "信息传输业"),
        ("I6510", "软件和信息技术服务业"),
        ("I", None),
        ("J66", None),  # financial firms: a separate standard
        ("K", None),
        ("K70", None),  # development or property management: cannot tell
        ("K701", "房地产开发经营"),
        ("K7010", "房地产开发经营"),
        ("K7020", "物业管理"),
        ("K703", "其他未列明行业"),
        ("L71", "租赁和商务服务业"),
        ("M", "其他未列明行业"),
        ("R90", "其他未列明行业"),
        ("S", None),
        (" c39 ", "工业"),  # trimmed and upper-cased
        ("C3", None),  # not a GB/T 4754 code
        ("Z01", None),
        ("", None),
        (None, None),
    ],
)
def test_industry_code_longest_prefix_wins(code: str | None, group: str | None) -> None:
    assert industry_group(code) == group


def test_unmapped_industry_is_unknown_size() -> None:
    figures = {"employees": 5, "revenue_yuan": Decimal(1), "assets_yuan": Decimal(1)}
    assert classify_size("J66", **figures) is None  # type: ignore[arg-type]
    assert classify_size(None, **figures) is None  # type: ignore[arg-type]


_rank = SIZE_CLASSES.index
_amount = st.decimals(min_value=0, max_value=Decimal("5e9"), places=2)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from([code for code, _ in GROUPS.values()]),
    employees=st.integers(0, 5000),
    revenue=_amount,
    assets=_amount,
    more_employees=st.integers(0, 5000),
    more_revenue=_amount,
    more_assets=_amount,
)
def test_more_never_makes_smaller(
    code: str,
    employees: int,
    revenue: Decimal,
    assets: Decimal,
    more_employees: int,
    more_revenue: Decimal,
    more_assets: Decimal,
) -> None:
    before = classify_size(code, employees=employees, revenue_yuan=revenue, assets_yuan=assets)
    after = classify_size(
        code,
        employees=employees + more_employees,
        revenue_yuan=revenue + more_revenue,
        assets_yuan=assets + more_assets,
    )
    assert before is not None and after is not None
    assert _rank(after) >= _rank(before)


def test_data_file_names_its_source_and_what_to_check() -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert "300号" in raw["source"]
    assert raw["check"]
    assert raw["reading"]
    table = load_size_table()
    assert set(table.groups) == set(GROUPS)


def test_inconsistent_table_is_refused() -> None:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    bad_lines = copy.deepcopy(raw)
    bad_lines["groups"]["工业"]["small"]["employees"] = 5000  # above medium
    bad_group = copy.deepcopy(raw)
    bad_group["industry_map"]["C"] = "制造业"
    bad_code = copy.deepcopy(raw)
    bad_code["industry_map"]["C3"] = "工业"
    for bad in (bad_lines, bad_group, bad_code):
        with pytest.raises(ValueError):
            parse_size_table(bad)
