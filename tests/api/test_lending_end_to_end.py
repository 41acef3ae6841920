"""Issue 6's whole flow through the API, on both databases: a bank's system publishes a product
→ a firm publishes a demand → matches with reasons → applies (the grant is visible to the firm) →
the bank approves, disburses and reports performance → statistics show the loan → a new penalty
raises a risk alert for that lender only."""

from __future__ import annotations

from backend.clock import china_today
from tests.support.builders import (
    DEMO_ENTERPRISES,
    GOVERNMENT_PHONE,
    api_token_for,
    demo_bank,
    ingest,
    institution_user,
    load_demo,
    login,
    penalty,
    verified_enterprise_user,
)
from tests.support.lending_flow import DISBURSE, PERFORMANCE, apply, approve, publish_demand
from tests.support.lending_products import PUBLISH_PRODUCT, product_input

CREDIT_OFFICE_PHONE = "13600000002"
FIRM = DEMO_ENTERPRISES[0]  # 临沂沂蒙顺达物流有限公司

MATCHES = """
query Matches($demandId: ID) {
  productMatches(demandId: $demandId, first: 50) {
    product { id name } status score reasons
  }
}
"""
MATCHED_DEMANDS = """
query { matchedDemands(first: 50) { items { id enterprise { uscc name } } } }
"""
MY_AUTHORIZATIONS = "query { myAuthorizations { id institutionName scopes purpose status } }"
STATISTICS = """
query { platformStatistics(regionCode: "3713") {
  loans { count totalAmount creditLoanCount firstTimeBorrowers }
  applications { count approvedCount }
} }
"""
RISK_ALERTS = "query { riskAlerts(first: 20) { id kind severity message enterprise { uscc } } }"


async def test_publish_demand_match_apply_approve_disburse_report_alert(client, runtime) -> None:
    # given: the demo bank's core system holds API tokens
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    products_token = await api_token_for(runtime, bank, ["PRODUCTS"])
    lending_token = await api_token_for(runtime, bank, ["APPLICATIONS", "ALERTS"])
    rival = await institution_user(client, runtime, name="另一家银行")
    government = await login(client, GOVERNMENT_PHONE)

    # the bank publishes a product through the API
    published = await client.execute(
        PUBLISH_PRODUCT,
        {
            "input": product_input(
                name="沂蒙物流信用贷",
                tags=["物流", "车辆购置"],
                description="面向临沂物流企业的信用贷款，可用于购置车辆和支付运费。",
                eligibility={
                    "all": [{"fact": "region_code", "op": "within_region", "value": "3713"}]
                },
            )
        },
        token=products_token,
    )
    assert published.data["publishLoanProduct"]["errors"] == []
    product_id = published.data["publishLoanProduct"]["product"]["id"]

    # the firm publishes a demand and sees the product among its matches, with reasons
    firm = await verified_enterprise_user(client, FIRM)
    demand_id = await publish_demand(client, firm, purpose="购置物流车辆，扩大运输车队")
    found = (await client.execute(MATCHES, {"demandId": demand_id}, token=firm)).data
    match = next(m for m in found["productMatches"] if m["product"]["id"] == product_id)
    assert match["status"] == "ELIGIBLE" and match["reasons"] and match["score"] > 0

    # the bank sees the demand among those its products match; the rival does not
    seen = await client.execute(MATCHED_DEMANDS, token=lending_token)
    assert demand_id in [i["id"] for i in seen.data["matchedDemands"]["items"]]
    unseen = await client.execute(MATCHED_DEMANDS, token=rival.token)
    assert demand_id not in [i["id"] for i in unseen.data["matchedDemands"]["items"]]

    # the firm applies (twice with the same key: one application); the grant is visible to it
    first = await apply(client, firm, product_id, demand_id, key="e2e-apply-0001")
    replay = await apply(client, firm, product_id, demand_id, key="e2e-apply-0001")
    assert first["errors"] == [] and replay["replayed"] is True
    application_id = first["application"]["id"]
    assert replay["application"]["id"] == application_id
    grants = (await client.execute(MY_AUTHORIZATIONS, token=firm)).data["myAuthorizations"]
    assert [(g["institutionName"], g["purpose"], g["scopes"]) for g in grants] == [
        ("临沂示范银行", "LOAN_APPROVAL", ["tax"])
    ]

    # the bank approves, disburses and reports performance through its system
    approved = await approve(client, lending_token, application_id, amount="500000")
    assert approved["errors"] == [], approved["errors"]
    disbursed = await client.execute(
        DISBURSE,
        {
            "input": {
                "applicationId": application_id,
                "amount": "500000",
                "disbursedOn": china_today().isoformat(),
                "isCreditLoan": True,
            }
        },
        token=lending_token,
    )
    loan = disbursed.data["recordDisbursement"]["loan"]
    assert loan["isFirstLoan"] is True
    reported = await client.execute(
        PERFORMANCE,
        {
            "input": {
                "loanId": loan["id"],
                "status": "NORMAL",
                "reportedOn": china_today().isoformat(),
            }
        },
        token=lending_token,
    )
    assert reported.data["reportLoanPerformance"]["errors"] == []

    # statistics reflect it
    figures = (await client.execute(STATISTICS, token=government)).data["platformStatistics"]
    assert figures["loans"]["count"] == 1 and figures["loans"]["creditLoanCount"] == 1
    assert figures["loans"]["firstTimeBorrowers"] == 1
    assert float(figures["loans"]["totalAmount"]) == 500000
    assert figures["applications"]["approvedCount"] == 1

    # a new penalty on the borrower alerts its lender, and only its lender
    credit_office = await login(client, CREDIT_OFFICE_PHONE)
    record = penalty(
        "临环罚〔2026〕E2E号", uscc=FIRM.uscc, decided=china_today().isoformat(), until="2029-11-19"
    )
    record["name"] = FIRM.name
    sent = await ingest(client, credit_office, "admin_penalty", [record])
    assert sent["errors"] == [] and sent["rowErrors"] == []
    alerts = (await client.execute(RISK_ALERTS, token=lending_token)).data["riskAlerts"]
    assert {a["enterprise"]["uscc"] for a in alerts} == {FIRM.uscc}
    penalty_alert = next(a for a in alerts if a["kind"] == "ADMIN_PENALTY")
    assert FIRM.name in penalty_alert["message"]
    assert (await client.execute(RISK_ALERTS, token=rival.token)).data["riskAlerts"] == []
    products_only = await client.execute(RISK_ALERTS, token=products_token)
    assert products_only.error_codes() == ["FORBIDDEN"]
