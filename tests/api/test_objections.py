"""Objections (异议) and credit repair (信用修复), end to end through GraphQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.credit.models import CreditRecord
from backend.identity.models import Role
from backend.objections import common as objections_common
from backend.objections.models import Objection
from tests.support.builders import (
    BANK_PHONE,
    ingest,
    load_demo,
    login,
    penalty,
    provider_token,
    register,
    registered_enterprise,
    staff_token,
)

CST = timezone(timedelta(hours=8))
USCC_A = "91440300708461136T"
USCC_B = "914403001922038216"

FILE = """
mutation File($input: FileObjectionInput!) {
  fileObjection(input: $input) {
    objection { id status forwardDueAt overdue record { id category } }
    errors { code field message }
  }
}
"""
FORWARD = """
mutation Forward($id: ID!) {
  forwardObjection(id: $id) {
    objection { id status forwardedAt overdue }
    errors { code field message }
  }
}
"""
RESOLVE = """
mutation Resolve($input: ResolveObjectionInput!) {
  resolveObjection(input: $input) {
    objection { id status resolutionReason resolvedAt }
    errors { code field message }
  }
}
"""
OBJECTIONS = """
query Objections($status: ObjectionStatus, $overdueOnly: Boolean! = false, $first: Int! = 50) {
  objections(status: $status, overdueOnly: $overdueOnly, first: $first) {
    id status forwardDueAt overdue reason
    enterprise { uscc name }
    record { id category fields }
  }
}
"""
MY_OBJECTIONS = "query { myObjections { id status forwardDueAt } }"
REQUEST_REPAIR = """
mutation Repair($input: RequestCreditRepairInput!) {
  requestCreditRepair(input: $input) {
    repairRequest { id status eligibleFrom commitmentVersion record { id category } }
    errors { code field message }
  }
}
"""
RESOLVE_REPAIR = """
mutation ResolveRepair($input: ResolveRepairRequestInput!) {
  resolveRepairRequest(input: $input) {
    repairRequest { id status resolutionReason }
    errors { code field message }
  }
}
"""
REPAIRS = """
query Repairs($status: RepairStatus) {
  repairRequests(status: $status) { id status eligibleFrom enterprise { uscc } record { id } }
}
"""
MY_REPAIRS = "query { myRepairRequests { id status } }"
PROFILE = """
query {
  myCreditProfile {
    evaluation { score }
    records(first: 100) { items { id category version fields } }
  }
}
"""
INBOX = "query { myInbox(first: 50) { kind title body } }"


def freeze(monkeypatch, *args: int) -> datetime:
    """Make the objection service's clock read the given China time."""
    moment = datetime(*args, tzinfo=CST)
    monkeypatch.setattr(objections_common, "now", lambda: moment)
    return moment


@pytest.fixture
async def enterprise_a(client, runtime):
    return await registered_enterprise(
        client, runtime, uscc=USCC_A, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )


@pytest.fixture
async def credit_office(client, runtime):
    return await provider_token(client, runtime, code="credit", categories=["admin_penalty"])


@pytest.fixture
async def government(client, runtime):
    return await staff_token(client, runtime)


async def record_ids(client, token) -> dict[str, str]:
    """Visible record ids by document number (registration under "registration")."""
    result = await client.execute(PROFILE, token=token)
    assert result.errors == [], result.errors
    items = result.data["myCreditProfile"]["records"]["items"]
    return {i["fields"].get("doc_number", i["category"]): i["id"] for i in items}


async def file(client, token, record_id, reason="处罚对象有误，本企业未发生该违法行为"):
    result = await client.execute(
        FILE, {"input": {"recordId": record_id, "reason": reason}}, token=token
    )
    assert result.errors == [], result.errors
    return result.data["fileObjection"]


async def audit_actions(runtime) -> list[str]:
    async with runtime.sessionmaker() as session:
        return list((await session.execute(select(AuditEntry.action))).scalars())


