"""Post-loan risk alerts: new negative information about a borrower alerts its lenders only,
in the ingestion's own transaction, once; riskAlerts and acknowledgeRiskAlert."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from backend.credit import ingest as ingest_service
from backend.enterprises import features
from backend.enterprises.features import refresh_features
from backend.enterprises.models import Enterprise
from backend.inbox.models import InboxMessage
from backend.lending import risk
from backend.lending.models import LoanStatus, RiskAlert
from tests.support.builders import (
    DEMO_ENTERPRISES,
    api_token_for,
    demo_bank,
    ingest,
    institution_user,
    load_demo,
    penalty,
    provider_token,
    staff_token,
    verified_enterprise_user,
)
from tests.support.lending_loans import live_loan, set_loan_status

SHUNDA, LIJI, GOUQI, ZHIXIN = DEMO_ENTERPRISES  # grades A+ (96), C (68, 1 penalty), A, D
RISK_ALERTS = """
query Alerts($first: Int! = 20, $after: ID, $unacknowledgedOnly: Boolean! = false) {
  riskAlerts(first: $first, after: $after, unacknowledgedOnly: $unacknowledgedOnly) {
    id enterprise { uscc name } kind kindLabel severity message createdAt acknowledgedAt loanId
  }
}
"""
ACKNOWLEDGE = """
mutation Ack($id: ID!) {
  acknowledgeRiskAlert(id: $id) {
    alert { id acknowledgedAt }
    errors { code field message }
  }
}
"""
MY_INBOX = "query { myInbox(first: 50) { id kind title body } }"


def penalty_for(firm, doc: str, severity: str = "general") -> dict:
    """A penalty decided last month, still publicised."""
    record = penalty(doc, uscc=firm.uscc, decided="2026-10-01", until="2027-10-01")
    return {**record, "name": firm.name, "severity": severity}


@pytest.fixture
async def world(client, runtime):
    """Demo data, the demo bank and a penalty office."""
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    office = await provider_token(client, runtime, code="test-office", categories=["admin_penalty"])
    return bank, office


async def alerts(client, token, **variables) -> list[dict]:
    result = await client.execute(RISK_ALERTS, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["riskAlerts"]


async def inbox(client, token) -> list[dict]:
    result = await client.execute(MY_INBOX, token=token)
    assert result.errors == [], result.errors
    return result.data["myInbox"]


async def stored(runtime, model) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_new_penalty_alerts_the_lender_once(client, runtime, world):
    # given a live loan to a firm with one penalty already
    bank, office = world
    loan_id = await live_loan(runtime, institution_id=bank.institution_id, uscc=LIJI.uscc)
    batch = [penalty_for(LIJI, "临罚〔2026〕101号")]
    # when
    sent = await ingest(client, office, "admin_penalty", batch, batch_id="p-1")
    # then
    assert sent["errors"] == [] and sent["batch"]["accepted"] == 1
    [alert] = await alerts(client, bank.token)
    assert alert["enterprise"] == {"uscc": LIJI.uscc, "name": LIJI.name}
    assert (alert["kind"], alert["kindLabel"], alert["severity"]) == (
        "ADMIN_PENALTY",
        "新增行政处罚",
        "MEDIUM",
    )
    assert alert["message"] == "罗庄区李记五金店新增行政处罚 1 条（近三年共 2 条），请关注贷后风险"
    assert alert["loanId"] == str(loan_id) and alert["acknowledgedAt"] is None
    [message] = await inbox(client, bank.token)
    assert message["kind"] == "RISK_ALERT" and message["title"] == f"贷后风险提示：{LIJI.name}"
    assert alert["message"] in message["body"]
    # when the same batch is replayed, the same record resent and the features refreshed again
    replayed = await ingest(client, office, "admin_penalty", batch, batch_id="p-1")
    resent = await ingest(client, office, "admin_penalty", batch, batch_id="p-2")
    async with runtime.sessionmaker() as session:
        ids = (await session.execute(select(Enterprise.id))).scalars().all()
        await refresh_features(session, ids)
        await session.commit()
    # then nothing new
    assert replayed["batch"]["replayed"] is True and resent["errors"] == []
    assert await stored(runtime, RiskAlert) == 1
    assert len(await inbox(client, bank.token)) == 1


async def test_no_alert_survives_a_failed_ingestion(client, runtime, world, monkeypatch):
    # given a live loan, and an ingestion that fails after storing and refreshing
    bank, office = world
    await live_loan(runtime, institution_id=bank.institution_id, uscc=LIJI.uscc)
    messages_before = await stored(runtime, InboxMessage)  # the demo's policy messages

    async def broken_audit(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(ingest_service, "record_batch_audit", broken_audit)
    # when
    result = await client.execute(
        "mutation($input: IngestCreditRecordsInput!) { ingestCreditRecords(input: $input) "
        "{ errors { code } } }",
        {
            "input": {
                "batchId": "p-x",
                "category": "admin_penalty",
                "records": [penalty_for(LIJI, "临罚〔2026〕102号")],
            }
        },
        token=office,
    )
    # then the alert rolled back with the records
    assert result.errors and result.data is None
    assert await stored(runtime, RiskAlert) == 0
    assert await stored(runtime, InboxMessage) == messages_before
    assert await alerts(client, bank.token) == []


async def test_no_live_loan_no_alert(client, runtime, world):
    # given a repaid loan to one firm and no loan at all to another
    bank, office = world
    repaid = await live_loan(runtime, institution_id=bank.institution_id, uscc=LIJI.uscc)
    await set_loan_status(runtime, repaid, LoanStatus.REPAID)
    # when both get a penalty
    records = [penalty_for(LIJI, "临罚〔2026〕103号"), penalty_for(GOUQI, "银罚〔2026〕1号")]
    sent = await ingest(client, office, "admin_penalty", records)
    # then
    assert sent["batch"]["accepted"] == 2
    assert await alerts(client, bank.token) == []
    assert await inbox(client, bank.token) == []


async def test_each_lender_gets_its_own_and_no_one_else_sees_them(client, runtime, world):
    # given two lenders to the same firm, and a third institution lending nothing
    bank, office = world
    other = await institution_user(client, runtime, name="第二银行")
    outsider = await institution_user(client, runtime, name="旁观银行")
    ours = await live_loan(runtime, institution_id=bank.institution_id, uscc=LIJI.uscc)
    theirs = await live_loan(runtime, institution_id=other.institution_id, uscc=LIJI.uscc)
    # when
    await ingest(client, office, "admin_penalty", [penalty_for(LIJI, "临罚〔2026〕104号")])
    # then
    [mine] = await alerts(client, bank.token)
    [their] = await alerts(client, other.token)
    assert (mine["loanId"], their["loanId"]) == (str(ours), str(theirs))
    assert len(await inbox(client, other.token)) == 1
    assert await alerts(client, outsider.token) == []
    assert await inbox(client, outsider.token) == []
    refused = await client.execute(ACKNOWLEDGE, {"id": mine["id"]}, token=outsider.token)
    assert [e["code"] for e in refused.data["acknowledgeRiskAlert"]["errors"]] == ["NOT_FOUND"]
    # when the lender acknowledges, twice
    first = await client.execute(ACKNOWLEDGE, {"id": mine["id"]}, token=bank.token)
    again = await client.execute(ACKNOWLEDGE, {"id": mine["id"]}, token=bank.token)
    # then the first time counts, and the other lender's alert is untouched
    acknowledged = first.data["acknowledgeRiskAlert"]["alert"]["acknowledgedAt"]
    assert acknowledged and again.data["acknowledgeRiskAlert"]["alert"]["acknowledgedAt"] == (
        acknowledged
    )
    assert await alerts(client, bank.token, unacknowledgedOnly=True) == []
    assert (await alerts(client, other.token))[0]["acknowledgedAt"] is None


async def test_risk_alert_access(client, runtime, world):
    # given
    bank, _ = world
    enterprise = await verified_enterprise_user(client, LIJI)
    government = await staff_token(client, runtime)
    no_alerts = await api_token_for(runtime, bank, ["REPORTS", "APPLICATIONS"])
    with_alerts = await api_token_for(runtime, bank, ["ALERTS"])

    async def ack_errors(alert_id, token=bank.token):
        result = await client.execute(ACKNOWLEDGE, {"id": alert_id}, token=token)
        if result.errors:
            return result.error_codes()
        return [(e["code"], e["field"]) for e in result.data["acknowledgeRiskAlert"]["errors"]]

    # when / then
    cases = {
        "anonymous": await client.execute(RISK_ALERTS),
        "enterprise": await client.execute(RISK_ALERTS, token=enterprise),
        "government": await client.execute(RISK_ALERTS, token=government),
        "token without ALERTS": await client.execute(RISK_ALERTS, token=no_alerts),
        "token with ALERTS": await client.execute(RISK_ALERTS, token=with_alerts),
        "page too big": await client.execute(RISK_ALERTS, {"first": 101}, token=bank.token),
        "empty page": await client.execute(RISK_ALERTS, {"first": 0}, token=bank.token),
        "bad cursor": await client.execute(RISK_ALERTS, {"after": "x"}, token=bank.token),
    }
    assert {name: result.error_codes() for name, result in cases.items()} == {
        "anonymous": ["NOT_AUTHENTICATED"],
        "enterprise": ["FORBIDDEN"],
        "government": ["FORBIDDEN"],
        "token without ALERTS": ["FORBIDDEN"],
        "token with ALERTS": [],
        "page too big": ["VALIDATION_ERROR"],
        "empty page": ["VALIDATION_ERROR"],
        "bad cursor": ["NOT_FOUND"],
    }
    assert await ack_errors("1", token=enterprise) == ["FORBIDDEN"]
    assert await ack_errors("1", token=no_alerts) == [("FORBIDDEN", None)]
    assert await ack_errors("abc") == [("NOT_FOUND", "id")]
    assert await ack_errors("999999") == [("NOT_FOUND", "id")]


async def test_dishonest_listing_is_high(client, runtime, world):
    # given a live loan to a D-grade firm (no grade left to lose)
    bank, _ = world
    await live_loan(runtime, institution_id=bank.institution_id, uscc=ZHIXIN.uscc)
    court = await provider_token(client, runtime, code="test-court", categories=["dishonest_list"])
    listing = {
        "uscc": ZHIXIN.uscc,
        "name": ZHIXIN.name,
        "list_name": "失信被执行人名单",
        "listed_on": "2026-11-01",
        "reason": "有履行能力而拒不履行生效法律文书确定义务",
        "authority_name": "苏州市虎丘区人民法院",
    }
    # when
    sent = await ingest(client, court, "dishonest_list", [listing])
    # then
    assert sent["batch"]["accepted"] == 1, sent
    [alert] = await alerts(client, bank.token)
    assert (alert["kind"], alert["severity"]) == ("DISHONEST_LIST", "HIGH")
    assert alert["message"] == f"{ZHIXIN.name}被列入失信名单，请关注贷后风险"


async def test_a_grade_drop_is_told_besides_the_penalty(client, runtime, world):
    # given an A+ borrower (96 points): one penalty costs it 9
    bank, office = world
    await live_loan(runtime, institution_id=bank.institution_id, uscc=SHUNDA.uscc)
    # when
    await ingest(client, office, "admin_penalty", [penalty_for(SHUNDA, "临罚〔2026〕105号")])
    # then
    shown = {a["kind"]: a for a in await alerts(client, bank.token)}
    assert set(shown) == {"ADMIN_PENALTY", "GRADE_DROP"}
    assert shown["GRADE_DROP"]["severity"] == "MEDIUM"
    assert shown["GRADE_DROP"]["message"] == (
        f"{SHUNDA.name}信用等级由 A+ 级降至 A 级（信用评分 96 → 87），请关注贷后风险"
    )
    assert len(await inbox(client, bank.token)) == 2


async def test_tax_and_social_insurance_arrears(client, runtime, world):
    # given a live loan to a firm that paid everything
    bank, _ = world
    await live_loan(runtime, institution_id=bank.institution_id, uscc=SHUNDA.uscc)
    tax = await provider_token(
        client, runtime, code="test-tax", categories=["tax", "social_insurance"]
    )
    base = {"uscc": SHUNDA.uscc, "name": SHUNDA.name}
    # when the tax office reports arrears for 2025 and one unpaid month of premiums
    year = {**base, "year": 2025, "tax_credit_grade": "A", "tax_paid": "1618750.00"}
    month = {**base, "month": "2026-10", "insured_count": 57, "amount_paid": "0"}
    await ingest(client, tax, "tax", [{**year, "in_arrears": True}])
    await ingest(client, tax, "social_insurance", [{**month, "in_arrears": True}])
    # then
    shown = sorted(
        (a["kind"], a["severity"], a["message"]) for a in await alerts(client, bank.token)
    )
    assert shown == [
        ("TAX_ARREARS", "MEDIUM", f"{SHUNDA.name}新增欠税记录（2025 年度），请关注贷后风险"),
        (
            "TAX_ARREARS",
            "MEDIUM",
            f"{SHUNDA.name}新增社会保险费欠缴记录（2026-10），请关注贷后风险",
        ),
    ]


async def test_bulk_ingestion_alerts_too(client, runtime, world):
    # given
    bank, office = world
    await live_loan(runtime, institution_id=bank.institution_id, uscc=LIJI.uscc)
    body = json.dumps(penalty_for(LIJI, "临罚〔2026〕106号"), ensure_ascii=False).encode()
    # when
    response = await client.http.post(
        "/ingest/admin_penalty",
        params={"batchId": "bulk-p-1"},
        content=body,
        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {office}"},
    )
    # then
    assert response.status_code == 200, response.text
    assert [a["kind"] for a in await alerts(client, bank.token)] == ["ADMIN_PENALTY"]


async def test_firms_without_loans_cost_one_statement_per_chunk(
    runtime, monkeypatch, statement_counter
):
    # given 200 enterprises with features and no loans, refreshed in chunks of 100
    async with runtime.sessionmaker() as session:
        session.add_all(
            Enterprise(
                uscc=f"91371300MA{n:08d}",
                name=f"无贷企业{n}",
                entity_type="enterprise",
                region_code="371302",
                legal_rep_name="张三",
                legal_rep_id_cipher="-",
                legal_rep_id_hash=f"{n:064d}",
                legal_rep_id_masked="-",
            )
            for n in range(200)
        )
        await session.flush()
        ids = (await session.execute(select(Enterprise.id))).scalars().all()
        await refresh_features(session, ids)
        await session.commit()
    monkeypatch.setattr(features, "CHUNK", 100)

    async def statements() -> int:
        statement_counter.clear()
        async with runtime.sessionmaker() as session:
            await refresh_features(session, ids, date(2026, 11, 21))
            await session.rollback()
        return len(statement_counter)

    with_alerts = await statements()

    async def no_borrowers(session, enterprise_ids):
        return {}

    monkeypatch.setattr(risk, "borrower_features", no_borrowers)
    # when / then
    assert with_alerts - await statements() == 2


def test_events_are_compared_fact_by_fact():
    base = {
        "admin_penalties_3y": 1,
        "serious_penalties_3y": 0,
        "on_dishonest_list": False,
        "credit_grade": "A",
        "credit_score": 85,
        "scorecard_version": "v1",
        "evaluation": {},
    }

    def kinds(**after):
        return [
            (e.kind.value, e.severity.value) for e in risk.detect_events(base, {**base, **after})
        ]

    assert kinds() == []
    assert kinds(admin_penalties_3y=2, serious_penalties_3y=1) == [("SERIOUS_PENALTY", "HIGH")]
    assert kinds(admin_penalties_3y=0) == []
    assert kinds(credit_grade="C") == [("GRADE_DROP", "HIGH")]
    assert kinds(credit_grade="B", scorecard_version="v2") == []
    assert kinds(has_utility_arrears=True) == [("UTILITY_ARREARS", "LOW")]
    assert kinds(evaluation={"arrears": {"tax_years": [2025]}}) == []  # no earlier markers
