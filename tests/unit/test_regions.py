"""Administrative division table built from python-stdnum's cn/loc.dat plus the overlay."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.identity.regions import (
    Region,
    all_regions,
    build_region_table,
    lookup_region,
    province_code_known,
    region_name,
    within_region,
)

DOMAIN_FACT_CODES = [
    ("370000", "山东省", "山东省", "province"),
    ("371300", "临沂市", "山东省临沂市", "city"),
    ("371302", "兰山区", "山东省临沂市兰山区", "county"),
    ("371311", "罗庄区", "山东省临沂市罗庄区", "county"),
    ("371312", "河东区", "山东省临沂市河东区", "county"),
    ("320000", "江苏省", "江苏省", "province"),
    ("320100", "南京市", "江苏省南京市", "city"),
    ("320500", "苏州市", "江苏省苏州市", "city"),
    ("320505", "虎丘区", "江苏省苏州市虎丘区", "county"),
    ("640000", "宁夏回族自治区", "宁夏回族自治区", "province"),
    ("640100", "银川市", "宁夏回族自治区银川市", "city"),
    ("640104", "兴庆区", "宁夏回族自治区银川市兴庆区", "county"),
]

SAMPLE_LOC = """\
# comment line
37 province="山东省"
  0000 county="山东省"
  1300 county="[1994-]临沂市"
  1301 county="[1994-]市辖区"
  1302 county="[1994-]兰山区"
  1324 county="[1994-2013]苍山县,[2014-]兰陵县"
  1390 county="[1994-2000]甲县,[2001-2010]乙县"
11 province="北京市"
  0000 county="北京市"
  0100 county="市辖区"
  0101 county="东城区"
  0103 county="[-2010]崇文区"
  0200 county="[-2015]县"
  0228 county="[-2015]密云县"
"""


@pytest.mark.parametrize(("code", "name", "full_name", "level"), DOMAIN_FACT_CODES)
def test_domain_fact_codes_resolve(code: str, name: str, full_name: str, level: str) -> None:
    assert lookup_region(code) == Region(
        code=code, name=name, full_name=full_name, level=level, abolished=False
    )
    assert region_name(code) == full_name


def test_historical_code_resolves_as_abolished() -> None:
    region = lookup_region("640102")
    assert region is not None
    assert region.abolished
    assert region.name == "城区"
    assert region.full_name == "宁夏回族自治区银川市城区"


def test_renamed_code_takes_latest_name() -> None:
    region = lookup_region("371324")
    assert region is not None
    assert region.name == "兰陵县"
    assert not region.abolished


def test_placeholder_names_are_skipped_in_full_name() -> None:
    assert region_name("110101") == "北京市东城区"
    assert region_name("500101") == "重庆市万州区"


def test_table_is_large_cached_and_well_formed() -> None:
    table = all_regions()
    assert table is all_regions()
    assert len(table) > 3000
    for code, region in table.items():
        assert region.code == code
        assert len(code) == 6
        assert code.isdigit()
        assert "[" not in region.name
        assert "]" not in region.name
        assert region.full_name.endswith(region.name)


@pytest.mark.parametrize("code", ["", "37", "3713", "37130", "3713020", "37130a", "999999", None])
def test_unknown_or_malformed_codes(code: str | None) -> None:
    assert lookup_region(code) is None  # type: ignore[arg-type]
    assert region_name(code) is None  # type: ignore[arg-type]


def test_province_code_known() -> None:
    for code in ["11", "32", "37", "64", "65", "71", "81", "82"]:
        assert province_code_known(code)
    for code in ["00", "10", "19", "99", "3", "370", "", "ab"]:
        assert not province_code_known(code)


def test_within_region() -> None:
    assert within_region("371302", "3713")
    assert within_region("371302", "37")
    assert within_region("371302", "371302")
    assert not within_region("371302", "3714")
    assert not within_region("320505", "3713")
    assert not within_region(None, "3713")


@settings(max_examples=100, deadline=None)
@given(code=st.text(alphabet="0123456789", min_size=6, max_size=6), cut=st.integers(0, 6))
def test_within_region_is_prefix(code: str, cut: int) -> None:
    assert within_region(code, code[:cut])
    other = code[:cut] + ("1" if code[cut : cut + 1] == "0" else "0") if cut < 6 else None
    if other is not None:
        assert not within_region(code, other)


def test_build_region_table_parses_year_ranges() -> None:
    table = build_region_table(SAMPLE_LOC)
    assert table["370000"] == Region("370000", "山东省", "山东省", "province", False)
    assert table["371300"] == Region("371300", "临沂市", "山东省临沂市", "city", False)
    assert table["371301"].level == "county"
    assert table["371302"].full_name == "山东省临沂市兰山区"
    assert table["371324"].name == "兰陵县"
    assert not table["371324"].abolished
    assert table["371390"] == Region("371390", "乙县", "山东省临沂市乙县", "county", True)
    assert table["110103"] == Region("110103", "崇文区", "北京市崇文区", "county", True)
    assert table["110200"].abolished
    assert table["110228"].full_name == "北京市密云县"


def test_build_region_table_applies_overlay() -> None:
    table = build_region_table(SAMPLE_LOC, {"371399": "新区", "371324": "兰陵县新", "x": "bad"})
    assert table["371399"] == Region("371399", "新区", "山东省临沂市新区", "county", False)
    assert table["371324"].name == "兰陵县新"
    assert "x" not in table


def test_province_line_used_without_0000_line() -> None:
    table = build_region_table('99 province="测试省"\n  0100 county="甲市"\n')
    assert table["990000"].name == "测试省"
    assert table["990100"].full_name == "测试省甲市"


def test_overlay_file_is_well_formed_and_only_adds_missing_codes() -> None:
    path = resources.files("backend.identity").joinpath("data", "regions_overlay.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["source"]
    assert isinstance(data["regions"], dict)
    stdnum_only = build_region_table(
        resources.files("stdnum").joinpath("cn", "loc.dat").read_text(encoding="utf-8")
    )
    for code, name in data["regions"].items():
        assert len(code) == 6
        assert code.isdigit()
        assert code not in stdnum_only
        assert lookup_region(code) is not None
        assert lookup_region(code).name == name  # type: ignore[union-attr]