async def test_an_objection_is_acknowledged_with_a_deadline_after_national_day(
    client, runtime, monkeypatch, enterprise_a, credit_office
):
    # given a penalty, and "now" the Wednesday before the 国庆 holiday (1–7 October 2026)
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    freeze(monkeypatch, 2026, 9, 30, 10, 0)
    # when
    payload = await file(client, enterprise_a, record_id)
    # then: due at the end of Friday 9 October, China time
    objection = payload["objection"]
    assert payload["errors"] == []
    assert objection["status"] == "SUBMITTED" and objection["overdue"] is False
    assert objection["forwardDueAt"] == "2026-10-09T15:59:59+00:00"
    assert objection["record"] == {"id": record_id, "category": "admin_penalty"}
    inbox = (await client.execute(INBOX, token=enterprise_a)).data["myInbox"]
    assert [(m["kind"], m["title"]) for m in inbox] == [("OBJECTION", "异议申请已受理")]
    assert "2026年10月09日" in inbox[0]["body"]
    assert "objection.file" in await audit_actions(runtime)
    mine = (await client.execute(MY_OBJECTIONS, token=enterprise_a)).data["myObjections"]
    assert [m["id"] for m in mine] == [objection["id"]]


async def test_bad_objections_are_refused_and_other_enterprises_records_are_not_found(
    client, runtime, enterprise_a, credit_office, government
):
    # given a record of enterprise A and one of enterprise B
    other = await registered_enterprise(
        client, runtime, uscc=USCC_B, name="另一家公司", id_number="371302198001011239"
    )
    await ingest(
        client, credit_office, "admin_penalty", [penalty("罚-1"), penalty("罚-B", uscc=USCC_B)]
    )
    mine = (await record_ids(client, enterprise_a))["罚-1"]
    theirs = (await record_ids(client, other))["罚-B"]
    await file(client, enterprise_a, mine)
    unverified = await register(client)

    async def codes(record_id, reason="记录有误，请核实", token=enterprise_a):
        result = await client.execute(
            FILE, {"input": {"recordId": record_id, "reason": reason}}, token=token
        )
        if result.errors:
            return result.error_codes()
        return [(e["code"], e["field"]) for e in result.data["fileObjection"]["errors"]]

    # when / then
    assert await codes(theirs) == [("NOT_FOUND", "recordId")]
    assert await codes("999999") == [("NOT_FOUND", "recordId")]
    assert await codes("abc") == [("NOT_FOUND", "recordId")]
    assert await codes("99999999999999999999999") == [("NOT_FOUND", "recordId")]
    assert await codes(theirs, reason="短") == [("VALIDATION_ERROR", "reason")]
    assert await codes(theirs, reason="长" * 1001) == [("VALIDATION_ERROR", "reason")]
    assert await codes(mine) == [("CONFLICT", "recordId")]
    assert await codes(mine, token=unverified) == [("FORBIDDEN", None)]
    assert await codes(mine, token=government) == ["FORBIDDEN"]
    assert await codes(mine, token=None) == ["NOT_AUTHENTICATED"]


async def test_an_upheld_objection_hides_the_record_and_raises_the_score(
    client, runtime, enterprise_a, credit_office, government
):
    # given a serious penalty under objection, forwarded
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1", severity="serious")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    before = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    objection_id = (await file(client, enterprise_a, record_id))["objection"]["id"]
    forwarded = (await client.execute(FORWARD, {"id": objection_id}, token=government)).data
    # when
    result = await client.execute(
        RESOLVE, {"input": {"objectionId": objection_id, "uphold": True}}, token=government
    )
    # then
    assert forwarded["forwardObjection"]["objection"]["status"] == "FORWARDED"
    resolved = result.data["resolveObjection"]
    assert resolved["errors"] == [] and resolved["objection"]["status"] == "UPHELD"
    after = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    assert record_id not in {i["id"] for i in after["records"]["items"]}
    assert after["evaluation"]["score"] > before["evaluation"]["score"]
    async with runtime.sessionmaker() as session:
        kept = await session.get(CreditRecord, int(record_id))
    assert kept.is_current is False and kept.superseded_at is not None  # history kept
    inbox = (await client.execute(INBOX, token=enterprise_a)).data["myInbox"]
    assert [m["title"] for m in inbox] == [
        "异议处理结果：异议成立",
        "异议已转交核查",
        "异议申请已受理",
    ]
    actions = await audit_actions(runtime)
    assert {"objection.file", "objection.forward", "objection.resolve"} <= set(actions)


