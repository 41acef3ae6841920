"""The seed policy file read without a database: every entry passes the checks ``publishPolicy``
uses, the kinds and regions of the seeds are covered, and bad entries are reported together."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from backend.policies.checks import check_policy
from backend.policies.models import PolicyType
from backend.policies.seed import SEED_FILE, SeedFileError, read_seed_file

SEED_PATH = Path(__file__).resolve().parents[2] / "seed_products" / SEED_FILE
TODAY = date(2026, 11, 21)
MAIN_KINDS = {kind.value for kind in PolicyType} - {PolicyType.OTHER.value}
# The seeds' regions: nationwide, Shandong / Linyi, Jiangsu / Nanjing / Suzhou, Ningxia / Yinchuan.
SEED_REGIONS = {"37", "3713", "32", "3201", "3205", "64", "6401"}


def document() -> dict[str, Any]:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


def test_every_entry_passes_the_policy_checks():
    # given the file as shipped
    entries = document()["policies"]

    # then each entry is a valid policy as publishPolicy would accept it, with a stable code
    checked = [check_policy(entry, TODAY) for entry in entries]
    assert len(checked) >= 10
    codes = [policy.code for policy in checked]
    assert all(code and code.isascii() for code in codes) and len(set(codes)) == len(codes)
    for policy in checked:
        assert date(2025, 1, 1) <= policy.valid_from <= date(2026, 11, 1), policy.code
        assert policy.valid_until >= date(2028, 1, 1), policy.code
        # several paragraphs: who, conditions, standard, how to apply (through the platform), term
        assert policy.body.count("\n") >= 3 and "平台" in policy.body and "有效期" in policy.body


def test_the_file_uses_every_main_kind_twice_and_the_seeds_regions():
    # given the checked file
    version, entries = read_seed_file(SEED_PATH, today=TODAY)
    policies = [entry.fields for entry in entries]

    # then it is versioned and marked as examples for the province to replace
    assert version and "示例" in document()["note"] and "省" in document()["note"]
    # and it covers the four main kinds at least twice each, and OTHER
    kinds = Counter(policy.policy_type for policy in policies)
    assert all(kinds[kind] >= 2 for kind in MAIN_KINDS), kinds
    assert kinds[PolicyType.OTHER.value] >= 1
    # and the seeds' regions, plus nationwide policies
    regions = {code for policy in policies for code in policy.region_codes}
    assert regions <= SEED_REGIONS and {"3713", "32", "64"} <= regions
    assert any(not policy.region_codes for policy in policies)
    assert not any(entry.expired for entry in entries)


def test_bad_entries_are_reported_together_by_code_and_file_key(tmp_path: Path):
    # given a copy with a misspelt key, a missing start date and a duplicated code
    given = document()
    first, second, third = given["policies"][:3]
    first["region_code"] = first.pop("region_codes")
    del second["valid_from"]
    third["code"] = first["code"]
    path = tmp_path / SEED_FILE
    path.write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")

    # when it is read
    with pytest.raises(SeedFileError) as failure:
        read_seed_file(path, today=TODAY)

    # then each bad entry has its own line naming it and the file's key
    lines = str(failure.value).splitlines()
    assert len(lines) == 3
    assert first["code"] in lines[0] and "region_code: 未知字段" in lines[0]
    assert second["code"] in lines[1] and "valid_from" in lines[1]
    assert third["title"] in lines[2] and "code: 同一 code 出现了两次" in lines[2]


def test_an_entry_past_its_validity_is_checked_but_marked_expired():
    # given the file read three years on, when every policy has run out
    _, entries = read_seed_file(SEED_PATH, today=date(2029, 6, 1))

    # then nothing fails, and every entry is marked expired (not loaded)
    assert entries and all(entry.expired for entry in entries)
