"""publishLoanProduct, updateLoanProduct, setLoanProductStatus, loanProducts, myLoanProducts and
loanProduct: who may change a product, every bad field, versions, and the public catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from backend.audit.models import AuditEntry
from backend.identity.models import Role
from backend.institutions.models import Institution
from backend.lending import products as service
from backend.lending.models import LoanProduct, LoanProductVersion
from tests.support.builders import api_token_for, institution_user, register, staff_token
from tests.support.graphql import GraphQLClient
from tests.support.lending_products import (
    PUBLISH_PRODUCT,
    product_input,
    publish_product,
    publish_product_payload,
)

UPDATE = """
mutation Update($input: UpdateLoanProductInput!) {
  updateLoanProduct(input: $input) {
    product { id name version status maxAmount minAnnualRate targetGrade code regionCodes }
    errors { code field message }
  }
}
"""
SET_STATUS = """
mutation SetStatus($input: SetLoanProductStatusInput!) {
  setLoanProductStatus(input: $input) {
    product { id status version }
    errors { code field message }
  }
}
"""
CATALOGUE = """
query Catalogue($first: Int, $after: String, $regionCode: String, $productType: ProductType) {
  loanProducts(first: $first, after: $after, regionCode: $regionCode, productType: $productType) {
    items { id name productType regionCodes institution { id name kind } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
MINE = """
query Mine($status: ProductStatus) {
  myLoanProducts(status: $status) { items { id status version } pageInfo { hasNextPage } }
}
"""
ONE = "query One($id: ID!) { loanProduct(id: $id) { id name status version } }"


async def update_product(
    client: GraphQLClient, token: str, product_id: str, **changes: Any
) -> dict[str, Any]:
    result = await client.execute(
        UPDATE, {"input": {"productId": product_id, **changes}}, token=token
    )
    assert result.errors == [], result.errors
    return result.data["updateLoanProduct"]


async def set_status(client: GraphQLClient, token: str, product_id: str, status: str) -> dict:
    result = await client.execute(
        SET_STATUS, {"input": {"productId": product_id, "status": status}}, token=token
    )
    assert result.errors == [], result.errors
    return result.data["setLoanProductStatus"]


async def catalogue(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    result = await client.execute(CATALOGUE, variables)
    assert result.errors == [], result.errors
    return result.data["loanProducts"]


async def one(client: GraphQLClient, product_id: str, token: str | None = None) -> dict | None:
    result = await client.execute(ONE, {"id": product_id}, token=token)
    assert result.errors == [], result.errors
    return result.data["loanProduct"]


async def count(runtime, model) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def fields_of(errors: list[dict]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in errors}


async def test_a_bank_publishes_a_product_as_version_1_with_snapshot_and_audit(client, runtime):
    # given staff of an active bank
    bank = await institution_user(client, runtime, name="沂蒙测试银行")

    # when they publish a product
    payload = await publish_product_payload(client, bank.token, code="XYD-01")

    # then it is on sale as version 1, with its terms and their Chinese readings
    assert payload["errors"] == []
    product = payload["product"]
    assert product["status"] == "ACTIVE" and product["version"] == 1
    assert product["code"] == "XYD-01"
    assert product["institution"]["name"] == "沂蒙测试银行"
    assert product["productTypeLabel"] == "信用贷"
    assert (product["minAmount"], product["maxAmount"]) == ("100000.00", "3000000.00")
    assert (product["minAnnualRate"], product["maxAnnualRate"]) == ("0.0365", "0.055")
    assert product["regionNames"] == ["山东省临沂市"]
    assert product["requiredScopeLabels"] == ["纳税"]
    assert product["eligibilityText"] == [
        "成立年限需≥2年",
        "纳税信用等级需为A级、B级、M级之一",
        "需未列入失信名单",
    ]
    # and the version-1 snapshot keeps every term, money and rates as plain strings
    snapshot = await _snapshot(runtime, int(product["id"]), 1)
    assert snapshot["max_amount"] == "3000000"
    assert snapshot["min_annual_rate"] == "0.0365"
    assert snapshot["eligibility"] == product["eligibility"]
    # and the publication is audited under the institution
    async with runtime.sessionmaker() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "product.publish"))
        ).scalar_one()
    assert entry.subject_id == product["id"] and entry.institution_id == bank.institution_id


async def _snapshot(runtime, product_id: int, version: int) -> dict:
    async with runtime.sessionmaker() as session:
        return await service.product_version_snapshot(
            session=session, product_id=product_id, version=version
        )


async def test_an_api_token_publishes_only_with_the_products_scope(client, runtime):
    # given a bank with one token scoped PRODUCTS and one scoped REPORTS only
    bank = await institution_user(client, runtime)
    products_token = await api_token_for(runtime, bank, ["PRODUCTS"])
    reports_token = await api_token_for(runtime, bank, ["REPORTS"])

    # when each publishes
    accepted = await publish_product_payload(client, products_token)
    refused = await publish_product_payload(client, reports_token)

    # then the PRODUCTS token may, the other is refused and nothing more is written
    assert accepted["errors"] == [] and accepted["product"]["status"] == "ACTIVE"
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert "PRODUCTS" in refused["errors"][0]["message"]
    assert refused["product"] is None
    assert await count(runtime, LoanProduct) == 1
    # and the REPORTS token cannot list the institution's own products either
    listed = await client.execute(MINE, token=reports_token)
    assert listed.error_codes() == ["FORBIDDEN"] and listed.data is None
    listed = await client.execute(MINE, token=products_token)
    assert [p["id"] for p in listed.data["myLoanProducts"]["items"]] == [accepted["product"]["id"]]


async def test_enterprise_government_and_anonymous_callers_cannot_publish(client, runtime):
    # given an enterprise account and government staff
    firm = await register(client)
    government = await staff_token(client, runtime, Role.GOVERNMENT)

    # when each tries to publish, and someone not signed in too
    results = [
        await client.execute(PUBLISH_PRODUCT, {"input": product_input()}, token=token)
        for token in (firm, government, None)
    ]

    # then the field is refused with FORBIDDEN, FORBIDDEN, NOT_AUTHENTICATED and nothing written
    assert [r.error_codes() for r in results] == [
        ["FORBIDDEN"],
        ["FORBIDDEN"],
        ["NOT_AUTHENTICATED"],
    ]
    assert all(r.data is None for r in results)
    assert await count(runtime, LoanProduct) == 0


async def test_every_bad_field_is_reported_together_and_nothing_is_written(client, runtime):
    # given bank staff
    bank = await institution_user(client, runtime)

    # when they send a product that is wrong in every field at once
    payload = await publish_product_payload(
        client,
        bank.token,
        name="贷",
        minAmount="0",
        maxAmount="2000000000",
        minTermMonths=0,
        maxTermMonths=400,
        minAnnualRate="4.35",
        maxAnnualRate="-0.01",
        regionCodes=["3713", "9999"],
        description="长" * 2001,
        tags=[f"标签{i}" for i in range(11)],
        requiredScopes=["tax", "registration"],
        targetGrade="E",
        code="中文代码",
    )

    # then each field is named with its code, and no product exists
    assert payload["product"] is None
    assert fields_of(payload["errors"]) == {
        "code": "VALIDATION_ERROR",
        "name": "VALIDATION_ERROR",
        "minAmount": "VALIDATION_ERROR",
        "maxAmount": "VALIDATION_ERROR",
        "minTermMonths": "VALIDATION_ERROR",
        "maxTermMonths": "VALIDATION_ERROR",
        "minAnnualRate": "VALIDATION_ERROR",
        "maxAnnualRate": "VALIDATION_ERROR",
        "regionCodes": "VALIDATION_ERROR",
        "description": "VALIDATION_ERROR",
        "tags": "VALIDATION_ERROR",
        "requiredScopes": "VALIDATION_ERROR",
        "targetGrade": "VALIDATION_ERROR",
    }
    messages = {e["field"]: e["message"] for e in payload["errors"]}
    assert "0.0435" in messages["minAnnualRate"]  # a percentage is explained, not just refused
    assert "9999" in messages["regionCodes"]
    assert "公开信息" in messages["requiredScopes"]
    assert await count(runtime, LoanProduct) == 0 and await count(runtime, LoanProductVersion) == 0


async def test_bounds_in_the_wrong_order_and_unknown_scopes_are_refused(client, runtime):
    # given bank staff
    bank = await institution_user(client, runtime)

    # when the maxima are below the minima and a scope is not on the sharing list
    payload = await publish_product_payload(
        client,
        bank.token,
        minAmount="500000",
        maxAmount="100000",
        minTermMonths=24,
        maxTermMonths=12,
        minAnnualRate="0.06",
        maxAnnualRate="0.05",
        requiredScopes=["bank_statements"],
    )

    # then the unknown scope is refused; the crossed bounds are named once it is fixed
    assert fields_of(payload["errors"]) == {"requiredScopes": "VALIDATION_ERROR"}
    payload = await publish_product_payload(
        client,
        bank.token,
        minAmount="500000",
        maxAmount="100000",
        minTermMonths=24,
        maxTermMonths=12,
        minAnnualRate="0.06",
        maxAnnualRate="0.05",
    )
    assert fields_of(payload["errors"]) == {
        "maxAmount": "VALIDATION_ERROR",
        "maxTermMonths": "VALIDATION_ERROR",
        "maxAnnualRate": "VALIDATION_ERROR",
    }
    # and a nationwide product without scopes, tags or grade is fine
    good = await publish_product_payload(
        client, bank.token, regionCodes=[], requiredScopes=[], tags=[], targetGrade=None, code=None
    )
    assert good["errors"] == [] and good["product"]["regionNames"] == ["全国"]


async def test_a_nested_rule_reads_as_chinese_sentences(client, runtime):
    # given bank staff and a rule with any, not and a negated group
    bank = await institution_user(client, runtime)
    rule = {
        "all": [
            {"fact": "entity_type", "op": "in", "value": ["enterprise", "farmer_coop"]},
            {"fact": "region_code", "op": "within_region", "value": ["3713", "320505"]},
            {
                "any": [
                    {"fact": "is_high_tech", "op": "eq", "value": True},
                    {"fact": "annual_tax_paid", "op": "gte", "value": 100000},
                ]
            },
            {
                "not": {
                    "all": [
                        {"fact": "admin_penalties_3y", "op": "gt", "value": 1},
                        {"fact": "has_enforcement", "op": "eq", "value": True},
                    ]
                }
            },
        ]
    }

    # when the product is published
    payload = await publish_product_payload(client, bank.token, eligibility=rule)

    # then each top-level condition is one sentence; not is said the way the rule means it
    assert payload["product"]["eligibilityText"] == [
        "主体类型需为企业、农民专业合作社之一",
        "注册地需在山东省临沂市、江苏省苏州市虎丘区范围内",
        "以下满足其一：需是高新技术企业；或年纳税额需≥10万元",
        "以下满足其一：近三年行政处罚需≤1次；或需无行政强制记录",
    ]


async def test_a_bad_rule_is_invalid_rule_with_the_path_of_the_bad_node(client, runtime):
    # given bank staff
    bank = await institution_user(client, runtime)
    rule = {
        "all": [
            {"fact": "years_in_business", "op": "gte", "value": 2},
            {"any": [{"fact": "is_high_tech", "op": "gte", "value": True}]},
        ]
    }

    # when the rule uses an operator its fact does not allow, or is missing
    bad = await publish_product_payload(client, bank.token, eligibility=rule)
    empty = await publish_product_payload(client, bank.token, eligibility={})

    # then INVALID_RULE names the node under eligibility
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_RULE", "eligibility.all[1].any[0].op")
    ]
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("INVALID_RULE", "eligibility")]
    assert await count(runtime, LoanProduct) == 0