async def test_an_upheld_objection_with_a_correction_replaces_the_record(
    client, runtime, enterprise_a, credit_office, government
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1", severity="serious")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    objection_id = (await file(client, enterprise_a, record_id))["objection"]["id"]

    async def resolve(correction):
        variables = {
            "input": {"objectionId": objection_id, "uphold": True, "correction": correction}
        }
        return (await client.execute(RESOLVE, variables, token=government)).data["resolveObjection"]

    # when: bad corrections first, then a good one
    bad_value = await resolve({"fine_amount": "五千"})
    new_key = await resolve({"doc_number": "罚-2"})
    unknown = await resolve({"colour": "red"})
    good = await resolve({"severity": "general", "fine_amount": "500"})
    # then
    assert [(e["code"], e["field"]) for e in bad_value["errors"]] == [
        ("VALIDATION_ERROR", "correction.fine_amount")
    ]
    assert [(e["code"], e["field"]) for e in new_key["errors"]] == [
        ("VALIDATION_ERROR", "correction")
    ]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [
        ("VALIDATION_ERROR", "correction.colour")
    ]
    assert good["errors"] == [] and good["objection"]["status"] == "UPHELD"
    items = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    shown = [i for i in items["records"]["items"] if i["category"] == "admin_penalty"]
    assert [(i["version"], i["fields"]["severity"], i["fields"]["fine_amount"]) for i in shown] == [
        (2, "general", "500.00")
    ]
    assert shown[0]["id"] != record_id


async def test_a_rejected_objection_needs_a_reason_and_keeps_the_record(
    client, runtime, enterprise_a, credit_office, government
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    objection_id = (await file(client, enterprise_a, record_id))["objection"]["id"]

    async def resolve(**values):
        variables = {"input": {"objectionId": objection_id, "uphold": False, **values}}
        result = await client.execute(RESOLVE, variables, token=government)
        return result.data["resolveObjection"]

    # when
    no_reason = await resolve(reason="  ")
    with_correction = await resolve(reason="不成立", correction={"fine_amount": "1"})
    rejected = await resolve(reason="经数据提供单位核实，记录无误")
    again = await resolve(reason="再次处理")
    forward_late = await client.execute(FORWARD, {"id": objection_id}, token=government)
    unknown = await client.execute(
        RESOLVE, {"input": {"objectionId": "424242", "uphold": True}}, token=government
    )
    # then
    assert [(e["code"], e["field"]) for e in no_reason["errors"]] == [
        ("VALIDATION_ERROR", "reason")
    ]
    assert [(e["code"], e["field"]) for e in with_correction["errors"]] == [
        ("VALIDATION_ERROR", "correction")
    ]
    assert rejected["objection"]["status"] == "REJECTED"
    assert rejected["objection"]["resolutionReason"] == "经数据提供单位核实，记录无误"
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    assert [e["code"] for e in forward_late.data["forwardObjection"]["errors"]] == ["CONFLICT"]
    assert [e["code"] for e in unknown.data["resolveObjection"]["errors"]] == ["NOT_FOUND"]
    assert record_id in (await record_ids(client, enterprise_a)).values()
    # a new objection may be filed once the first is decided
    assert (await file(client, enterprise_a, record_id))["errors"] == []


async def test_the_government_list_flags_overdue_objections(
    client, runtime, monkeypatch, enterprise_a, credit_office, government
):
    # given one objection filed before the holiday (due 9 October) and one after (due 10th)
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1"), penalty("罚-2")])
    ids = await record_ids(client, enterprise_a)
    freeze(monkeypatch, 2026, 9, 30, 9, 0)
    early = (await file(client, enterprise_a, ids["罚-1"]))["objection"]
    freeze(monkeypatch, 2026, 10, 8, 9, 0)
    late = (await file(client, enterprise_a, ids["罚-2"]))["objection"]
    # when: it is Saturday 10 October (a make-up working day) at noon
    freeze(monkeypatch, 2026, 10, 10, 12, 0)
    everything = await client.execute(OBJECTIONS, token=government)
    overdue = await client.execute(OBJECTIONS, {"overdueOnly": True}, token=government)
    forwarded = await client.execute(OBJECTIONS, {"status": "FORWARDED"}, token=government)
    # then
    listed = everything.data["objections"]
    assert [(o["id"], o["overdue"]) for o in listed] == [(early["id"], True), (late["id"], False)]
    assert late["forwardDueAt"] == "2026-10-10T15:59:59+00:00"
    assert listed[0]["enterprise"] == {"uscc": USCC_A, "name": "深圳示例科技有限公司"}
    assert listed[0]["record"]["fields"]["doc_number"] == "罚-1"
    assert [o["id"] for o in overdue.data["objections"]] == [early["id"]]
    assert forwarded.data["objections"] == []
    # and forwarding late is still possible (and audited as late)
    result = await client.execute(FORWARD, {"id": early["id"]}, token=government)
    assert result.data["forwardObjection"]["objection"]["overdue"] is False
    async with runtime.sessionmaker() as session:
        row = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "objection.forward")
            )
        ).scalar_one()
    assert row.details == {"late": True}


