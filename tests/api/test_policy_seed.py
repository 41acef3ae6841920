"""The seed policies (seed_products/policies.json): loading, idempotence, edits in the file,
withdrawn policies left alone, loud failure on bad entries, and clearly different pushes for the
four demo enterprises, decided the same way by the rule evaluator and by the SQL a push runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.policies.models import Policy, PolicyStatus
from backend.policies.seed import SEED_FILE, SeedFileError, read_seed_file, seed_policies
from backend.policies.targeting import policy_condition
from backend.runtime import Runtime
from backend.seed import SEED_DIR, seed
from matching.facts import CATALOG
from matching.rules import Status, evaluate, parse_rule
from tests.support.builders import DEMO_ENTERPRISES, load_demo

SHUNDA, LIJI, GOUQI, ZHIXIN = (e.uscc for e in DEMO_ENTERPRISES)
FIRMS = (SHUNDA, LIJI, GOUQI, ZHIXIN)
E, N, U = Status.ELIGIBLE, Status.INELIGIBLE, Status.UNKNOWN  # eligible, not, unknown

# Policy code → status for 顺达物流 (Linyi, strong), 李记五金店 (Luozhuang individual business,
# grade C, utility arrears), 塞上枸杞合作社 (Yinchuan co-op, tax grade M, loan history
# undeclared), 智芯微电子 (Suzhou high-tech, one serious penalty). A policy for another region is
# INELIGIBLE (N).
EXPECTED: dict[str, tuple[Status, Status, Status, Status]] = {
    "CN-XYD-SHOUXIN-2026": (E, N, E, N),
    "CN-GUARANTEE-FEE-2026": (E, E, E, N),
    "SD-CREDIT-RISK-COMP-2026": (E, N, N, N),
    "LY-GUARANTEE-FEE-2026": (E, E, N, N),
    "LY-FIRST-LOAN-2026": (E, N, N, N),
    "LY-GETI-INTEREST-2026": (N, E, N, N),
    "JS-SUKEDAI-2026": (N, N, N, E),
    "JS-SUNONGDAI-2026": (N, N, N, N),
    "JS-SUFUDAI-2026": (N, N, N, N),
    "SZ-TECH-INTEREST-2026": (N, N, N, N),
    "NJ-FIRST-LOAN-2026": (N, N, N, N),
    "NX-YINSHUIDAI-2026": (N, N, N, N),
    "YC-AGRI-GUARANTEE-FEE-2026": (N, N, E, N),
    "YC-FIRST-LOAN-2026": (N, N, U, N),
    "NX-XYD-RISK-COMP-2026": (N, N, E, N),
}
# In-region misses by one condition (the firm sees exactly what to fix), and the unknown.
NEAR_MISSES = {
    ("LY-FIRST-LOAN-2026", LIJI): ("credit_grade",),
    ("NX-YINSHUIDAI-2026", GOUQI): ("tax_credit_grade",),
    ("SZ-TECH-INTEREST-2026", ZHIXIN): ("serious_penalties_3y",),
}
UNKNOWNS = {("YC-FIRST-LOAN-2026", GOUQI): ("is_first_time_borrower",)}


def seed_document() -> dict[str, Any]:
    return json.loads((SEED_DIR / SEED_FILE).read_text(encoding="utf-8"))


def copy_seed_dir(tmp_path: Path) -> Path:
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    return seed_dir


def write_document(seed_dir: Path, document: dict[str, Any]) -> None:
    (seed_dir / SEED_FILE).write_text(json.dumps(document, ensure_ascii=False), "utf-8")


async def stored_policies(runtime: Runtime) -> dict[str, Policy]:
    async with runtime.sessionmaker() as session:
        rows = (await session.execute(select(Policy))).scalars().all()
    return {str(policy.code): policy for policy in rows}


async def audit_actions(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.scalars())


async def test_seeding_loads_every_policy_once_and_a_second_run_changes_nothing(runtime):
    # given the seed file as shipped
    _, entries = read_seed_file(SEED_DIR / SEED_FILE)

    # when the reference seed runs twice (policies load on every run, demo or not)
    first = await seed(runtime, demo=False)
    after_first = await stored_policies(runtime)
    second = await seed(runtime, demo=False)

    # then the first run created every policy, ACTIVE, unpushed, published by no account
    assert first.policies == len(entries) == len(after_first)
    assert set(after_first) == {entry.fields.code for entry in entries}
    for entry in entries:
        policy = after_first[str(entry.fields.code)]
        assert {name: getattr(policy, name) for name in entry.fields.values()} == (
            entry.fields.values()
        )
        assert policy.status == PolicyStatus.ACTIVE.value
        assert (policy.pushed_at, policy.published_by_account_id) == (None, None)
    # and one audit row each, naming the policy and the file
    rows = await audit_actions(runtime, "policy.seed")
    assert sorted(int(str(r.subject_id)) for r in rows) == sorted(
        p.id for p in after_first.values()
    )
    assert all(r.subject_type == "policy" and r.actor_role == "SYSTEM" for r in rows)
    assert all(r.details["source"] == "seed_products/policies.json" for r in rows)
    # and the second run changed nothing
    assert second.policies == 0
    again = await seed_policies(runtime, SEED_DIR)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(entries))
    after = await stored_policies(runtime)
    assert {c: p.updated_at for c, p in after.items()} == {
        c: p.updated_at for c, p in after_first.items()
    }
    assert len(await audit_actions(runtime, "policy.seed")) == len(entries)
    assert await audit_actions(runtime, "policy.seed_update") == []


async def test_an_edited_entry_updates_its_policy_and_nothing_else(runtime, tmp_path: Path):
    # given the seed loaded from a copy of the seed directory
    seed_dir = copy_seed_dir(tmp_path)
    await seed_policies(runtime, seed_dir)
    before = await stored_policies(runtime)
    document = seed_document()
    entry = document["policies"][0]

    # when the province edits one policy's summary and rule in the file
    entry["summary"] = entry["summary"] + "（2027 年起补贴标准提高）"
    entry["eligibility"] = {"all": [{"fact": "credit_grade", "op": "gte", "value": "B"}]}
    write_document(seed_dir, document)
    report = await seed_policies(runtime, seed_dir)

    # then that policy alone takes the new terms, keeping its id
    total = len(document["policies"])
    assert (report.created, report.updated, report.unchanged) == (0, 1, total - 1)
    after = await stored_policies(runtime)
    policy = after[entry["code"]]
    assert policy.id == before[entry["code"]].id
    assert policy.summary == entry["summary"]
    assert policy.eligibility == entry["eligibility"]
    assert policy.updated_at > before[entry["code"]].updated_at
    assert all(
        after[code].updated_at == before[code].updated_at for code in after if code != entry["code"]
    )
    # and the change is audited with the fields that changed
    [row] = await audit_actions(runtime, "policy.seed_update")
    assert row.subject_id == str(policy.id)
    assert row.details["changed"] == ["summary", "eligibility"]


async def test_a_withdrawn_policy_is_left_alone(runtime, tmp_path: Path):
    # given the seed loaded, and one policy withdrawn by its issuer
    seed_dir = copy_seed_dir(tmp_path)
    await seed_policies(runtime, seed_dir)
    document = seed_document()
    entry = document["policies"][1]
    async with runtime.sessionmaker() as session:
        policy = (
            await session.execute(select(Policy).where(Policy.code == entry["code"]))
        ).scalar_one()
        policy.status = PolicyStatus.WITHDRAWN.value
        await session.commit()
    before = (await stored_policies(runtime))[entry["code"]]

    # when the file changes that policy and the seed runs again
    entry["title"] = "已撤回政策的新标题"
    write_document(seed_dir, document)
    report = await seed_policies(runtime, seed_dir)

    # then the withdrawn policy keeps its status and its old terms
    assert (report.created, report.updated, report.withdrawn) == (0, 0, 1)
    after = (await stored_policies(runtime))[entry["code"]]
    assert after.status == PolicyStatus.WITHDRAWN.value
    assert (after.title, after.updated_at) == (before.title, before.updated_at)


async def test_bad_entries_fail_the_run_naming_each_code_and_field_and_write_nothing(
    runtime, tmp_path: Path
):
    # given a file with an unknown fact and a bad kind in one entry, and dates the wrong way
    # round in another
    seed_dir = copy_seed_dir(tmp_path)
    document = seed_document()
    first, second = document["policies"][:2]
    first["eligibility"] = {"all": [{"fact": "turnover", "op": "gte", "value": 1}]}
    first["policy_type"] = "TAX_REFUND"
    second["valid_from"], second["valid_until"] = "2027-06-01", "2027-01-31"
    write_document(seed_dir, document)

    # when it is loaded
    with pytest.raises(SeedFileError) as failure:
        await seed_policies(runtime, seed_dir)

    # then the message names both entries and every bad field as the file spells it
    message = str(failure.value)
    first_line, second_line = message.splitlines()
    assert first["code"] in first_line and first["title"] in first_line
    assert "eligibility.all[0].fact" in first_line and "policy_type" in first_line
    assert second["code"] in second_line and "valid_until" in second_line
    # and nothing was written
    assert await stored_policies(runtime) == {}
    assert await audit_actions(runtime, "policy.seed") == []


async def test_an_expired_entry_is_not_loaded(runtime, tmp_path: Path):
    # given a file whose first policy ran out last year
    seed_dir = copy_seed_dir(tmp_path)
    document = seed_document()
    expired = document["policies"][0]
    expired["valid_from"], expired["valid_until"] = "2024-01-01", "2025-12-31"
    write_document(seed_dir, document)

    # when it is loaded
    report = await seed_policies(runtime, seed_dir)

    # then the others load and the expired one does not (nor does it fail the run)
    assert (report.created, report.expired) == (len(document["policies"]) - 1, 1)
    assert expired["code"] not in await stored_policies(runtime)


def _status(policy: Policy, facts: dict[str, Any]) -> Status:
    # As the push does: a policy for another region is not for the firm.
    regions = tuple(policy.region_codes or ())
    if regions and not str(facts["region_code"] or "").startswith(regions):
        return Status.INELIGIBLE
    return evaluate(parse_rule(policy.eligibility), facts).status


async def test_the_four_demo_firms_are_told_of_clearly_different_policies(runtime):
    # given the demo loaded as `make run` does (which loads the seed policies)
    await load_demo(runtime)
    policies = await stored_policies(runtime)
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Enterprise.uscc, EnterpriseFeatures).join(
                    EnterpriseFeatures, EnterpriseFeatures.enterprise_id == Enterprise.id
                )
            )
        ).all()
        features = {uscc: {name: getattr(row, name) for name in CATALOG} for uscc, row in rows}

        # when each policy's rule is evaluated over each firm's stored features, and compiled
        # to the SQL condition a push runs over enterprise_features
        actual = {
            code: tuple(_status(p, features[f]) for f in FIRMS) for code, p in policies.items()
        }
        selected = {
            code: set(
                (
                    await session.execute(
                        select(Enterprise.uscc)
                        .join(EnterpriseFeatures, EnterpriseFeatures.enterprise_id == Enterprise.id)
                        .where(policy_condition(policy))
                    )
                ).scalars()
            )
            for code, policy in policies.items()
        }

    # then the matrix is as designed, and SQL picks exactly the ELIGIBLE firms
    assert set(features) == set(FIRMS)
    assert actual == EXPECTED
    for code, statuses in EXPECTED.items():
        assert selected[code] == {f for f, s in zip(FIRMS, statuses, strict=True) if s is E}, code
    # and each firm is told of something, and no two firms of the same things
    told = [frozenset(c for c, s in EXPECTED.items() if s[FIRMS.index(f)] is E) for f in FIRMS]
    assert all(told) and len(set(told)) == len(FIRMS)
    # and the near misses fail on one named condition; the unknown needs one undeclared fact
    for (code, firm), facts in NEAR_MISSES.items():
        result = evaluate(parse_rule(policies[code].eligibility), features[firm])
        assert tuple(r.condition.fact.name for r in result.unmet) == facts, code
    for (code, firm), facts in UNKNOWNS.items():
        result = evaluate(parse_rule(policies[code].eligibility), features[firm])
        assert (result.status, result.missing_facts) == (U, facts), code