async def test_a_product_code_is_unique_within_one_institution(client, runtime):
    # given two banks, one with product code SD-1
    first = await institution_user(client, runtime, name="第一银行")
    second = await institution_user(client, runtime, name="第二银行")
    await publish_product(client, first.token, code="SD-1")

    # when the same bank uses it again, and the other bank uses it too
    again = await publish_product_payload(client, first.token, code="SD-1")
    elsewhere = await publish_product_payload(client, second.token, code="SD-1")

    # then only the first bank's second use conflicts
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "code")]
    assert elsewhere["errors"] == []


async def test_an_update_is_a_new_version_and_the_old_snapshot_stays(client, runtime):
    # given a published product
    bank = await institution_user(client, runtime)
    product_id = await publish_product(client, bank.token, name="融沂贷", maxAmount="3000000")

    # when the bank raises the maximum and renames it
    updated = await update_product(
        client, bank.token, product_id, maxAmount="5000000", name="融沂贷（升级版）"
    )

    # then it is version 2 and version 1 still holds the old terms
    assert updated["errors"] == []
    assert updated["product"]["version"] == 2
    assert updated["product"]["name"] == "融沂贷（升级版）"
    v1, v2 = [await _snapshot(runtime, int(product_id), v) for v in (1, 2)]
    assert (v1["name"], v1["max_amount"]) == ("融沂贷", "3000000")
    assert (v2["name"], v2["max_amount"]) == ("融沂贷（升级版）", "5000000")
    # and sending the same terms again makes no version 3
    same = await update_product(client, bank.token, product_id, maxAmount="5000000.00")
    assert same["errors"] == [] and same["product"]["version"] == 2
    # and clearing optional fields is a change; a bad change is refused and changes nothing
    cleared = await update_product(client, bank.token, product_id, targetGrade=None, code=None)
    assert cleared["product"]["targetGrade"] is None and cleared["product"]["version"] == 3
    bad = await update_product(
        client, bank.token, product_id, minAmount="9000000", regionCodes=["1"]
    )
    assert fields_of(bad["errors"]) == {"regionCodes": "VALIDATION_ERROR"}
    bad = await update_product(client, bank.token, product_id, minAmount="9000000")
    assert fields_of(bad["errors"]) == {"maxAmount": "VALIDATION_ERROR"}
    assert (await one(client, product_id))["version"] == 3
    assert await count(runtime, LoanProductVersion) == 3