async def test_only_government_staff_list_and_decide_objections(
    client, runtime, enterprise_a, government
):
    # given
    await load_demo(runtime)
    bank = await login(client, BANK_PHONE)
    auditor = await staff_token(client, runtime, Role.AUDITOR)
    decide = {"input": {"objectionId": "1", "uphold": True}}
    # when
    cases = {
        "anonymous list": await client.execute(OBJECTIONS),
        "enterprise list": await client.execute(OBJECTIONS, token=enterprise_a),
        "bank list": await client.execute(OBJECTIONS, token=bank),
        "auditor list": await client.execute(OBJECTIONS, token=auditor),
        "bank resolve": await client.execute(RESOLVE, decide, token=bank),
        "enterprise forward": await client.execute(FORWARD, {"id": "1"}, token=enterprise_a),
        "bank repairs": await client.execute(REPAIRS, token=bank),
        "government my objections": await client.execute(MY_OBJECTIONS, token=government),
        "page too big": await client.execute(OBJECTIONS, {"first": 1000}, token=government),
    }
    # then
    assert {name: result.error_codes() for name, result in cases.items()} == {
        "anonymous list": ["NOT_AUTHENTICATED"],
        "enterprise list": ["FORBIDDEN"],
        "bank list": ["FORBIDDEN"],
        "auditor list": ["FORBIDDEN"],
        "bank resolve": ["FORBIDDEN"],
        "enterprise forward": ["FORBIDDEN"],
        "bank repairs": ["FORBIDDEN"],
        "government my objections": ["FORBIDDEN"],
        "page too big": ["VALIDATION_ERROR"],
    }
    assert all(result.data is None for result in cases.values())


# --- credit repair --------------------------------------------------------------------------


def repair_input(record_id, **overrides):
    values = {
        "recordId": record_id,
        "reason": "已全额缴纳罚款并完成整改，特申请信用修复",
        "acceptCommitment": True,
    }
    return {"input": {**values, **overrides}}


async def request_repair(client, token, record_id, **overrides):
    result = await client.execute(REQUEST_REPAIR, repair_input(record_id, **overrides), token=token)
    assert result.errors == [], result.errors
    return result.data["requestCreditRepair"]


