"""Enterprise facts: the demo records, and the rules for unknown, declared and windowed facts."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from matching.facts import CONTRACT_FACTS, ENUM_VALUES, FACT_TYPES
from matching.features import compute_facts, compute_facts_with_sources

DEMO_DIR = Path(__file__).resolve().parents[2] / "seed_products" / "demo"
TODAY = date(2026, 11, 21)
SHUNDA = "91371302MA3CDXY10K"  # 临沂沂蒙顺达物流有限公司
LIJI = "92371311MA3DXY201A"  # 罗庄区李记五金店 (个体工商户)
GOUQI = "93640100MA7DXY302U"  # 银川塞上枸杞种植专业合作社
ZHIXIN = "91320505MA1DXY4036"  # 苏州智芯微电子科技有限公司
ENTITY = {
    SHUNDA: ("enterprise", "371302"),
    LIJI: ("individual_business", "371311"),
    GOUQI: ("farmer_coop", "640100"),
    ZHIXIN: ("enterprise", "320505"),
}
# CONTRACT.md "The rule language": the facts a rule may name.
CONTRACT_FACT_NAMES = {
    "entity_type",
    "region_code",
    "industry_code",
    "size_class",
    "years_in_business",
    "registered_capital",
    "employees",
    "annual_revenue",
    "tax_credit_grade",
    "annual_tax_paid",
    "is_high_tech",
    "admin_penalties_3y",
    "serious_penalties_3y",
    "has_enforcement",
    "on_dishonest_list",
    "on_abnormal_list",
    "has_utility_arrears",
    "credit_score",
    "credit_grade",
    "is_first_time_borrower",
}


def demo_records(uscc: str) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The demo enterprise's registration and its records visible today, as the platform keeps
    them: penalties past their publicity date are no longer shown."""
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(DEMO_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row["uscc"] == uscc:
                records[path.stem].append(row)
    records["admin_penalty"] = [
        r for r in records["admin_penalty"] if date.fromisoformat(r["publicity_until"]) >= TODAY
    ]
    registration = records.pop("registration")[0]
    return registration, dict(records)


def demo_facts(uscc: str, **extra: Any) -> dict[str, Any]:
    """Facts of a demo enterprise on TODAY."""
    registration, records = demo_records(uscc)
    entity_type, region_code = ENTITY[uscc]
    return compute_facts(
        registration=registration,
        records=records,
        today=TODAY,
        entity_type=entity_type,
        region_code=region_code,
        **extra,
    )


def test_fact_types_cover_the_contract_list() -> None:
    assert CONTRACT_FACT_NAMES == CONTRACT_FACTS
    assert set(FACT_TYPES) >= CONTRACT_FACT_NAMES
    assert set(FACT_TYPES.values()) <= {"string", "number", "boolean"}
    for fact in ENUM_VALUES:
        assert FACT_TYPES[fact] == "string"
    assert ENUM_VALUES["entity_type"] == (
        "enterprise",
        "individual_business",
        "farmer_coop",
        "other",
    )
    assert ENUM_VALUES["tax_credit_grade"] == ("A", "B", "M", "C", "D")


@pytest.mark.parametrize("uscc", list(ENTITY))
def test_every_fact_is_present_for_every_demo(uscc: str) -> None:
    assert set(demo_facts(uscc)) == set(FACT_TYPES)


def test_shunda_strong_logistics_firm() -> None:
    facts = demo_facts(SHUNDA)
    assert facts["tax_credit_grade"] == "A"
    assert facts["annual_tax_paid"] == Decimal("1618750.00")  # 2025, the latest year
    assert facts["annual_revenue"] == Decimal("46820000.00")
    assert facts["employees"] == 57  # social insurance, 2026-10
    assert facts["admin_penalties_3y"] == 0
    assert facts["serious_penalties_3y"] == 0
    assert facts["has_utility_arrears"] is False
    assert facts["has_enforcement"] is False
    assert facts["on_dishonest_list"] is False
    assert facts["is_high_tech"] is False
    assert facts["years_in_business"] == 10  # 2016-05-18
    assert facts["registered_capital"] == Decimal("5000000")
    assert facts["industry_code"] == "G54"
    assert facts["size_class"] == "small"  # 交通运输业: Y 57 >= 20, R 4682 万元 >= 200; Y < 300
    assert facts["honors_3y"] == 2
    assert facts["entity_type"] == "enterprise"
    assert facts["region_code"] == "371302"


def test_liji_shop_with_a_penalty_and_water_arrears() -> None:
    facts = demo_facts(LIJI)
    assert facts["tax_credit_grade"] == "B"
    # the 2024 minor penalty's publicity ended 2024-06-30: only the 2026 one is visible
    assert facts["admin_penalties_3y"] == 1
    assert facts["serious_penalties_3y"] == 0
    assert facts["has_utility_arrears"] is True  # water 2026-09 and 2026-10
    assert facts["employees"] == 4
    assert facts["size_class"] == "micro"  # 零售业: Y 4 < 10
    assert facts["years_in_business"] == 7


def test_gouqi_cooperative_new_taxpayer() -> None:
    facts = demo_facts(GOUQI)
    assert facts["tax_credit_grade"] == "M"
    assert facts["admin_penalties_3y"] == 0
    assert facts["on_abnormal_list"] is False  # listed 2023-07-03, removed 2023-10-20
    assert facts["has_utility_arrears"] is False
    assert facts["size_class"] == "small"  # 农林牧渔业: R 224 万元 in [50, 500)
    assert facts["years_in_business"] == 5  # 2021-08-10
    assert facts["entity_type"] == "farmer_coop"


def test_zhixin_high_tech_but_risky() -> None:
    facts = demo_facts(ZHIXIN)
    assert facts["is_high_tech"] is True  # certificate valid until 2026-12-12
    assert facts["serious_penalties_3y"] >= 1
    assert facts["admin_penalties_3y"] == 1
    assert facts["on_dishonest_list"] is False  # removed 2026-02-10
    assert facts["has_enforcement"] is True  # 被执行人 in a case closed 2026-02-06
    assert facts["has_utility_arrears"] is False  # gas paid
    assert facts["tax_credit_grade"] == "B"
    assert facts["employees"] == 117
    assert facts["size_class"] == "small"  # 工业: Y 117 < 300


@pytest.mark.parametrize("uscc", list(ENTITY))
def test_what_is_not_given_stays_unknown(uscc: str) -> None:
    facts = demo_facts(uscc)
    assert facts["credit_score"] is None
    assert facts["credit_grade"] is None
    assert facts["is_first_time_borrower"] is None


def test_passed_in_facts_are_kept() -> None:
    facts = demo_facts(SHUNDA, credit_score=96, credit_grade="A+", first_time_borrower=True)
    assert (facts["credit_score"], facts["credit_grade"]) == (96, "A+")
    assert facts["is_first_time_borrower"] is True


def test_bad_enum_input_is_refused() -> None:
    with pytest.raises(ValueError):
        compute_facts(registration=None, records={}, today=TODAY, entity_type="company")


def test_nothing_known_gives_none_for_authorised_data_and_none_found_for_public_data() -> None:
    facts = compute_facts(registration=None, records={}, today=TODAY)
    public = {
        "admin_penalties_3y": 0,
        "serious_penalties_3y": 0,
        "has_enforcement": False,
        "on_dishonest_list": False,
        "on_abnormal_list": False,
        "is_high_tech": False,
        "honors_3y": 0,
    }
    for fact, value in facts.items():
        if fact in public:
            assert value == public[fact] and type(value) is type(public[fact]), fact
        else:
            assert value is None, fact


def test_declarations_fill_only_missing_official_figures() -> None:
    registration = {"established_on": "2020-01-01", "industry_code": "F52"}
    declared = {"employees": 45, "annual_revenue": "8000000", "total_assets": "900000"}
    # given no official figures: the declarations are used and marked
    only_declared = compute_facts_with_sources(
        registration=registration, records={}, declarations=declared, today=TODAY
    )
    assert only_declared.values["employees"] == 45
    assert only_declared.values["annual_revenue"] == Decimal("8000000")
    assert only_declared.values["size_class"] == "small"  # 零售: Y 45 in [10, 50), R 800 万元
    assert only_declared.declared == {"employees", "annual_revenue", "size_class"}
    # given official figures: they win
    records = {
        "social_insurance": [{"month": "2026-10", "insured_count": 3}],
        "tax": [{"year": 2025, "annual_revenue": "500000.00", "tax_credit_grade": "B"}],
    }
    official = compute_facts_with_sources(
        registration=registration, records=records, declarations=declared, today=TODAY
    )
    assert official.values["employees"] == 3
    assert official.values["annual_revenue"] == Decimal("500000.00")
    assert official.values["size_class"] == "micro"
    assert official.declared == frozenset()


def test_declared_assets_make_the_size_declared_where_the_group_uses_them() -> None:
    registration = {"industry_code": "E47"}  # 建筑业: revenue and assets
    records = {"tax": [{"year": 2025, "annual_revenue": "70000000"}]}
    without = compute_facts(registration=registration, records=records, today=TODAY)
    assert without["size_class"] is None  # assets unknown: never guessed
    computed = compute_facts_with_sources(
        registration=registration,
        records=records,
        declarations={"total_assets": "60000000"},
        today=TODAY,
    )
    assert computed.values["size_class"] == "medium"
    assert computed.declared == {"size_class"}


def test_bad_declarations_are_ignored() -> None:
    computed = compute_facts_with_sources(
        registration=None,
        records={},
        declarations={"employees": -3, "annual_revenue": "lots", "credit_score": 100},
        today=TODAY,
    )
    assert computed.values["employees"] is None
    assert computed.values["annual_revenue"] is None
    assert computed.values["credit_score"] is None
    assert computed.declared == frozenset()


def test_latest_year_and_month_win_whatever_the_order() -> None:
    records = {
        "tax": [
            {"year": 2025, "tax_credit_grade": "B", "tax_paid": "200.00"},
            {"year": 2023, "tax_credit_grade": "A", "tax_paid": "900.00"},
            {"year": 2026, "tax_paid": "50.00"},  # grade not yet published for 2026
        ],
        "social_insurance": [
            {"month": "2026-10", "insured_count": 12},
            {"month": "2025-12", "insured_count": 40},
        ],
    }
    facts = compute_facts(registration=None, records=records, today=TODAY)
    assert facts["tax_credit_grade"] == "B"
    assert facts["annual_tax_paid"] == Decimal("50.00")
    assert facts["employees"] == 12


@pytest.mark.parametrize(
    ("established_on", "years"),
    [
        ("2016-11-21", 10),
        ("2016-11-22", 9),
        ("2026-11-21", 0),
        ("2024-02-29", 2),
        ("2027-01-01", None),  # a future date is bad data, not zero years
        ("not a date", None),
    ],
)
def test_years_in_business_are_whole_years(established_on: str, years: int | None) -> None:
    facts = compute_facts(registration={"established_on": established_on}, records={}, today=TODAY)
    assert facts["years_in_business"] == years


def test_penalties_count_within_three_years_and_publicity() -> None:
    def penalty(decided_on: str, severity: str, until: str = "2029-12-31") -> dict[str, Any]:
        return {"decided_on": decided_on, "severity": severity, "publicity_until": until}

    records = {
        "admin_penalty": [
            penalty("2023-11-21", "serious"),  # exactly three years ago: counts
            penalty("2023-11-20", "serious"),  # older: does not
            penalty("2026-01-05", "general"),
            penalty("2026-03-01", "general", until="2026-11-20"),  # publicity over: repaired
            penalty("2026-03-02", "minor", until="2026-11-21"),  # last day of publicity
        ]
    }
    facts = compute_facts(registration=None, records=records, today=TODAY)
    assert facts["admin_penalties_3y"] == 3
    assert facts["serious_penalties_3y"] == 1


def test_lists_count_until_removed() -> None:
    listed = {"dishonest_list": [{"listed_on": "2026-01-01"}]}
    removed_later = {"dishonest_list": [{"listed_on": "2026-01-01", "removed_on": "2026-12-01"}]}
    removed = {"abnormal_operation": [{"listed_on": "2026-01-01", "removed_on": "2026-11-21"}]}
    assert compute_facts(registration=None, records=listed, today=TODAY)["on_dishonest_list"]
    assert compute_facts(registration=None, records=removed_later, today=TODAY)["on_dishonest_list"]
    assert not compute_facts(registration=None, records=removed, today=TODAY)["on_abnormal_list"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({"admin_enforcement": [{"executed_on": "2026-10-01"}]}, True),
        ({"admin_enforcement": [{"executed_on": "2026-10-01", "ended_on": "2026-11-01"}]}, False),
        ({"judicial": [{"role": "被执行人", "status": "执行中", "filed_on": "2015-01-01"}]}, True),
        ({"judicial": [{"role": "被执行人", "status": "已结案", "judged_on": "2024-01-01"}]}, True),
        (
            {"judicial": [{"role": "被执行人", "status": "已结案", "judged_on": "2023-11-20"}]},
            False,
        ),
        ({"judicial": [{"role": "申请执行人", "status": "执行中"}]}, False),  # the creditor
        ({"judicial": [{"role": "被告", "status": "已判决", "judged_on": "2026-01-01"}]}, False),
    ],
)
def test_enforcement(rows: dict[str, list[dict[str, Any]]], expected: bool) -> None:
    assert (
        compute_facts(registration=None, records=rows, today=TODAY)["has_enforcement"] is expected
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ({}, None),  # no utility data at all
        ({"water_fee": [{"month": "2026-04", "in_arrears": True}]}, None),  # only stale data
        ({"water_fee": [{"month": "2026-05", "in_arrears": True}]}, True),  # six months back
        ({"gas_fee": [{"month": "2026-11", "in_arrears": False}]}, False),
        (
            {
                "water_fee": [{"month": "2026-10", "in_arrears": False}],
                "electricity_fee": [{"month": "2026-07", "in_arrears": True}],
            },
            True,
        ),
    ],
)
def test_utility_arrears_look_back_six_months(
    rows: dict[str, list[dict[str, Any]]], expected: bool | None
) -> None:
    assert compute_facts(registration=None, records=rows, today=TODAY)["has_utility_arrears"] is (
        expected
    )


def test_high_tech_needs_an_unexpired_certificate() -> None:
    def cert(until: str | None, year: int = 2025) -> dict[str, Any]:
        return {"year": year, "is_high_tech": True, "high_tech_valid_until": until}

    def high_tech(*rows: dict[str, Any]) -> bool:
        return bool(
            compute_facts(registration=None, records={"tech_rnd": list(rows)}, today=TODAY)[
                "is_high_tech"
            ]
        )

    assert high_tech(cert("2026-11-21"))
    assert not high_tech(cert("2026-11-20"))
    assert high_tech(cert(None, year=2025))  # no expiry given: a recent record counts
    assert not high_tech(cert(None, year=2022))
    assert not high_tech(
        {"year": 2025, "is_high_tech": False, "high_tech_valid_until": "2028-01-01"}
    )