async def test_another_institution_can_neither_change_nor_see_a_paused_product(client, runtime):
    # given bank A's product, paused, and staff of bank B
    owner = await institution_user(client, runtime, name="甲银行")
    other = await institution_user(client, runtime, name="乙银行")
    product_id = await publish_product(client, owner.token)
    assert (await set_status(client, owner.token, product_id, "PAUSED"))["errors"] == []

    # when bank B tries to update it, resume it, and look at it
    changed = await update_product(client, other.token, product_id, name="乙银行的产品")
    resumed = await set_status(client, other.token, product_id, "ACTIVE")
    seen = await one(client, product_id, other.token)
    listed = await client.execute(MINE, token=other.token)

    # then it does not exist for bank B, and nothing changed
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [("NOT_FOUND", "productId")]
    assert [e["code"] for e in resumed["errors"]] == ["NOT_FOUND"]
    assert seen is None and listed.data["myLoanProducts"]["items"] == []
    assert await one(client, product_id) is None  # nor for the public
    mine = await one(client, product_id, owner.token)
    assert mine["status"] == "PAUSED" and mine["version"] == 1 and mine["name"] == "测试信易贷"


async def test_status_changes_and_retired_is_final(client, runtime):
    # given a product on sale
    bank = await institution_user(client, runtime)
    product_id = await publish_product(client, bank.token)

    # when it is paused, the catalogue no longer shows it; resumed, it is back
    assert (await set_status(client, bank.token, product_id, "PAUSED"))["product"][
        "status"
    ] == "PAUSED"
    assert (await catalogue(client))["items"] == []
    again = await set_status(client, bank.token, product_id, "PAUSED")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("CONFLICT", "status")]
    assert (await set_status(client, bank.token, product_id, "ACTIVE"))["errors"] == []
    assert [p["id"] for p in (await catalogue(client))["items"]] == [product_id]

    # when it is retired, nothing more can change it
    retired = await set_status(client, bank.token, product_id, "RETIRED")
    assert retired["product"]["status"] == "RETIRED" and retired["product"]["version"] == 1
    back = await set_status(client, bank.token, product_id, "ACTIVE")
    edit = await update_product(client, bank.token, product_id, name="复活")
    assert [e["code"] for e in back["errors"]] == ["CONFLICT"]
    assert [e["code"] for e in edit["errors"]] == ["CONFLICT"]
    listed = await client.execute(MINE, {"status": "RETIRED"}, token=bank.token)
    assert [p["id"] for p in listed.data["myLoanProducts"]["items"]] == [product_id]
    async with runtime.sessionmaker() as session:
        actions = (
            await session.execute(
                select(AuditEntry.action).where(AuditEntry.action == "product.status")
            )
        ).all()
    assert len(actions) == 3