async def test_repair_waits_for_the_shortest_publication_period_by_severity(
    client, runtime, monkeypatch, enterprise_a, credit_office
):
    # given a general (3 months), a serious (1 year) and a minor (at once) penalty
    await ingest(
        client,
        credit_office,
        "admin_penalty",
        [
            penalty("一般", decided="2026-06-15", severity="general"),
            penalty("严重", decided="2025-09-10", until="2028-09-09", severity="serious"),
            penalty("轻微", decided="2026-08-30", until="2026-11-29", severity="minor"),
        ],
    )
    ids = await record_ids(client, enterprise_a)
    freeze(monkeypatch, 2026, 9, 1, 9, 0)
    # when
    general_early = await request_repair(client, enterprise_a, ids["一般"])
    serious_early = await request_repair(client, enterprise_a, ids["严重"])
    minor = await request_repair(client, enterprise_a, ids["轻微"])
    freeze(monkeypatch, 2026, 9, 15, 0, 30)
    general_on_time = await request_repair(client, enterprise_a, ids["一般"])
    # then
    assert [(e["code"], e["field"]) for e in general_early["errors"]] == [
        ("VALIDATION_ERROR", "recordId")
    ]
    assert "2026-09-15" in general_early["errors"][0]["message"]
    assert "2026-09-10" in serious_early["errors"][0]["message"]
    assert minor["errors"] == [] and minor["repairRequest"]["eligibleFrom"] == "2026-08-30"
    assert general_on_time["errors"] == []
    assert general_on_time["repairRequest"]["status"] == "SUBMITTED"
    assert general_on_time["repairRequest"]["commitmentVersion"] == "repair-2026.1"


async def test_bad_repair_requests_are_refused(client, runtime, enterprise_a, credit_office):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    ids = await record_ids(client, enterprise_a)
    await request_repair(client, enterprise_a, ids["罚-1"])

    async def codes(record_id, **overrides):
        payload = await request_repair(client, enterprise_a, record_id, **overrides)
        return [(e["code"], e["field"]) for e in payload["errors"]]

    # when / then
    assert await codes(ids["registration"]) == [("VALIDATION_ERROR", "recordId")]
    assert await codes(ids["罚-1"], acceptCommitment=False) == [
        ("VALIDATION_ERROR", "acceptCommitment")
    ]
    assert await codes(ids["罚-1"], commitmentVersion="repair-2025.9") == [
        ("CONFLICT", "commitmentVersion")
    ]
    assert await codes(ids["罚-1"], reason="改了") == [("VALIDATION_ERROR", "reason")]
    assert await codes("31337") == [("NOT_FOUND", "recordId")]
    assert await codes(ids["罚-1"]) == [("CONFLICT", "recordId")]
    anonymous = await client.execute(REQUEST_REPAIR, repair_input(ids["罚-1"]))
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]


async def test_an_approved_repair_stops_the_penalty_counting(
    client, runtime, enterprise_a, credit_office, government
):
    # given a general penalty decided long enough ago, under a repair request
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1"), penalty("罚-2")])
    ids = await record_ids(client, enterprise_a)
    before = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    first = (await request_repair(client, enterprise_a, ids["罚-1"]))["repairRequest"]
    second = (await request_repair(client, enterprise_a, ids["罚-2"]))["repairRequest"]
    listed = (await client.execute(REPAIRS, {"status": "SUBMITTED"}, token=government)).data

    async def resolve(request_id, approve, reason=None):
        variables = {"input": {"requestId": request_id, "approve": approve, "reason": reason}}
        result = await client.execute(RESOLVE_REPAIR, variables, token=government)
        return result.data["resolveRepairRequest"]

    # when
    no_reason = await resolve(second["id"], False)
    rejected = await resolve(second["id"], False, "整改材料不全")
    approved = await resolve(first["id"], True)
    again = await resolve(first["id"], True)
    # then
    assert [r["id"] for r in listed["repairRequests"]] == [first["id"], second["id"]]
    assert listed["repairRequests"][0]["enterprise"] == {"uscc": USCC_A}
    assert [(e["code"], e["field"]) for e in no_reason["errors"]] == [
        ("VALIDATION_ERROR", "reason")
    ]
    assert rejected["repairRequest"]["status"] == "REJECTED"
    assert approved["repairRequest"]["status"] == "APPROVED"
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    after = (await client.execute(PROFILE, token=enterprise_a)).data["myCreditProfile"]
    shown = {i["fields"].get("doc_number") for i in after["records"]["items"]}
    assert "罚-1" not in shown and "罚-2" in shown
    assert after["evaluation"]["score"] > before["evaluation"]["score"]
    mine = (await client.execute(MY_REPAIRS, token=enterprise_a)).data["myRepairRequests"]
    assert {(m["id"], m["status"]) for m in mine} == {
        (first["id"], "APPROVED"),
        (second["id"], "REJECTED"),
    }
    titles = [m["title"] for m in (await client.execute(INBOX, token=enterprise_a)).data["myInbox"]]
    assert titles.count("信用修复申请已受理") == 2
    assert {"信用修复结果：已通过", "信用修复结果：未通过"} <= set(titles)
    assert {"repair.request", "repair.resolve"} <= set(await audit_actions(runtime))


