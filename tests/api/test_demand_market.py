"""The demand market (抢单): matchedDemands shows a bank the open demands its own active products
match, with the firm's public identity only; offerForDemand invites the firm once per product,
tells it in its inbox and records the first response; demandOffers lists them for the firm."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.audit.models import AuditEntry
from backend.inbox.models import InboxMessage
from backend.lending.models import DemandOffer
from tests.support.builders import (
    DEMO_ENTERPRISES,
    InstitutionUser,
    api_token_for,
    grant,
    institution_user,
    load_demo,
    verified_enterprise_user,
)
from tests.support.lending_rows import (
    demand_row,
    enterprise_id,
    insert_demand,
    insert_product,
    set_product_status,
)

MATCHED = """
query Matched($first: Int! = 20, $after: String) {
  matchedDemands(first: $first, after: $after) {
    items {
      id amount termMonths purpose publishedAt authorized offeredProductIds
      enterprise {
        name uscc entityType entityTypeLabel regionCode regionName industryCode sizeClass
      }
      matchedProducts { id name }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
OFFER = """
mutation Offer($input: OfferForDemandInput!) {
  offerForDemand(input: $input) {
    offer { id demandId product { id name } institutionName message createdAt }
    errors { code field message }
  }
}
"""
OFFERS = """
query Offers($demandId: ID!) {
  demandOffers(demandId: $demandId) { id product { id name } institutionName message }
}
"""
INBOX = "query { myInbox(first: 20) { kind title body } }"
FIELDS = """
query Fields($name: String!) { __type(name: $name) { fields { name } } }
"""


@dataclass
class Market:
    """Two banks, three firms, their products and demands (see ``_market``)."""

    x: InstitutionUser
    y: InstitutionUser
    firm_a: str
    firm_c: str
    ids: dict[str, int]


async def _market(client, runtime) -> Market:
    """Bank X: X1 (credit grade ≥ B, Shandong, 10万–500万, 6–36 months) and X2 (no utility
    arrears, nationwide, 1万–50万, 3–12 months). Bank Y: Y1 (clean record, Jiangsu).
    Firms: A (Linyi, A+), B (Linyi, grade C, arrears), C (Suzhou, grade D)."""
    await load_demo(runtime)
    x = await institution_user(client, runtime, name="甲银行")
    y = await institution_user(client, runtime, name="乙银行")
    firm_a = await verified_enterprise_user(client, DEMO_ENTERPRISES[0])
    firm_c = await verified_enterprise_user(client, DEMO_ENTERPRISES[3])
    a, b, c = [await enterprise_id(runtime, DEMO_ENTERPRISES[i].uscc) for i in (0, 1, 3)]
    ids = {
        "X1": await insert_product(
            runtime,
            institution_id=x.institution_id,
            name="沂蒙经营贷",
            region_codes=["37"],
            eligibility={"all": [{"fact": "credit_grade", "op": "gte", "value": "B"}]},
        ),
        "X2": await insert_product(
            runtime,
            institution_id=x.institution_id,
            name="小额周转贷",
            min_amount=10_000,
            max_amount=500_000,
            min_term_months=3,
            max_term_months=12,
            eligibility={"all": [{"fact": "has_utility_arrears", "op": "eq", "value": False}]},
        ),
        "Y1": await insert_product(
            runtime, institution_id=y.institution_id, name="苏科贷", region_codes=["32"]
        ),
    }
    for name, firm, amount, months, status in (
        ("dA", a, 3_000_000, 24, "OPEN"),
        ("dB", b, 200_000, 12, "OPEN"),
        ("dC1", c, 1_000_000, 12, "OPEN"),
        ("dC2", c, 300_000, 12, "OPEN"),
        ("dA_closed", a, 300_000, 12, "CLOSED"),
        ("dA_small", a, 300_000, 6, "OPEN"),
    ):
        ids[name] = await insert_demand(
            runtime, enterprise_id=firm, amount=amount, term_months=months, status=status
        )
    ids.update(a=a, c=c)
    return Market(x, y, firm_a, firm_c, ids)


async def _matched(client, token, **variables):
    result = await client.execute(MATCHED, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["matchedDemands"]


def _offer_input(demand: int, product: int, message: str | None = None):
    return {"input": {"demandId": str(demand), "productId": str(product), "message": message}}


async def _count(runtime, model, *where) -> int:
    async with runtime.sessionmaker() as session:
        return (
            await session.execute(select(func.count()).select_from(model).where(*where))
        ).scalar_one()


async def test_a_bank_sees_only_demands_its_own_products_match(client, runtime):
    # given the market, and firm A authorising bank X
    m = await _market(client, runtime)
    await grant(client, m.firm_a, m.x.institution_id, ["tax"])

    # when each bank looks
    seen_x = (await _matched(client, m.x.token))["items"]
    seen_y = (await _matched(client, m.y.token))["items"]

    # then X sees A's two open demands and C's small one, newest first, with its own products
    ids = m.ids
    assert [int(d["id"]) for d in seen_x] == [ids["dA_small"], ids["dC2"], ids["dA"]]
    assert [p["name"] for p in seen_x[0]["matchedProducts"]] == ["沂蒙经营贷", "小额周转贷"]
    assert [p["name"] for p in seen_x[1]["matchedProducts"]] == ["小额周转贷"]
    assert [p["name"] for p in seen_x[2]["matchedProducts"]] == ["沂蒙经营贷"]
    assert [d["authorized"] for d in seen_x] == [True, False, True]
    assert seen_x[2]["amount"] == "3000000.00" and seen_x[2]["termMonths"] == 24
    assert seen_x[2]["enterprise"] == {
        "name": DEMO_ENTERPRISES[0].name,
        "uscc": DEMO_ENTERPRISES[0].uscc,
        "entityType": "enterprise",
        "entityTypeLabel": "企业",
        "regionCode": "371302",
        "regionName": "山东省临沂市兰山区",
        "industryCode": "G54",
        "sizeClass": "small",
    }
    # and Y sees only the Suzhou firm's demands, with nothing of X
    assert [int(d["id"]) for d in seen_y] == [ids["dC2"], ids["dC1"]]
    assert {p["name"] for d in seen_y for p in d["matchedProducts"]} == {"苏科贷"}
    assert "沂蒙经营贷" not in json.dumps(seen_y, ensure_ascii=False)
    assert "苏科贷" not in json.dumps(seen_x, ensure_ascii=False)

    # and nothing in what X sees tells a fact, a score or a grade: the types have no such field
    demand_fields = await client.execute(FIELDS, {"name": "MatchedDemand"}, token=m.x.token)
    firm_fields = await client.execute(FIELDS, {"name": "DemandEnterprise"}, token=m.x.token)

    text = json.dumps(seen_x, ensure_ascii=False)
    for secret in ("grade", "score", "A+", "credit", "employees", "legalRep", "tax"):
        assert secret not in text, secret
    assert {f["name"] for f in demand_fields.data["__type"]["fields"]} == {
        "id",
        "amount",
        "termMonths",
        "purpose",
        "publishedAt",
        "enterprise",
        "matchedProducts",
        "offeredProductIds",
        "authorized",
    }
    assert {f["name"] for f in firm_fields.data["__type"]["fields"]} == {
        "name",
        "uscc",
        "entityType",
        "entityTypeLabel",
        "regionCode",
        "regionName",
        "industryCode",
        "sizeClass",
    }


async def test_pages_are_audited_and_only_lending_staff_may_look(client, runtime):
    m = await _market(client, runtime)

    first = await _matched(client, m.x.token, first=2)
    second = await _matched(client, m.x.token, first=2, after=first["pageInfo"]["endCursor"])

    assert [int(d["id"]) for d in first["items"]] == [m.ids["dA_small"], m.ids["dC2"]]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [int(d["id"]) for d in second["items"]] == [m.ids["dA"]]
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    async with runtime.sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.action == "demand.matched.read")
                    .order_by(AuditEntry.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [row.details["enterprise_ids"] for row in rows] == [
        [m.ids["a"], m.ids["c"]],
        [m.ids["a"]],
    ]
    assert all(row.institution_id == m.x.institution_id for row in rows)
    assert rows[1].enterprise_id == m.ids["a"]

    # and only institution staff, or its API tokens with APPLICATIONS, may look
    reports_only = await api_token_for(runtime, m.x, ["REPORTS"])
    applications = await api_token_for(runtime, m.x, ["APPLICATIONS"])

    assert (await client.execute(MATCHED)).error_codes() == ["NOT_AUTHENTICATED"]
    assert (await client.execute(MATCHED, token=m.firm_a)).error_codes() == ["FORBIDDEN"]
    assert (await client.execute(MATCHED, token=reports_only)).error_codes() == ["FORBIDDEN"]
    assert len((await _matched(client, applications))["items"]) == 3
    for variables in ({"first": 0}, {"first": 101}, {"after": "bm9wZQ=="}):
        result = await client.execute(MATCHED, variables, token=m.x.token)
        assert result.error_codes() == ["VALIDATION_ERROR"], variables


async def test_an_offer_invites_the_firm_once_and_records_the_first_response(client, runtime):
    # given the market
    m = await _market(client, runtime)
    ids = m.ids
    assert (await demand_row(runtime, ids["dA"])).first_response_at is None

    # when bank X offers X1 on A's demand, twice
    first = await client.execute(
        OFFER, _offer_input(ids["dA"], ids["X1"], "欢迎申请，可上门服务"), token=m.x.token
    )
    again = await client.execute(OFFER, _offer_input(ids["dA"], ids["X1"]), token=m.x.token)

    # then one offer exists, the firm is told once, and the response time is recorded
    offer = first.data["offerForDemand"]
    assert offer["errors"] == []
    assert offer["offer"]["product"]["name"] == "沂蒙经营贷"
    assert offer["offer"]["institutionName"] == "甲银行"
    assert offer["offer"]["message"] == "欢迎申请，可上门服务"
    assert again.data["offerForDemand"]["offer"]["id"] == offer["offer"]["id"]
    assert await _count(runtime, DemandOffer) == 1
    inbox = (await client.execute(INBOX, token=m.firm_a)).data["myInbox"]
    invitations = [msg for msg in inbox if msg["kind"] == "APPLICATION"]
    assert len(invitations) == 1
    assert invitations[0]["title"] == "甲银行邀请您申请“沂蒙经营贷”"
    assert "欢迎申请，可上门服务" in invitations[0]["body"]
    answered = (await demand_row(runtime, ids["dA"])).first_response_at
    assert answered is not None
    assert await _count(runtime, AuditEntry, AuditEntry.action == "demand.offer") == 1

    # and a second product's offer keeps the first response time
    second = await client.execute(OFFER, _offer_input(ids["dA_small"], ids["X2"]), token=m.x.token)
    assert second.data["offerForDemand"]["errors"] == []
    small = (await demand_row(runtime, ids["dA_small"])).first_response_at
    await client.execute(OFFER, _offer_input(ids["dA_small"], ids["X1"]), token=m.x.token)
    assert (await demand_row(runtime, ids["dA_small"])).first_response_at == small
    assert (await demand_row(runtime, ids["dA"])).first_response_at == answered

    # and the firm lists the offers on its demand; the bank sees what it offered
    listed = (await client.execute(OFFERS, {"demandId": str(ids["dA"])}, token=m.firm_a)).data
    assert [(o["institutionName"], o["product"]["name"]) for o in listed["demandOffers"]] == [
        ("甲银行", "沂蒙经营贷")
    ]
    other_firm = await client.execute(OFFERS, {"demandId": str(ids["dA"])}, token=m.firm_c)
    bank = await client.execute(OFFERS, {"demandId": str(ids["dA"])}, token=m.x.token)
    bad = await client.execute(OFFERS, {"demandId": "abc"}, token=m.firm_a)
    assert other_firm.error_codes() == ["NOT_FOUND"]
    assert bank.error_codes() == ["FORBIDDEN"]
    assert bad.error_codes() == ["NOT_FOUND"]
    seen = {int(d["id"]): d for d in (await _matched(client, m.x.token))["items"]}
    assert seen[ids["dA"]]["offeredProductIds"] == [str(ids["X1"])]
    assert sorted(seen[ids["dA_small"]]["offeredProductIds"]) == sorted(
        [str(ids["X1"]), str(ids["X2"])]
    )


async def test_offers_that_cannot_be_made_are_refused_and_write_nothing(client, runtime):
    m = await _market(client, runtime)
    ids = m.ids
    paused = await insert_product(runtime, institution_id=m.x.institution_id, name="暂停贷")
    await set_product_status(runtime, paused, "PAUSED")

    cases = [
        (_offer_input(ids["dA"], ids["X2"]), "VALIDATION_ERROR", "productId"),  # 300万 > 50万
        (_offer_input(ids["dB"], ids["X1"]), "VALIDATION_ERROR", "productId"),  # grade C < B
        (_offer_input(ids["dC2"], ids["Y1"]), "NOT_FOUND", "productId"),  # Y's product
        (_offer_input(ids["dA_closed"], ids["X2"]), "CONFLICT", "demandId"),
        (_offer_input(ids["dA"], paused), "VALIDATION_ERROR", "productId"),
        (_offer_input(99_999_999, ids["X1"]), "NOT_FOUND", "demandId"),
        (_offer_input("x", ids["X1"]), "NOT_FOUND", "demandId"),
        (_offer_input(ids["dA"], ids["X1"], "长" * 501), "VALIDATION_ERROR", "message"),
    ]
    for variables, code, field in cases:
        result = await client.execute(OFFER, variables, token=m.x.token)
        payload = result.data["offerForDemand"]
        assert payload["offer"] is None, variables
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], variables
        assert payload["errors"][0]["message"]  # a Chinese sentence for people

    refused = await client.execute(OFFER, cases[1][0], token=m.x.token)
    assert "准入条件" in refused.data["offerForDemand"]["errors"][0]["message"]
    assert "信用等级" not in refused.data["offerForDemand"]["errors"][0]["message"]
    assert await _count(runtime, DemandOffer) == 0
    assert await _count(runtime, InboxMessage, InboxMessage.kind == "APPLICATION") == 0
    assert (await demand_row(runtime, ids["dB"])).first_response_at is None
    as_firm = await client.execute(OFFER, _offer_input(ids["dA"], ids["X1"]), token=m.firm_a)
    assert as_firm.error_codes() == ["FORBIDDEN"]
    reports_only = await api_token_for(runtime, m.x, ["REPORTS"])
    as_token = await client.execute(OFFER, _offer_input(ids["dA"], ids["X1"]), token=reports_only)
    assert [e["code"] for e in as_token.data["offerForDemand"]["errors"]] == ["FORBIDDEN"]
    assert await _count(runtime, DemandOffer) == 0