async def test_the_catalogue_filters_by_region_and_type_and_pages(client, runtime):
    # given products for the nation, Shandong, Linyi, two Linyi districts and Suzhou
    bank = await institution_user(client, runtime)
    ids = {}
    for key, regions, kind in [
        ("nation", [], "CREDIT"),
        ("shandong", ["37"], "CREDIT"),
        ("linyi", ["371300"], "GUARANTEED"),
        ("lanshan", ["371302"], "CREDIT"),
        ("luozhuang", ["371311"], "MORTGAGE"),
        ("suzhou", ["3205"], "CREDIT"),
    ]:
        ids[key] = await publish_product(
            client, bank.token, name=f"产品{key}", regionCodes=regions, productType=kind
        )
    by_id = {v: k for k, v in ids.items()}

    async def names(**variables: Any) -> set[str]:
        page = await catalogue(client, first=100, **variables)
        return {by_id[p["id"]] for p in page["items"]}

    # then a firm in 兰山区 sees what serves it, a browser of 临沂市 also sees its districts
    assert await names(regionCode="371302") == {"nation", "shandong", "linyi", "lanshan"}
    assert await names(regionCode="3713") == {"nation", "shandong", "linyi", "lanshan", "luozhuang"}
    assert await names(regionCode="320505") == {"nation", "suzhou"}
    assert await names(regionCode="371302", productType="CREDIT") == {
        "nation",
        "shandong",
        "lanshan",
    }
    assert await names() == set(ids)

    # and pages of two walk through all six, newest first, without repeats
    seen: list[str] = []
    after = None
    while True:
        page = await catalogue(client, first=2, after=after)
        seen.extend(p["id"] for p in page["items"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(ids.values(), key=int, reverse=True)

    # and bad filters are refused with their codes
    for variables, field in [
        ({"regionCode": "99"}, "regionCode"),
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "not-a-cursor"}, "after"),
    ]:
        result = await client.execute(CATALOGUE, variables)
        assert result.error_codes() == ["VALIDATION_ERROR"], variables
        assert result.errors[0]["extensions"]["field"] == field