async def test_a_registration_record_is_never_hidden_or_corrected_here(
    client, runtime, enterprise_a, government
):
    # given objections to the enterprise's registration record
    record_id = (await record_ids(client, enterprise_a))["registration"]
    first = (await file(client, enterprise_a, record_id))["objection"]["id"]

    async def resolve(objection_id, **values):
        variables = {"input": {"objectionId": objection_id, "uphold": True, **values}}
        return (await client.execute(RESOLVE, variables, token=government)).data["resolveObjection"]

    # when
    corrected = await resolve(first, correction={"address": "深圳市南山区"})
    upheld = await resolve(first)
    # then: upheld, but the record stays until the registration authority re-sends it
    assert [(e["code"], e["field"]) for e in corrected["errors"]] == [
        ("VALIDATION_ERROR", "correction")
    ]
    assert upheld["objection"]["status"] == "UPHELD"
    assert (await record_ids(client, enterprise_a))["registration"] == record_id
    inbox = (await client.execute(INBOX, token=enterprise_a)).data["myInbox"]
    assert "登记机关将更正" in inbox[0]["body"]


async def test_two_objections_filed_at_the_same_moment_give_one(
    client, runtime, enterprise_a, credit_office
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    # when both are sent at once
    first, second = await asyncio.gather(
        file(client, enterprise_a, record_id), file(client, enterprise_a, record_id)
    )
    # then exactly one is filed and the other is told why
    outcomes = sorted([bool(first["objection"]), bool(second["objection"])])
    assert outcomes == [False, True]
    refused = first if first["objection"] is None else second
    assert [e["code"] for e in refused["errors"]] == ["CONFLICT"]
    async with runtime.sessionmaker() as session:
        count = len((await session.execute(select(Objection.id))).all())
    assert count == 1


async def test_a_record_hidden_by_an_upheld_objection_stays_hidden_when_sent_again_unchanged(
    client, runtime, enterprise_a, credit_office, government
):
    # given an upheld objection
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    record_id = (await record_ids(client, enterprise_a))["罚-1"]
    objection = (await file(client, enterprise_a, record_id))["objection"]
    resolved = await client.execute(
        RESOLVE,
        {"input": {"objectionId": objection["id"], "uphold": True, "reason": "处罚对象有误"}},
        token=government,
    )
    assert resolved.errors == [], resolved.errors
    # when the provider sends the same record again, then a corrected one
    same = await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    after_same = await record_ids(client, enterprise_a)
    changed = await ingest(
        client, credit_office, "admin_penalty", [{**penalty("罚-1"), "fine_amount": "100"}]
    )
    after_change = await record_ids(client, enterprise_a)
    # then the unchanged record stays hidden and the corrected one is shown
    assert same["errors"] == [] and "罚-1" not in after_same
    assert changed["errors"] == [] and "罚-1" in after_change
