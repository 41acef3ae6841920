"""The seed files: the sharing list, the data providers, the demo accounts and demo records.

No database: the files are read and checked with the same code that loads them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from backend.credit.sharing_list import CategorySpec, SharingList, parse_sharing_list
from backend.credit.validation import validate_record

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_products"
DEMO_DIR = SEED_DIR / "demo"
TODAY = date(2026, 11, 21)
NATURAL_KEY_COLUMN_LENGTH = 255  # credit_records.natural_key
SHUNDA = "91371302MA3CDXY10K"  # 临沂沂蒙顺达物流有限公司: strong
LIJI = "92371311MA3DXY201A"  # 罗庄区李记五金店: middling
GOUQI = "93640100MA7DXY302U"  # 银川塞上枸杞种植专业合作社: new and thin
ZHIXIN = "91320505MA1DXY4036"  # 苏州智芯微电子科技有限公司: high-tech but risky

# DOMAIN_FACTS "The sharing list": every category code it names.
DOMAIN_CATEGORIES = {
    "registration",
    "admin_license",
    "admin_penalty",
    "admin_enforcement",
    "water_fee",
    "gas_fee",
    "electricity_fee",
    "tax",
    "social_insurance",
    "housing_fund",
    "real_estate",
    "tech_rnd",
    "import_export",
    "agri_entity",
    "judicial",
    "dishonest_list",
    "abnormal_operation",
    "honors",
}

# CONTRACT "Record fields that data providers send": fields and natural keys, fixed.
_FEE = ("uscc name account_no month amount_paid usage in_arrears", "uscc account_no month")
CONTRACT_FIELDS = {
    "registration": (
        "uscc name legal_rep_name legal_rep_id_number established_on registered_capital "
        "industry_code address status",
        "uscc",
    ),
    "admin_penalty": (
        "uscc name doc_number violation_type content fine_amount decided_on publicity_until "
        "severity authority_name",
        "doc_number",
    ),
    "admin_license": (
        "uscc name doc_number license_name content decided_on valid_until authority_name",
        "doc_number",
    ),
    "tax": ("uscc name year tax_credit_grade tax_paid in_arrears", "uscc year"),
    "social_insurance": ("uscc name month insured_count in_arrears", "uscc month"),
    "water_fee": _FEE,
    "gas_fee": _FEE,
    "electricity_fee": _FEE,
    "dishonest_list": (
        "uscc name list_name listed_on reason authority_name removed_on",
        "uscc list_name listed_on",
    ),
}


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def sharing_list() -> SharingList:
    return parse_sharing_list(_read_json(SEED_DIR / "sharing_list.json"))


@pytest.fixture(scope="module")
def providers() -> list[dict[str, Any]]:
    return _read_json(SEED_DIR / "data_providers.json")["providers"]


@pytest.fixture(scope="module")
def demo_files() -> dict[str, list[dict[str, Any]]]:
    return {path.stem: _read_jsonl(path) for path in sorted(DEMO_DIR.glob("*.jsonl"))}


def _key_length_bound(spec: CategorySpec) -> int:
    """The longest natural key the category can produce (parts joined by ``|``)."""
    total = len(spec.natural_key) - 1
    for name in spec.natural_key:
        field = spec.field(name)
        assert field is not None
        fixed = {"uscc": 18, "date": 10, "month": 7, "year": 4, "id_number": 18}
        if field.type in fixed:
            total += fixed[field.type]
        elif field.type == "enum":
            total += max(len(value) for value in field.values)
        else:
            assert field.max_length, f"{spec.code}.{name}: a string key part needs max_length"
            total += field.max_length
    return total


# ---------------------------------------------------------------- the sharing list


def test_sharing_list_has_every_domain_category(sharing_list: SharingList) -> None:
    assert sharing_list.version == "2026.11.2"
    assert set(sharing_list.categories) == DOMAIN_CATEGORIES


def test_every_category_is_complete(sharing_list: SharingList) -> None:
    for code, spec in sharing_list.categories.items():
        assert spec.label, code
        uscc, name = spec.field("uscc"), spec.field("name")
        assert uscc is not None and uscc.type == "uscc" and uscc.required, code
        assert name is not None and name.type == "string" and name.required, code
        assert name.max_length == 200, code
        assert spec.occurred_on_field, code
        names = [field.name for field in spec.fields]
        assert len(names) == len(set(names)), f"{code}: duplicate field names"
        for field in spec.fields:
            assert field.label and field.label != field.name, f"{code}.{field.name}: label"
            if field.personal:
                assert field.masking, f"{code}.{field.name}: personal data needs masking"


def test_natural_keys_are_required_not_personal_and_fit(sharing_list: SharingList) -> None:
    for code, spec in sharing_list.categories.items():
        for name in spec.natural_key:
            field = spec.field(name)
            assert field is not None and field.required, f"{code}: key field {name} required"
            # The natural key is stored in clear text: personal data must never be part of it.
            assert not field.personal, f"{code}: key field {name} is personal data"
        assert _key_length_bound(spec) <= NATURAL_KEY_COLUMN_LENGTH, code


@pytest.mark.parametrize("code", sorted(CONTRACT_FIELDS))
def test_contract_fields_and_keys(sharing_list: SharingList, code: str) -> None:
    fields, key = CONTRACT_FIELDS[code]
    spec = sharing_list.get(code)
    assert spec is not None
    missing = set(fields.split()) - {field.name for field in spec.fields}
    assert not missing, f"{code} lacks CONTRACT fields {sorted(missing)}"
    assert spec.natural_key == tuple(key.split())


def test_category_specific_rules(sharing_list: SharingList) -> None:
    penalty = sharing_list.categories["admin_penalty"]
    assert penalty.disclosure == "public"
    assert penalty.visible_until_field == "publicity_until"
    severity = penalty.field("severity")
    assert severity is not None and severity.values == ("minor", "general", "serious")
    decided = penalty.field("decided_on")
    assert decided is not None and decided.type == "date" and decided.not_future

    tax = sharing_list.categories["tax"]
    assert tax.disclosure == "authorised"
    assert tax.public_when is not None
    assert (tax.public_when.field, tax.public_when.values) == ("tax_credit_grade", ("A",))
    grade = tax.field("tax_credit_grade")
    assert grade is not None and grade.values == ("A", "B", "M", "C", "D")
    year = tax.field("year")
    assert year is not None and year.type == "year"

    for code in ("water_fee", "gas_fee", "electricity_fee", "social_insurance", "housing_fund"):
        spec = sharing_list.categories[code]
        assert spec.disclosure == "authorised", code
        month = spec.field("month")
        assert month is not None and month.type == "month", code
        in_arrears = spec.field("in_arrears")
        assert in_arrears is not None and in_arrears.type == "boolean", code
    for code, count in (("social_insurance", "insured_count"), ("housing_fund", "deposit_count")):
        field = sharing_list.categories[code].field(count)
        assert field is not None and field.type == "integer" and field.minimum == 0

    tech = sharing_list.categories["tech_rnd"]
    high_tech = tech.field("is_high_tech")
    assert high_tech is not None and high_tech.type == "boolean"

    for code in ("dishonest_list", "abnormal_operation"):
        removed = sharing_list.categories[code].field("removed_on")
        assert removed is not None and removed.type == "date" and not removed.required


# ---------------------------------------------------------------- providers and accounts


def test_every_category_has_exactly_one_provider(
    sharing_list: SharingList, providers: list[dict[str, Any]]
) -> None:
    codes = [provider["code"] for provider in providers]
    assert len(codes) == len(set(codes))
    served: dict[str, list[str]] = defaultdict(list)
    for provider in providers:
        assert provider["name"]
        for category in provider["categories"]:
            assert category in sharing_list.categories, f"{provider['code']}: {category}"
            served[category].append(provider["code"])
    for code in sharing_list.categories:
        assert len(served[code]) == 1, f"{code}: providers {served[code]}"


def test_demo_accounts(
    providers: list[dict[str, Any]], demo_files: dict[str, list[dict[str, Any]]]
) -> None:
    accounts = _read_json(DEMO_DIR / "accounts.json")["accounts"]
    phones = [account["phone"] for account in accounts]
    assert len(phones) == len(set(phones))
    assert {"13900000001", "13700000001", "13600000001", "13500000001"} <= set(phones)
    provider_codes = {provider["code"] for provider in providers}
    with_account = set()
    for account in accounts:
        if account["role"] == "DATA_PROVIDER":
            assert account["data_provider_code"] in provider_codes
            with_account.add(account["data_provider_code"])
    for category in demo_files:
        provider = next(p for p in providers if category in p["categories"])
        assert provider["code"] in with_account, f"{category}: no demo account for its provider"


# ---------------------------------------------------------------- demo records


def test_demo_rows_validate_with_unique_keys(
    sharing_list: SharingList, demo_files: dict[str, list[dict[str, Any]]]
) -> None:
    usccs = {row["uscc"] for row in demo_files["registration"]}
    assert usccs == {SHUNDA, LIJI, GOUQI, ZHIXIN}
    for category, rows in demo_files.items():
        spec = sharing_list.get(category)
        assert spec is not None, f"demo file for unknown category {category}"
        assert rows, category
        keys: set[str] = set()
        for index, row in enumerate(rows):
            clean = validate_record(spec, row, today=TODAY)
            assert clean.natural_key not in keys, f"{category}[{index}]: duplicate key"
            keys.add(clean.natural_key)
            assert row["uscc"] in usccs, f"{category}[{index}]: not a demo enterprise"
            assert clean.occurred_on is not None, f"{category}[{index}]: no date"


def test_each_demo_enterprise_has_six_categories(
    demo_files: dict[str, list[dict[str, Any]]],
) -> None:
    categories: dict[str, set[str]] = defaultdict(set)
    for category, rows in demo_files.items():
        for row in rows:
            categories[row["uscc"]].add(category)
    for row in demo_files["registration"]:
        assert len(categories[row["uscc"]]) >= 6, (row["name"], sorted(categories[row["uscc"]]))


def test_demo_names_match_registration(demo_files: dict[str, list[dict[str, Any]]]) -> None:
    names = {row["uscc"]: row["name"] for row in demo_files["registration"]}
    for category, rows in demo_files.items():
        for index, row in enumerate(rows):
            assert row["name"] == names[row["uscc"]], f"{category}[{index}]"


def test_demo_fee_months_are_in_range(demo_files: dict[str, list[dict[str, Any]]]) -> None:
    for category in ("water_fee", "gas_fee", "electricity_fee"):
        for row in demo_files.get(category, []):
            assert "2025-12" <= row["month"] <= "2026-10", (category, row["month"])


def test_demo_enterprises_differ_in_quality(
    demo_files: dict[str, list[dict[str, Any]]],
) -> None:
    shunda, liji, gouqi, zhixin = SHUNDA, LIJI, GOUQI, ZHIXIN
    grades = defaultdict(set)
    for row in demo_files["tax"]:
        grades[row["uscc"]].add(row["tax_credit_grade"])
    assert grades[shunda] == {"A"} and grades[liji] == {"B"}
    assert grades[gouqi] == {"M"} and grades[zhixin] == {"B"}

    penalties = defaultdict(list)
    for row in demo_files["admin_penalty"]:
        penalties[row["uscc"]].append(row)
    assert not penalties[shunda] and not penalties[gouqi]
    assert sorted(row["severity"] for row in penalties[liji]) == ["general", "minor"]
    for row in penalties[liji]:
        still_public = date.fromisoformat(row["publicity_until"]) >= TODAY
        assert still_public == (row["severity"] == "general")
    assert [row["severity"] for row in penalties[zhixin]] == ["serious"]
    assert date.fromisoformat(penalties[zhixin][0]["publicity_until"]) >= TODAY

    arrears = {row["uscc"] for row in demo_files["water_fee"] if row["in_arrears"]}
    assert arrears == {liji}
    listed = demo_files["dishonest_list"]
    assert [row["uscc"] for row in listed] == [zhixin] and listed[0]["removed_on"]
    assert any(row["is_high_tech"] for row in demo_files["tech_rnd"] if row["uscc"] == zhixin)