async def test_a_suspended_institutions_products_leave_the_catalogue(client, runtime):
    # given two banks with a product each
    kept = await institution_user(client, runtime, name="正常银行")
    suspended = await institution_user(client, runtime, name="暂停银行")
    kept_id = await publish_product(client, kept.token)
    gone_id = await publish_product(client, suspended.token)

    # when the second bank is suspended
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Institution)
            .where(Institution.id == suspended.institution_id)
            .values(status="SUSPENDED")
        )
        await session.commit()

    # then only the first bank's product is in the public catalogue
    assert [p["id"] for p in (await catalogue(client))["items"]] == [kept_id]
    assert await one(client, gone_id) is None
    assert (await one(client, kept_id))["id"] == kept_id


async def test_listing_costs_the_same_statements_for_2_and_for_12_products(
    client, runtime, statement_counter
):
    # given a bank with two products
    bank = await institution_user(client, runtime)
    for _ in range(2):
        await publish_product(client, bank.token)

    async def statements_for_a_page() -> int:
        statement_counter.clear()
        page = await catalogue(client, first=100)
        return len(statement_counter), len(page["items"])

    # when the catalogue is read with 2 and then with 12 products
    few, shown_few = await statements_for_a_page()
    for _ in range(10):
        await publish_product(client, bank.token)
    many, shown_many = await statements_for_a_page()

    # then both cost the same number of SQL statements
    assert (shown_few, shown_many) == (2, 12)
    assert few == many
