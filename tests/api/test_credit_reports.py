"""enterpriseCreditReport, publicCreditRecords and the enterprise's trail (myDataAccessLog):
no report without a live grant for the purpose, exactly the covered categories, masked identity
unless granted, and every success visible to the enterprise."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.audit.models import AuditEntry
from backend.consent.models import Authorization
from backend.db.base import utcnow
from tests.support.builders import (
    DEMO_ENTERPRISES,
    api_token_for,
    demo_bank,
    grant,
    ingest,
    institution_user,
    load_demo,
    login,
    verified_enterprise_user,
)

FIRM = DEMO_ENTERPRISES[0]  # 临沂沂蒙顺达物流: registration, licence, honours, tax, utilities …
REPORT = """
query Report($uscc: String!, $purpose: AccessPurpose!) {
  enterpriseCreditReport(uscc: $uscc, purpose: $purpose) {
    report {
      enterprise { uscc name legalRepIdNumberMasked legalRepIdNumber }
      evaluation { score grade factors { name points explanation } }
      records { id category fields source occurredOn }
      coveredScopes authorizationIds purpose validUntil truncated
    }
    errors { code field message }
  }
}
"""
ACCESS_LOG = """
query Log($first: Int! = 50, $after: ID) {
  myDataAccessLog(first: $first, after: $after) {
    id institutionName staffName viaApi kind categories categoryLabels purpose authorizationIds
    accessedAt
  }
}
"""
PUBLIC = """
query Public($region: String!, $category: String!, $industry: String, $first: Int! = 50,
             $after: String) {
  publicCreditRecords(regionCode: $region, category: $category, industryCode: $industry,
                      first: $first, after: $after) {
    items { id category fields enterpriseUscc enterpriseName regionCode industryCode source }
    pageInfo { hasNextPage endCursor }
  }
}
"""
REVOKE = """
mutation Revoke($id: ID!) { revokeAuthorization(id: $id) { errors { code } } }
"""


async def report(client, token, purpose="PRE_LOAN", uscc=FIRM.uscc):
    result = await client.execute(REPORT, {"uscc": uscc, "purpose": purpose}, token=token)
    assert result.errors == [], result.errors
    return result.data["enterpriseCreditReport"]


def codes(payload):
    return [e["code"] for e in payload["errors"]]


async def test_no_report_without_a_grant_then_exactly_the_covered_categories(client, runtime):
    # given the demo bank and the demo firm's verified user
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    # when the bank asks before any grant
    refused = await report(client, bank.token)
    # then NOT_AUTHORIZED, and the refusal is audited (but not in the firm's trail)
    assert codes(refused) == ["NOT_AUTHORIZED"] and refused["report"] is None

    # when the firm grants water data for pre-loan checks and the bank asks again
    authorization = await grant(client, firm, bank.institution_id, ["water_fee"])
    granted = await report(client, bank.token)

    # then public categories plus water, nothing else
    assert granted["errors"] == []
    body = granted["report"]
    categories = {r["category"] for r in body["records"]}
    assert "water_fee" in categories and "registration" in categories
    assert not categories & {"electricity_fee", "social_insurance", "housing_fund"}
    assert body["coveredScopes"] == ["water_fee"]
    assert body["authorizationIds"] == [authorization["id"]]
    # tax grade A is public, but the tax paid and revenue behind it are not covered
    tax = [r["fields"] for r in body["records"] if r["category"] == "tax"]
    assert tax and all(f["tax_credit_grade"] == "A" for f in tax)
    assert all("tax_paid" not in f and "annual_revenue" not in f for f in tax)
    # the evaluation is computed on what the report shows: no tax figures, no electricity data
    factors = {f["name"]: f for f in body["evaluation"]["factors"]}
    assert factors["纳税贡献"]["explanation"].endswith("暂无数据")

    # and the firm sees exactly that one access
    log = (await client.execute(ACCESS_LOG, token=firm)).data["myDataAccessLog"]
    assert len(log) == 1
    assert log[0]["institutionName"] == "临沂示范银行" and log[0]["kind"] == "REPORT"
    assert log[0]["purpose"] == "PRE_LOAN" and log[0]["viaApi"] is False
    assert log[0]["authorizationIds"] == [authorization["id"]]
    assert log[0]["staffName"] == "示范银行信贷员"
    assert set(log[0]["categories"]) == categories
    async with runtime.sessionmaker() as session:
        outcomes = (
            (
                await session.execute(
                    select(AuditEntry.outcome)
                    .where(AuditEntry.action == "access.report")
                    .order_by(AuditEntry.seq)
                )
            )
            .scalars()
            .all()
        )
    assert outcomes == ["denied", "success"]


async def test_covered_tax_shows_its_figures(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"])

    body = (await report(client, bank.token))["report"]

    tax = [r["fields"] for r in body["records"] if r["category"] == "tax"]
    assert len(tax) == 3 and all("tax_paid" in f for f in tax)
    assert "water_fee" not in {r["category"] for r in body["records"]}


async def test_a_grant_serves_only_its_purpose(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"], purpose="PRE_LOAN")

    assert codes(await report(client, bank.token, purpose="LOAN_APPROVAL")) == ["NOT_AUTHORIZED"]
    assert codes(await report(client, bank.token, purpose="PRE_LOAN")) == []


async def test_revocation_and_expiry_close_the_gate_again(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    first = await grant(client, firm, bank.institution_id, ["tax"])
    assert codes(await report(client, bank.token)) == []

    # revoked: refused at once
    await client.execute(REVOKE, {"id": first["id"]}, token=firm)
    assert codes(await report(client, bank.token)) == ["NOT_AUTHORIZED"]

    # a new grant that then expires: refused again
    await grant(client, firm, bank.institution_id, ["tax"])
    assert codes(await report(client, bank.token)) == []
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Authorization).values(valid_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    assert codes(await report(client, bank.token)) == ["NOT_AUTHORIZED"]

    # the firm's trail holds the two successes, newest first
    log = (await client.execute(ACCESS_LOG, token=firm)).data["myDataAccessLog"]
    assert [e["kind"] for e in log] == ["REPORT", "REPORT"]
    assert log[0]["accessedAt"] >= log[1]["accessedAt"] and int(log[0]["id"]) > int(log[1]["id"])


async def test_another_institution_gets_nothing_from_a_grant_to_the_first(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    other = await institution_user(client, runtime, name="另一家银行")
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax", "legal_rep_identity"])

    assert codes(await report(client, other.token)) == ["NOT_AUTHORIZED"]


async def test_the_id_number_is_masked_unless_the_identity_scope_is_granted(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"])

    without = (await report(client, bank.token))["report"]["enterprise"]
    assert without["legalRepIdNumber"] is None
    assert without["legalRepIdNumberMasked"] == "371302********1239"

    await grant(client, firm, bank.institution_id, ["legal_rep_identity"], purpose="POST_LOAN")
    with_scope = (await report(client, bank.token))["report"]["enterprise"]
    assert with_scope["legalRepIdNumber"] == FIRM.id_number

    log = (await client.execute(ACCESS_LOG, token=firm)).data["myDataAccessLog"]
    assert [e["kind"] for e in log] == ["IDENTITY", "REPORT", "REPORT"]
    assert log[0]["categories"] == ["legal_rep_identity"]
    assert log[0]["categoryLabels"] == ["法定代表人身份证号码"]


async def test_unknown_and_malformed_enterprises(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)

    malformed = await report(client, bank.token, uscc="91371302MA3CDXY10X")
    unknown = await report(client, bank.token, uscc="91440300708461136T")

    assert codes(malformed) == ["INVALID_USCC"]
    assert codes(unknown) == ["ENTERPRISE_NOT_FOUND"]


async def test_reports_are_for_institutions_and_tokens_need_the_reports_scope(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"])
    products_only = await api_token_for(runtime, bank, ["PRODUCTS"])
    reports = await api_token_for(runtime, bank, ["REPORTS"])

    as_firm = await client.execute(REPORT, {"uscc": FIRM.uscc, "purpose": "PRE_LOAN"}, token=firm)
    assert as_firm.error_codes() == ["FORBIDDEN"]
    assert codes(await report(client, products_only)) == ["FORBIDDEN"]
    assert codes(await report(client, reports)) == []

    log = (await client.execute(ACCESS_LOG, token=firm)).data["myDataAccessLog"]
    assert [e["viaApi"] for e in log] == [True]
    async with runtime.sessionmaker() as session:
        details = (
            await session.execute(
                select(AuditEntry.details).where(
                    AuditEntry.action == "access.report", AuditEntry.outcome == "success"
                )
            )
        ).scalar_one()
    assert "api_token_id" in details and details["authorization_ids"]


async def test_access_log_pages_and_checks_its_arguments(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"])
    for _ in range(3):
        await report(client, bank.token)

    first = (await client.execute(ACCESS_LOG, {"first": 2}, token=firm)).data["myDataAccessLog"]
    rest = (
        await client.execute(ACCESS_LOG, {"first": 2, "after": first[-1]["id"]}, token=firm)
    ).data["myDataAccessLog"]
    too_many = await client.execute(ACCESS_LOG, {"first": 1000}, token=firm)
    as_bank = await client.execute(ACCESS_LOG, token=bank.token)

    assert len(first) == 2 and len(rest) == 1
    assert len({e["id"] for e in first + rest}) == 3
    assert too_many.error_codes() == ["VALIDATION_ERROR"]
    assert as_bank.error_codes() == ["FORBIDDEN"]


async def test_public_records_in_bulk_by_region_paged_and_in_each_trail(client, runtime):
    # given the demo data (licences in Linyi and elsewhere) and a verified Linyi firm
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    # when the bank pages through Linyi's licences one at a time
    seen, after = [], None
    while True:
        result = await client.execute(
            PUBLIC,
            {"region": "3713", "category": "admin_license", "first": 1, "after": after},
            token=bank.token,
        )
        assert result.errors == [], result.errors
        page = result.data["publicCreditRecords"]
        seen.extend(page["items"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then every item is in Linyi, none repeats, and the firm's trail shows the batch read
    assert seen and all(item["regionCode"].startswith("3713") for item in seen)
    assert len({item["id"] for item in seen}) == len(seen)
    everywhere = await client.execute(
        PUBLIC, {"region": "37", "category": "admin_license", "first": 100}, token=bank.token
    )
    assert len(everywhere.data["publicCreditRecords"]["items"]) >= len(seen)
    own = [item for item in seen if item["enterpriseUscc"] == FIRM.uscc]
    log = (await client.execute(ACCESS_LOG, token=firm)).data["myDataAccessLog"]
    batch = [e for e in log if e["kind"] == "BATCH"]
    assert len(batch) >= len(own) > 0
    assert batch[0]["categories"] == ["admin_license"] and batch[0]["purpose"] is None


async def test_public_records_of_a_partly_public_category_hide_the_authorised_fields(
    client, runtime
):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)

    result = await client.execute(PUBLIC, {"region": "37", "category": "tax"}, token=bank.token)

    items = result.data["publicCreditRecords"]["items"]
    assert items and all(item["fields"]["tax_credit_grade"] == "A" for item in items)
    assert all("tax_paid" not in item["fields"] for item in items)


async def test_public_records_refuse_bad_filters_and_authorised_categories(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    async def error(variables, token=bank.token):
        result = await client.execute(PUBLIC, variables, token=token)
        return [(e["extensions"]["code"], e["extensions"].get("field")) for e in result.errors]

    assert await error({"region": "3713", "category": "water_fee"}) == [
        ("NOT_AUTHORIZED", "category")
    ]
    assert await error({"region": "3713", "category": "nothing"}) == [
        ("UNKNOWN_CATEGORY", "category")
    ]
    assert await error({"region": "99", "category": "admin_license"}) == [
        ("VALIDATION_ERROR", "regionCode")
    ]
    assert await error({"region": "3713", "category": "honors", "industry": "g54"}) == []
    assert await error({"region": "3713", "category": "honors", "industry": "1C"}) == [
        ("VALIDATION_ERROR", "industryCode")
    ]
    assert await error({"region": "3713", "category": "honors", "after": "%%%"}) == [
        ("VALIDATION_ERROR", "after")
    ]
    assert await error({"region": "3713", "category": "honors", "first": 0}) == [
        ("VALIDATION_ERROR", "first")
    ]
    assert await error({"region": "3713", "category": "honors"}, token=firm) == [
        ("FORBIDDEN", None)
    ]


async def test_a_report_costs_the_same_statements_however_many_records(
    client, runtime, statement_counter
):
    # given a granted bank that has asked once (its token is known to the leak guard)
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax", "water_fee", "legal_rep_identity"])
    await report(client, bank.token)
    statement_counter.clear()
    few = await report(client, bank.token)
    few_statements = len(statement_counter)

    # when the firm has 30 more licences
    office = await login(client, "13600000002")
    licences = [
        {
            "uscc": FIRM.uscc,
            "name": FIRM.name,
            "doc_number": f"鲁许字〔2026〕{n}号",
            "license_name": "道路运输经营许可证",
            "license_number": f"371302{n:06d}",
            "decided_on": "2026-03-01",
            "authority_name": "临沂市行政审批服务局",
        }
        for n in range(30)
    ]
    payload = await ingest(client, office, "admin_license", licences)
    assert payload["rowErrors"] == [], payload["rowErrors"]
    statement_counter.clear()
    many = await report(client, bank.token)

    # then the report grows, its cost in statements does not
    assert len(many["report"]["records"]) == len(few["report"]["records"]) + 30
    assert len(statement_counter) == few_statements
    assert few_statements <= 25, statement_counter
