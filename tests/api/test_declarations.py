"""Self-declared information under a credit commitment, and its review, through GraphQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.declarations.models import Declaration
from backend.declarations.service import load_commitments
from backend.identity.models import Role
from tests.support.builders import (
    BANK_PHONE,
    load_demo,
    login,
    register,
    registered_enterprise,
    staff_token,
)

USCC_A = "91440300708461136T"
COMMITMENT = """
query Commitment($kind: String!) { commitmentText(kind: $kind) { kind version title text sha256 } }
"""
CATEGORIES = "query { declarationCategories { code label fields { name type required } } }"
SUBMIT = """
mutation Submit($input: SubmitDeclarationInput!) {
  submitDeclaration(input: $input) {
    declaration { id category content status commitmentVersion declaredAt selfDeclared }
    errors { code field message }
  }
}
"""
REVIEW = """
mutation Review($input: ReviewDeclarationInput!) {
  reviewDeclaration(input: $input) {
    declaration { id status statusLabel reviewReason }
    errors { code field message }
  }
}
"""
LIST = """
query Declarations($status: DeclarationStatus) {
  declarations(status: $status) { id category status enterprise { uscc name } }
}
"""
PROFILE = """
query {
  myCreditProfile {
    declarations { id category categoryLabel content status statusLabel selfDeclared }
    records(first: 100) { totalCount items { category selfDeclared } }
  }
}
"""
INBOX = "query { myInbox { kind title body } }"
OPERATIONS = {"year": 2025, "employees": 42, "annual_revenue": "3000000", "total_assets": 1500000}
CURRENT_VERSION = "declaration-2026.1"


@pytest.fixture
async def enterprise_a(client, runtime):
    return await registered_enterprise(
        client, runtime, uscc=USCC_A, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )


@pytest.fixture
async def government(client, runtime):
    return await staff_token(client, runtime)


def submit_input(category="operations", content=None, **overrides):
    values = {
        "category": category,
        "content": OPERATIONS if content is None else content,
        "acceptCommitment": True,
        "commitmentVersion": CURRENT_VERSION,
    }
    return {"input": {**values, **overrides}}


async def submit(client, token, *args, **kwargs):
    result = await client.execute(SUBMIT, submit_input(*args, **kwargs), token=token)
    assert result.errors == [], result.errors
    return result.data["submitDeclaration"]


async def review(client, token, declaration_id, decision, reason=None):
    variables = {"input": {"declarationId": declaration_id, "decision": decision, "reason": reason}}
    result = await client.execute(REVIEW, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["reviewDeclaration"]


async def test_the_commitment_texts_are_public_and_versioned(client):
    # when
    declaration = await client.execute(COMMITMENT, {"kind": "declaration"})
    repair = await client.execute(COMMITMENT, {"kind": "repair"})
    unknown = await client.execute(COMMITMENT, {"kind": "loan"})
    categories = await client.execute(CATEGORIES)
    # then
    shown = declaration.data["commitmentText"]
    assert shown["version"] == CURRENT_VERSION and "信用承诺书" in shown["title"]
    assert shown["sha256"] == hashlib.sha256(shown["text"].encode()).hexdigest()
    assert repair.data["commitmentText"]["version"] == "repair-2026.1"
    assert unknown.error_codes() == ["VALIDATION_ERROR"] and unknown.data is None
    codes = [c["code"] for c in categories.data["declarationCategories"]]
    assert codes == ["qualification", "operations", "contract_performance", "public_welfare"]


async def test_a_declaration_is_stored_with_its_commitment_and_shown_apart_from_records(
    client, runtime, enterprise_a
):
    # given
    records_before = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    # when
    payload = await submit(client, enterprise_a)
    # then
    declaration = payload["declaration"]
    assert payload["errors"] == []
    assert declaration["status"] == "PENDING" and declaration["selfDeclared"] is True
    assert declaration["commitmentVersion"] == CURRENT_VERSION
    assert declaration["content"] == {
        "year": 2025,
        "employees": 42,
        "annual_revenue": "3000000.00",
        "total_assets": "1500000.00",
    }
    shown = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    assert [(d["id"], d["categoryLabel"], d["selfDeclared"]) for d in shown["declarations"]] == [
        (declaration["id"], "经营情况", True)
    ]
    assert shown["records"]["totalCount"] == records_before["records"]["totalCount"]
    assert not any(item["selfDeclared"] for item in shown["records"]["items"])
    async with runtime.sessionmaker() as session:
        stored = await session.get(Declaration, int(declaration["id"]))
        audit = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "declaration.submit")
            )
        ).scalar_one()
    text = load_commitments().commitments["declaration"].text
    assert stored.commitment_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert stored.declared_by_account_id is not None and stored.declared_at is not None
    assert audit.details["commitment_sha256"] == stored.commitment_sha256


async def test_a_new_declaration_of_the_same_category_replaces_the_old_one(
    client, runtime, enterprise_a
):
    # given
    first = (await submit(client, enterprise_a))["declaration"]
    other = (
        await submit(
            client,
            enterprise_a,
            "public_welfare",
            {"activity": "助学捐赠", "held_on": "2026-05-20", "donation_amount": 20000},
        )
    )["declaration"]
    # when
    second = (await submit(client, enterprise_a, content={**OPERATIONS, "employees": 50}))[
        "declaration"
    ]
    # then
    shown = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    assert {d["id"] for d in shown["declarations"]} == {second["id"], other["id"]}
    async with runtime.sessionmaker() as session:
        old = await session.get(Declaration, int(first["id"]))
    assert old.is_current is False  # kept in history


async def test_bad_declarations_are_refused_with_the_field(client, runtime, enterprise_a):
    # given
    unverified = await register(client)
    government = await staff_token(client, runtime)

    async def errors(*args, token=enterprise_a, **kwargs):
        result = await client.execute(SUBMIT, submit_input(*args, **kwargs), token=token)
        if result.errors:
            return result.error_codes()
        return [(e["code"], e["field"]) for e in result.data["submitDeclaration"]["errors"]]

    # when / then
    assert await errors("tax") == [("UNKNOWN_CATEGORY", "category")]
    assert await errors(content={**OPERATIONS, "employees": -1}) == [
        ("VALIDATION_ERROR", "content.employees")
    ]
    assert await errors(content={**OPERATIONS, "employees": 4.5}) == [
        ("VALIDATION_ERROR", "content.employees")
    ]
    assert await errors(content={**OPERATIONS, "annual_revenue": "很多"}) == [
        ("VALIDATION_ERROR", "content.annual_revenue")
    ]
    assert await errors(content={**OPERATIONS, "total_assets": "-1"}) == [
        ("VALIDATION_ERROR", "content.total_assets")
    ]
    assert await errors(content={"employees": 3}) == [("VALIDATION_ERROR", "content.year")]
    assert await errors(content={**OPERATIONS, "year": 2099}) == [
        ("VALIDATION_ERROR", "content.year")
    ]
    assert await errors(content={**OPERATIONS, "profit": 1}) == [
        ("VALIDATION_ERROR", "content.profit")
    ]
    assert await errors(content=[1, 2]) == [("VALIDATION_ERROR", "content")]
    assert await errors(
        "contract_performance", {"contract_name": "供货", "counterparty": "甲"}
    ) == [("VALIDATION_ERROR", "content.status")]
    assert await errors(commitmentVersion="declaration-2025.1") == [
        ("CONFLICT", "commitmentVersion")
    ]
    assert await errors(acceptCommitment=False) == [("VALIDATION_ERROR", "acceptCommitment")]
    assert await errors(content={"year": "x"}, acceptCommitment=False) == [
        ("VALIDATION_ERROR", "content.year"),
        ("VALIDATION_ERROR", "acceptCommitment"),
    ]
    assert await errors(token=unverified) == [("FORBIDDEN", None)]
    assert await errors(token=government) == ["FORBIDDEN"]
    assert await errors(token=None) == ["NOT_AUTHENTICATED"]
    refused = await client.execute(SUBMIT, submit_input(acceptCommitment=False), token=enterprise_a)
    assert "承诺" in refused.data["submitDeclaration"]["errors"][0]["message"]
    async with runtime.sessionmaker() as session:
        assert (await session.execute(select(Declaration.id))).all() == []


async def test_government_confirms_rejects_and_finds_declarations_false(
    client, runtime, enterprise_a, government
):
    # given three declarations
    operations = (await submit(client, enterprise_a))["declaration"]
    welfare = (
        await submit(
            client, enterprise_a, "public_welfare", {"activity": "植树", "held_on": "2026-03-12"}
        )
    )["declaration"]
    license_ = (
        await submit(
            client,
            enterprise_a,
            "qualification",
            {"license_name": "建筑业企业资质", "issuer": "深圳市住房和建设局"},
        )
    )["declaration"]
    pending = (await client.execute(LIST, {"status": "PENDING"}, token=government)).data
    # when
    confirmed = await review(client, government, operations["id"], "CONFIRM")
    no_reason = await review(client, government, welfare["id"], "REJECT", " ")
    rejected = await review(client, government, welfare["id"], "REJECT", "未提供活动证明")
    false_without_reason = await review(client, government, operations["id"], "FOUND_FALSE")
    found_false = await review(
        client, government, operations["id"], "FOUND_FALSE", "社保数据显示从业人员仅 8 人"
    )
    again = await review(client, government, operations["id"], "CONFIRM")
    unknown = await review(client, government, "987654", "CONFIRM")
    confirm_license = await review(client, government, license_["id"], "CONFIRM")
    reject_after = await review(client, government, license_["id"], "REJECT", "迟到的驳回")
    # then
    assert [d["id"] for d in pending["declarations"]] == [
        operations["id"],
        welfare["id"],
        license_["id"],
    ]
    assert pending["declarations"][0]["enterprise"]["uscc"] == USCC_A
    assert confirmed["declaration"]["status"] == "CONFIRMED"
    assert [(e["code"], e["field"]) for e in no_reason["errors"]] == [
        ("VALIDATION_ERROR", "reason")
    ]
    assert rejected["declaration"]["status"] == "REJECTED"
    assert [(e["code"], e["field"]) for e in false_without_reason["errors"]] == [
        ("VALIDATION_ERROR", "reason")
    ]
    assert found_false["declaration"]["status"] == "FOUND_FALSE"
    assert "失信承诺" in found_false["declaration"]["statusLabel"]
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", "declarationId")]
    assert confirm_license["errors"] == []
    assert [e["code"] for e in reject_after["errors"]] == ["CONFLICT"]
    titles = [m["title"] for m in (await client.execute(INBOX, token=enterprise_a)).data["myInbox"]]
    assert titles.count("自主申报信息已核实") == 2
    assert "自主申报信息未予采信" in titles
    assert "自主申报信息经核查不实（失信承诺）" in titles
    async with runtime.sessionmaker() as session:
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert actions.count("declaration.found_false") == 1
    assert actions.count("declaration.review") == 3


async def test_a_declaration_found_false_stays_visible_after_a_new_declaration(
    client, runtime, enterprise_a, government
):
    # given a declaration found false
    false_one = (await submit(client, enterprise_a))["declaration"]
    await review(client, government, false_one["id"], "FOUND_FALSE", "营业收入与纳税申报不符")
    # when the enterprise declares the same category again
    new_one = (await submit(client, enterprise_a, content={**OPERATIONS, "employees": 8}))[
        "declaration"
    ]
    # then both show: the broken commitment cannot be declared away
    shown = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    assert {(d["id"], d["status"]) for d in shown["declarations"]} == {
        (false_one["id"], "FOUND_FALSE"),
        (new_one["id"], "PENDING"),
    }
    # and a replaced pending declaration can no longer be reviewed
    newest = (await submit(client, enterprise_a, content={**OPERATIONS, "employees": 9}))[
        "declaration"
    ]
    stale = await review(client, government, new_one["id"], "CONFIRM")
    assert [(e["code"], e["field"]) for e in stale["errors"]] == [("CONFLICT", "declarationId")]
    assert newest["status"] == "PENDING"


async def test_only_government_staff_list_and_review_declarations(client, runtime, enterprise_a):
    # given
    await load_demo(runtime)
    bank = await login(client, BANK_PHONE)
    auditor = await staff_token(client, runtime, Role.AUDITOR)
    decide = {"input": {"declarationId": "1", "decision": "CONFIRM"}}
    # when
    cases = {
        "anonymous": await client.execute(LIST),
        "enterprise": await client.execute(LIST, token=enterprise_a),
        "bank": await client.execute(LIST, token=bank),
        "auditor": await client.execute(LIST, token=auditor),
        "bank review": await client.execute(REVIEW, decide, token=bank),
        "enterprise review": await client.execute(REVIEW, decide, token=enterprise_a),
        "bank submit": await client.execute(SUBMIT, submit_input(), token=bank),
    }
    # then
    assert {name: result.error_codes() for name, result in cases.items()} == {
        "anonymous": ["NOT_AUTHENTICATED"],
        "enterprise": ["FORBIDDEN"],
        "bank": ["FORBIDDEN"],
        "auditor": ["FORBIDDEN"],
        "bank review": ["FORBIDDEN"],
        "enterprise review": ["FORBIDDEN"],
        "bank submit": ["FORBIDDEN"],
    }
