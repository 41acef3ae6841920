"""Demands, applications, decisions, disbursement and performance through the API: the good path
and the bad input next to it, ownership between institutions, and Idempotency-Key replays."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from backend.clock import china_today
from backend.consent.models import Authorization
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.inbox.models import InboxMessage
from backend.lending.models import LoanApplication
from tests.support.builders import (
    DEMO_ENTERPRISES,
    demo_bank,
    institution_user,
    load_demo,
    verified_enterprise_user,
)
from tests.support.lending_flow import (
    APPLICATIONS,
    APPLY,
    DECIDE,
    DISBURSE,
    MY_APPLICATIONS,
    PERFORMANCE,
    PREVIEW,
    PUBLISH_DEMAND,
    apply,
    approve,
    publish_demand,
)

PUBLISH_PRODUCT = """
mutation Publish($input: PublishLoanProductInput!) {
  publishLoanProduct(input: $input) { product { id status version } errors { code field message } }
}
"""
UPDATE_PRODUCT = """
mutation Update($input: UpdateLoanProductInput!) {
  updateLoanProduct(input: $input) { product { id version } errors { code field message } }
}
"""


def product_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "测试流程贷",
        "productType": "CREDIT",
        "minAmount": "100000",
        "maxAmount": "1000000",
        "minTermMonths": 6,
        "maxTermMonths": 36,
        "minAnnualRate": "0.0350",
        "maxAnnualRate": "0.0600",
        "regionCodes": ["3713"],
        "description": "面向临沂小微企业的信用贷款，用于采购和周转",
        "tags": ["信用贷", "流动资金"],
        "eligibility": {"all": [{"fact": "on_dishonest_list", "op": "ne", "value": True}]},
        "requiredScopes": ["tax"],
    }
    values.update(overrides)
    return {"input": values}


async def publish_product(client: Any, token: str, **overrides: Any) -> str:
    result = await client.execute(PUBLISH_PRODUCT, product_input(**overrides), token=token)
    payload = result.data["publishLoanProduct"]
    assert payload["errors"] == [], payload["errors"]
    return payload["product"]["id"]


async def world(client: Any, runtime: Any) -> tuple[Any, str, str, str]:
    """Demo data, the demo bank with a product, and a verified firm with an open demand."""
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    product_id = await publish_product(client, bank.token)
    firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[0])
    demand_id = await publish_demand(client, firm)
    return bank, product_id, firm, demand_id


async def test_publish_demand_and_bad_demands(client, runtime) -> None:
    # given
    await load_demo(runtime)
    firm = await verified_enterprise_user(client)
    # when
    good = await client.execute(
        PUBLISH_DEMAND,
        {"input": {"amount": "500000.50", "termMonths": 12, "purpose": " 采购  原材料 "}},
        token=firm,
    )
    bad = [
        ({"amount": "0", "termMonths": 12, "purpose": "采购原材料"}, "amount"),
        ({"amount": "-5", "termMonths": 12, "purpose": "采购原材料"}, "amount"),
        ({"amount": "1.001", "termMonths": 12, "purpose": "采购原材料"}, "amount"),
        ({"amount": "2000000000", "termMonths": 12, "purpose": "采购原材料"}, "amount"),
        ({"amount": "500000", "termMonths": 0, "purpose": "采购原材料"}, "termMonths"),
        ({"amount": "500000", "termMonths": 400, "purpose": "采购原材料"}, "termMonths"),
        ({"amount": "500000", "termMonths": 12, "purpose": "买"}, "purpose"),
    ]
    # then
    demand = good.data["publishFinancingDemand"]["demand"]
    assert demand["status"] == "OPEN" and demand["purpose"] == "采购 原材料"
    for values, field in bad:
        result = await client.execute(PUBLISH_DEMAND, {"input": values}, token=firm)
        errors = result.data["publishFinancingDemand"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION_ERROR", field)], values


async def test_only_a_verified_enterprise_publishes_demands(client, runtime) -> None:
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    values = {"input": {"amount": "500000", "termMonths": 12, "purpose": "采购原材料"}}
    result = await client.execute(PUBLISH_DEMAND, values, token=bank.token)
    assert result.error_codes() == ["FORBIDDEN"]


async def test_apply_records_the_grant_the_product_needs_after_the_preview(client, runtime) -> None:
    # given
    _bank, product_id, firm, demand_id = await world(client, runtime)
    # when: applying without having accepted the consent text
    refused = await client.execute(
        APPLY, {"input": {"productId": product_id, "demandId": demand_id}}, token=firm
    )
    preview = (await client.execute(PREVIEW, {"productId": product_id}, token=firm)).data[
        "applicationPreview"
    ]
    stale = await client.execute(
        APPLY,
        {"input": {"productId": product_id, "demandId": demand_id, "consentVersion": "old"}},
        token=firm,
    )
    applied = await apply(client, firm, product_id, demand_id)
    # then
    assert [e["field"] for e in refused.data["applyForProduct"]["errors"]] == ["consentVersion"]
    assert [e["code"] for e in stale.data["applyForProduct"]["errors"]] == ["CONFLICT"]
    assert preview["needsConsent"] is True and preview["scopes"] == ["tax"]
    assert preview["purpose"] == "LOAN_APPROVAL" and "纳税" in preview["consentText"]
    assert applied["errors"] == []
    application = applied["application"]
    assert application["status"] == "SUBMITTED" and application["productVersion"] == 1
    assert application["requestedAmount"] == "500000.00"
    async with runtime.sessionmaker() as session:
        grant = await session.get_one(Authorization, int(application["authorizationId"]))
        messages = (
            await session.execute(
                select(InboxMessage.title).where(InboxMessage.kind == "APPLICATION")
            )
        ).scalars()
        assert grant.scopes == ["tax"] and grant.purpose == "LOAN_APPROVAL"
        assert grant.source == "APPLICATION" and grant.consent_text == preview["consentText"]
        assert any("测试流程贷" in title for title in messages)


async def test_a_second_application_reuses_a_covering_grant(client, runtime) -> None:
    # given: a first application created the grant
    bank, product_id, firm, demand_id = await world(client, runtime)
    first = await apply(client, firm, product_id, demand_id)
    other = await publish_product(client, bank.token, name="测试周转贷")
    # when
    preview = (await client.execute(PREVIEW, {"productId": other}, token=firm)).data[
        "applicationPreview"
    ]
    second = await apply(client, firm, other, demand_id)
    # then
    assert preview["needsConsent"] is False
    assert preview["reusedAuthorizationId"] == first["application"]["authorizationId"]
    assert second["application"]["authorizationId"] == first["application"]["authorizationId"]


async def test_same_idempotency_key_makes_one_application(client, runtime) -> None:
    # given
    _bank, product_id, firm, demand_id = await world(client, runtime)
    # when: the same request sent three times, two of them at once
    first = await apply(client, firm, product_id, demand_id, key="app-key-00000001")
    again = await asyncio.gather(
        apply(client, firm, product_id, demand_id, key="app-key-00000001"),
        apply(client, firm, product_id, demand_id, key="app-key-00000001"),
    )
    other_body = await apply(
        client, firm, product_id, demand_id, key="app-key-00000001", amount="200000"
    )
    bad_key = await apply(client, firm, product_id, demand_id, key="short")
    # then
    assert first["replayed"] is False
    assert all(
        p["replayed"] and p["application"]["id"] == first["application"]["id"] for p in again
    )
    assert [e["code"] for e in other_body["errors"]] == ["CONFLICT"]
    assert [e["field"] for e in bad_key["errors"]] == ["Idempotency-Key"]
    async with runtime.sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(LoanApplication))).scalar()
        grants = (await session.execute(select(func.count()).select_from(Authorization))).scalar()
    assert count == 1 and grants == 1


async def test_one_live_application_per_product_and_demand(client, runtime) -> None:
    _bank, product_id, firm, demand_id = await world(client, runtime)
    first = await apply(client, firm, product_id, demand_id)
    duplicate = await apply(client, firm, product_id, demand_id)
    assert first["errors"] == []
    assert [e["code"] for e in duplicate["errors"]] == ["CONFLICT"]


async def test_an_ineligible_firm_is_told_why(client, runtime) -> None:
    # given: a product for firms with at least 30 years in business
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    rule = {"all": [{"fact": "years_in_business", "op": "gte", "value": 30}]}
    product_id = await publish_product(client, bank.token, eligibility=rule)
    firm = await verified_enterprise_user(client)
    # when
    payload = await apply(client, firm, product_id)
    # then
    (error,) = payload["errors"]
    assert error["code"] == "NOT_ELIGIBLE" and "成立年限" in error["message"]


async def test_apply_bad_references(client, runtime) -> None:
    bank, product_id, firm, demand_id = await world(client, runtime)
    other_firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[1])
    cases = [
        ({"productId": "999999"}, "NOT_FOUND", "productId"),
        ({"productId": "abc"}, "NOT_FOUND", "productId"),
        ({"productId": product_id, "demandId": "999999"}, "NOT_FOUND", "demandId"),
    ]
    for values, code, field in cases:
        result = await client.execute(APPLY, {"input": values}, token=firm)
        errors = result.data["applyForProduct"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], values
    # another firm's demand is not found either
    theirs = await apply(client, other_firm, product_id, demand_id)
    assert [e["code"] for e in theirs["errors"]] == ["NOT_FOUND"]
    # and an institution cannot apply
    result = await client.execute(APPLY, {"input": {"productId": product_id}}, token=bank.token)
    assert result.error_codes() == ["FORBIDDEN"]


async def test_approve_disburse_and_report_performance(client, runtime) -> None:
    # given
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]
    # when
    approved = await approve(client, bank.token, application_id)
    today = china_today()
    disbursed = await client.execute(
        DISBURSE,
        {
            "input": {
                "applicationId": application_id,
                "amount": "300000",
                "disbursedOn": today.isoformat(),
                "isCreditLoan": True,
            }
        },
        token=bank.token,
    )
    loan = disbursed.data["recordDisbursement"]["loan"]
    overdue = await client.execute(
        PERFORMANCE,
        {"input": {"loanId": loan["id"], "status": "OVERDUE", "reportedOn": today.isoformat()}},
        token=bank.token,
    )
    repaid = await client.execute(
        PERFORMANCE,
        {"input": {"loanId": loan["id"], "status": "REPAID", "reportedOn": today.isoformat()}},
        token=bank.token,
    )
    after_repaid = await client.execute(
        PERFORMANCE,
        {"input": {"loanId": loan["id"], "status": "NORMAL", "reportedOn": today.isoformat()}},
        token=bank.token,
    )
    mine = (await client.execute(MY_APPLICATIONS, token=firm)).data["myApplications"]
    # then
    decided = approved["application"]
    assert decided["status"] == "APPROVED" and Decimal(decided["annualRate"]) == Decimal("0.0395")
    assert loan["isFirstLoan"] is True and loan["isCreditLoan"] is True
    assert overdue.data["reportLoanPerformance"]["loan"]["status"] == "OVERDUE"
    assert repaid.data["reportLoanPerformance"]["loan"]["status"] == "REPAID"
    assert [e["code"] for e in after_repaid.data["reportLoanPerformance"]["errors"]] == ["CONFLICT"]
    assert mine[0]["status"] == "CLOSED" and mine[0]["loan"]["status"] == "REPAID"
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(InboxMessage.institution_id, InboxMessage.title)
                .where(InboxMessage.kind == "APPLICATION")
                .order_by(InboxMessage.id)
            )
        ).all()
    to_firm = [title for institution_id, title in rows if institution_id is None]
    to_bank = [title for institution_id, title in rows if institution_id == bank.institution_id]
    assert len(to_firm) == 5  # submitted, approved, disbursed, overdue, repaid
    assert to_bank == ["新的贷款申请：测试流程贷"]


async def test_decision_input_is_checked_against_the_applied_version(client, runtime) -> None:
    # given: the bank raises the product's maximum after the firm applied
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]
    update = await client.execute(
        UPDATE_PRODUCT,
        {"input": {"productId": product_id, "maxAmount": "5000000"}},
        token=bank.token,
    )
    assert update.data["updateLoanProduct"]["product"]["version"] == 2
    # when
    too_much = await approve(client, bank.token, application_id, amount="2000000")
    bad_rate = await approve(client, bank.token, application_id, rate="4.35")
    bad_term = await approve(client, bank.token, application_id, term_months=48)
    no_reason = await client.execute(
        DECIDE, {"input": {"applicationId": application_id, "approve": False}}, token=bank.token
    )
    rejected = await client.execute(
        DECIDE,
        {"input": {"applicationId": application_id, "approve": False, "reason": "经营流水不足"}},
        token=bank.token,
    )
    again = await approve(client, bank.token, application_id)
    # then
    assert [e["field"] for e in too_much["errors"]] == ["approvedAmount"]
    assert [e["field"] for e in bad_rate["errors"]] == ["annualRate"]
    assert [e["field"] for e in bad_term["errors"]] == ["termMonths"]
    assert [e["field"] for e in no_reason.data["decideApplication"]["errors"]] == ["reason"]
    assert rejected.data["decideApplication"]["application"]["status"] == "REJECTED"
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]
    mine = (await client.execute(MY_APPLICATIONS, token=firm)).data["myApplications"]
    assert mine[0]["decisionReason"] == "经营流水不足"


async def test_disbursement_bad_input(client, runtime) -> None:
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]

    async def disburse(**overrides: Any) -> list[tuple[str, str | None]]:
        values = {
            "applicationId": application_id,
            "amount": "300000",
            "disbursedOn": china_today().isoformat(),
            "isCreditLoan": False,
            **overrides,
        }
        result = await client.execute(DISBURSE, {"input": values}, token=bank.token)
        return [(e["code"], e["field"]) for e in result.data["recordDisbursement"]["errors"]]

    assert await disburse() == [("CONFLICT", "applicationId")]  # not approved yet
    await approve(client, bank.token, application_id)
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    assert await disburse(amount="300000.01") == [("VALIDATION_ERROR", "amount")]
    assert await disburse(disbursedOn=tomorrow) == [("VALIDATION_ERROR", "disbursedOn")]
    assert await disburse() == []
    assert await disburse() == [("CONFLICT", "applicationId")]  # only once


async def test_another_institution_neither_sees_nor_decides(client, runtime) -> None:
    # given
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]
    rival = await institution_user(client, runtime, name="另一家银行")
    # when
    listed = await client.execute(APPLICATIONS, {"first": 10}, token=rival.token)
    decided = await approve(client, rival.token, application_id)
    own = await client.execute(APPLICATIONS, {"first": 10}, token=bank.token)
    # then
    assert listed.data["applications"]["items"] == []
    assert [e["code"] for e in decided["errors"]] == ["NOT_FOUND"]
    (item,) = own.data["applications"]["items"]
    assert item["id"] == application_id and item["enterprise"]["legalRepIdNumber"] is None
    assert item["product"]["id"] == product_id and item["demand"]["id"] == demand_id


async def test_one_application_is_read_by_id_only_by_its_institution(client, runtime) -> None:
    # given an application to the bank, and a rival bank
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]
    rival = await institution_user(client, runtime, name="另一家银行")
    query = "query($id: ID!) { application(id: $id) { id status product { id } } }"
    # when
    own = await client.execute(query, {"id": application_id}, token=bank.token)
    other = await client.execute(query, {"id": application_id}, token=rival.token)
    unknown = await client.execute(query, {"id": "999999"}, token=bank.token)
    garbage = await client.execute(query, {"id": "x' OR 1=1"}, token=bank.token)
    # then
    assert own.errors == [] and own.data["application"]["id"] == application_id
    assert own.data["application"]["status"] == "SUBMITTED"
    assert own.data["application"]["product"]["id"] == product_id
    for refused in (other, unknown, garbage):
        assert [e["extensions"]["code"] for e in refused.errors] == ["NOT_FOUND"]


async def test_withdrawn_application_frees_the_slot(client, runtime) -> None:
    _bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id))["application"]["id"]
    withdraw = """
    mutation W($id: ID!) { withdrawApplication(id: $id) {
      application { status } errors { code } } }
    """
    done = await client.execute(withdraw, {"id": application_id}, token=firm)
    twice = await client.execute(withdraw, {"id": application_id}, token=firm)
    again = await apply(client, firm, product_id, demand_id)
    assert done.data["withdrawApplication"]["application"]["status"] == "WITHDRAWN"
    assert [e["code"] for e in twice.data["withdrawApplication"]["errors"]] == ["CONFLICT"]
    assert again["errors"] == []


async def test_a_rejected_firm_that_agreed_is_pointed_to_other_products(client, runtime) -> None:
    # given: the seed catalogue holds other institutions' products the firm qualifies for
    bank, product_id, firm, demand_id = await world(client, runtime)
    application_id = (await apply(client, firm, product_id, demand_id, referralConsent=True))[
        "application"
    ]["id"]
    # when
    await client.execute(
        DECIDE,
        {"input": {"applicationId": application_id, "approve": False, "reason": "流水不足"}},
        token=bank.token,
    )
    # then
    async with runtime.sessionmaker() as session:
        body = (
            await session.execute(
                select(InboxMessage.body).where(InboxMessage.dedupe_key.like("%:decided"))
            )
        ).scalar_one()
    offered = body.split("为您推荐其他符合条件的产品：")[1]
    assert offered.count("“") >= 1 and "临沂示范银行" not in offered


DECLARE = """
mutation($input: SubmitDeclarationInput!) { submitDeclaration(input: $input) {
  declaration { id } errors { code field message } } }
