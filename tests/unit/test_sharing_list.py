"""The sharing-list format refuses what would break ingestion or leak personal data."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from backend.credit.sharing_list import SharingListError, parse_sharing_list
from backend.credit.validation import as_date, validate_key, validate_record
from backend.errors import DomainError

TODAY = date(2026, 11, 21)
BASE = {
    "version": "t",
    "categories": [
        {
            "code": "judicial",
            "label": "司法",
            "disclosure": "public",
            "natural_key": ["uscc", "case_number"],
            "occurred_on_field": "judged_on",
            "fields": [
                {"name": "uscc", "label": "代码", "type": "uscc", "required": True},
                {"name": "case_number", "label": "案号", "type": "string", "required": True},
                {"name": "judged_on", "label": "日期", "type": "date"},
                {"name": "month", "label": "月份", "type": "month"},
                {"name": "year", "label": "年度", "type": "year"},
                {"name": "area", "label": "面积", "type": "decimal", "minimum": 0},
                {"name": "count", "label": "人数", "type": "integer", "minimum": 0},
                {"name": "region", "label": "区划", "type": "region_code"},
                {
                    "name": "person",
                    "label": "当事人",
                    "type": "string",
                    "personal": True,
                    "masking": "name",
                },
            ],
        }
    ],
}


def category(changes=None):
    document = copy.deepcopy(BASE)
    if changes:
        changes(document["categories"][0])
    return parse_sharing_list(document).get("judicial")


def test_a_personal_field_may_not_be_part_of_the_natural_key():
    with pytest.raises(SharingListError, match="natural_key field may not be personal"):
        category(lambda c: c["natural_key"].append("person"))


def test_a_personal_field_needs_a_masking():
    with pytest.raises(SharingListError, match="masking"):
        category(lambda c: c["fields"][-1].pop("masking"))


def test_occurred_on_must_name_a_date_field():
    with pytest.raises(SharingListError, match="occurred_on_field"):
        category(lambda c: c.update(occurred_on_field="case_number"))


def test_new_field_types_convert_and_refuse():
    spec = category()
    row = {
        "uscc": "91440300708461136T",
        "case_number": "（2026）鲁13民初1号",
        "month": "2026-10",
        "year": "2025",
        "area": "120.5",
        "count": "3",
        "region": "371302",
        "person": "王建国",
    }
    clean = validate_record(spec, row, today=TODAY)
    assert clean.fields["person"] == "王*国" and clean.personal == {"person": "王建国"}
    assert (clean.fields["month"], clean.fields["year"], clean.fields["count"]) == (
        "2026-10",
        2025,
        3,
    )
    for field, bad in (
        ("month", "2026-13"),
        ("year", "20x5"),
        ("area", "-1"),
        ("count", "-2"),
        ("region", "3713"),
    ):
        with pytest.raises(DomainError) as caught:
            validate_record(spec, {**row, field: bad}, today=TODAY)
        assert caught.value.field == field


def test_a_natural_key_longer_than_its_column_is_refused():
    spec = category()
    row = {"uscc": "91440300708461136T", "case_number": "号" * 300}
    with pytest.raises(DomainError, match="255"):
        validate_record(spec, row, today=TODAY)
    with pytest.raises(DomainError, match="255"):
        validate_key(spec, row, today=TODAY)


def test_dates_from_months_and_years():
    assert as_date("2026-10") == date(2026, 10, 1)
    assert as_date(2025) == date(2025, 1, 1)
    assert as_date("2026-10-05") == date(2026, 10, 5)
    assert as_date(None) is None