"""


async def _first_time_fact(runtime: Any, uscc: str) -> bool | None:
    async with runtime.sessionmaker() as session:
        return (
            await session.execute(
                select(EnterpriseFeatures.is_first_time_borrower)
                .join(Enterprise, Enterprise.id == EnterpriseFeatures.enterprise_id)
                .where(Enterprise.uscc == uscc)
            )
        ).scalar_one()


async def test_first_time_borrower_from_declared_history_and_platform_loans(
    client, runtime
) -> None:
    # given: firm A declares no earlier bank loan, firm B declares one
    bank, product_id, firm_a, _demand = await world(client, runtime)
    firm_b = await verified_enterprise_user(client, DEMO_ENTERPRISES[1])
    for token, history in ((firm_a, "无"), (firm_b, "有")):
        declared = await client.execute(
            DECLARE,
            {
                "input": {
                    "category": "operations",
                    "content": {"year": 2025, "bank_loan_history": history},
                    "acceptCommitment": True,
                }
            },
            token=token,
        )
        assert declared.data["submitDeclaration"]["errors"] == []
    assert await _first_time_fact(runtime, DEMO_ENTERPRISES[0].uscc) is True
    assert await _first_time_fact(runtime, DEMO_ENTERPRISES[1].uscc) is False

    async def borrow(token: str) -> dict[str, Any]:
        application_id = (await apply(client, token, product_id))["application"]["id"]
        await approve(client, bank.token, application_id)
        result = await client.execute(
            DISBURSE,
            {
                "input": {
                    "applicationId": application_id,
                    "amount": "300000",
                    "disbursedOn": china_today().isoformat(),
                    "isCreditLoan": True,
                }
            },
            token=bank.token,
        )
        return result.data["recordDisbursement"]["loan"]

    # when
    loan_a, loan_b = await borrow(firm_a), await borrow(firm_b)
    # then: A was a first-time borrower and no longer is; B never was
    assert loan_a["isFirstLoan"] is True and loan_b["isFirstLoan"] is False
    assert await _first_time_fact(runtime, DEMO_ENTERPRISES[0].uscc) is False
