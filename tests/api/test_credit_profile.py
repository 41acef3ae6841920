"""Every category in, withdrawals, publicity expiry, all-or-nothing, and the free profile."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.credit.models import CreditRecord
from tests.support.builders import (
    BANK_PHONE,
    DEMO_ENTERPRISES,
    ingest,
    load_demo,
    login,
    penalty,
    provider_token,
    register,
    registered_enterprise,
    verified_enterprise_user,
)

USCC_A = "91440300708461136T"
USCC_B = "914403001922038216"
PROFILE = """
query Profile($category: String, $first: Int, $after: String) {
  myCreditProfile {
    enterprise { uscc }
    categorySummaries { category label disclosure count latestOn }
    records(category: $category, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      items { id category categoryLabel fields source occurredOn visibleUntil version selfDeclared }
    }
  }
}
"""


def water(month: str, *, arrears: bool = False) -> dict:
    return {
        "uscc": USCC_A,
        "name": "深圳示例科技有限公司",
        "account_no": "W-001",
        "month": month,
        "amount_paid": "1200.50",
        "usage": "300.5",
        "in_arrears": arrears,
    }


@pytest.fixture
async def enterprise_a(client, runtime):
    return await registered_enterprise(
        client, runtime, uscc=USCC_A, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )


@pytest.fixture
async def credit_office(client, runtime):
    return await provider_token(client, runtime, code="credit", categories=["admin_penalty"])


async def profile(client, token, **variables):
    result = await client.execute(PROFILE, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["myCreditProfile"]


async def test_records_of_another_category_are_stored_and_shown_with_their_source(
    client, enterprise_a, credit_office
):
    # when
    payload = await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    shown = await profile(client, enterprise_a)
    # then
    assert payload["batch"]["status"] == "ACCEPTED"
    counts = {s["category"]: s["count"] for s in shown["categorySummaries"]}
    assert counts["admin_penalty"] == 1 and counts["registration"] == 1
    assert "tax" in counts and counts["tax"] == 0  # every category is listed
    latest = {s["category"]: s["latestOn"] for s in shown["categorySummaries"]}
    assert latest["admin_penalty"] == "2025-06-01" and latest["tax"] is None
    penalty_items = [i for i in shown["records"]["items"] if i["category"] == "admin_penalty"]
    assert penalty_items[0]["source"] == "测试数据提供方 credit"
    assert penalty_items[0]["fields"]["doc_number"] == "罚-1"
    assert penalty_items[0]["occurredOn"] == "2025-06-01"
    assert penalty_items[0]["selfDeclared"] is False


async def test_a_record_for_an_unregistered_enterprise_is_a_row_error(
    client, enterprise_a, credit_office
):
    payload = await ingest(
        client, credit_office, "admin_penalty", [penalty("罚-1"), penalty("罚-2", uscc=USCC_B)]
    )
    assert payload["batch"]["status"] == "PARTIAL"
    assert [(e["index"], e["code"], e["field"]) for e in payload["rowErrors"]] == [
        (1, "ENTERPRISE_NOT_FOUND", "uscc")
    ]


async def test_bad_rows_are_reported_and_never_stop_the_good_ones(
    client, enterprise_a, credit_office
):
    # given: a missing field, a wrong type and an invalid USCC among good rows
    rows = [
        penalty("罚-1"),
        {k: v for k, v in penalty("罚-2").items() if k != "decided_on"},
        {**penalty("罚-3"), "fine_amount": "五千"},
        {**penalty("罚-4"), "uscc": "91440300708461136X"},
        {**penalty("罚-5"), "severity": "catastrophic"},
        penalty("罚-6"),
    ]
    # when
    payload = await ingest(client, credit_office, "admin_penalty", rows)
    # then
    assert (payload["batch"]["accepted"], payload["batch"]["rejected"]) == (2, 4)
    assert [(e["index"], e["code"], e["field"]) for e in payload["rowErrors"]] == [
        (1, "VALIDATION_ERROR", "decided_on"),
        (2, "VALIDATION_ERROR", "fine_amount"),
        (3, "INVALID_USCC", "uscc"),
        (4, "VALIDATION_ERROR", "severity"),
    ]


async def test_all_or_nothing_refuses_the_whole_batch(client, runtime, enterprise_a, credit_office):
    # when
    payload = await ingest(
        client,
        credit_office,
        "admin_penalty",
        [penalty("罚-1"), {**penalty("罚-2"), "fine_amount": "x"}],
        all_or_nothing=True,
    )
    # then
    assert payload["batch"]["status"] == "REJECTED"
    assert (payload["batch"]["accepted"], payload["batch"]["rejected"]) == (0, 1)
    assert payload["batch"]["allOrNothing"] is True
    async with runtime.sessionmaker() as session:
        stored = (
            await session.execute(
                select(CreditRecord.id).where(CreditRecord.category == "admin_penalty")
            )
        ).all()
    assert stored == []


async def test_a_withdrawn_record_leaves_the_profile_but_stays_in_history(
    client, runtime, enterprise_a, credit_office
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1"), penalty("罚-2")])
    # when
    payload = await ingest(
        client,
        credit_office,
        "admin_penalty",
        [],
        withdrawals=[{"doc_number": "罚-1"}, {"doc_number": "罚-404"}, {"content": "x"}],
    )
    shown = await profile(client, enterprise_a, category="admin_penalty")
    # then
    assert payload["batch"]["withdrawn"] == 1 and payload["batch"]["status"] == "PARTIAL"
    assert [(e["index"], e["withdrawal"], e["code"]) for e in payload["rowErrors"]] == [
        (1, True, "NOT_FOUND"),
        (2, True, "VALIDATION_ERROR"),
    ]
    assert [i["fields"]["doc_number"] for i in shown["records"]["items"]] == ["罚-2"]
    async with runtime.sessionmaker() as session:
        history = (
            await session.execute(
                select(CreditRecord.natural_key, CreditRecord.withdrawn_at).where(
                    CreditRecord.category == "admin_penalty"
                )
            )
        ).all()
    assert {key: at is not None for key, at in history} == {"罚-1": True, "罚-2": False}


async def test_registration_cannot_be_withdrawn(client, runtime, enterprise_a):
    samr = await provider_token(client, runtime, code="samr2", categories=["registration"])
    payload = await ingest(client, samr, "registration", [], withdrawals=[{"uscc": USCC_A}])
    assert payload["batch"]["status"] == "REJECTED"
    assert payload["rowErrors"][0]["code"] == "VALIDATION_ERROR"


async def test_a_penalty_past_its_publicity_period_is_not_shown_or_counted(
    client, runtime, enterprise_a, credit_office
):
    # when
    await ingest(
        client,
        credit_office,
        "admin_penalty",
        [
            penalty("旧罚", decided="2024-01-10", until="2024-04-10", severity="minor"),
            penalty("新罚"),
        ],
    )
    shown = await profile(client, enterprise_a, category="admin_penalty")
    # then
    assert [i["fields"]["doc_number"] for i in shown["records"]["items"]] == ["新罚"]
    assert {s["category"]: s["count"] for s in shown["categorySummaries"]}["admin_penalty"] == 1
    async with runtime.sessionmaker() as session:
        kept = (
            await session.execute(
                select(CreditRecord.visible_until).where(CreditRecord.natural_key == "旧罚")
            )
        ).scalar_one()
    assert kept.isoformat() == "2024-04-10"


async def test_records_are_paged_newest_first(client, runtime, enterprise_a):
    # given
    utility = await provider_token(client, runtime, code="water", categories=["water_fee"])
    months = [f"2026-0{m}" for m in range(1, 8)]
    await ingest(client, utility, "water_fee", [water(m) for m in months])
    # when
    seen, after, pages = [], None, 0
    while True:
        page = (await profile(client, enterprise_a, category="water_fee", first=3, after=after))[
            "records"
        ]
        seen += [i["fields"]["month"] for i in page["items"]]
        pages += 1
        assert page["totalCount"] == 7
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # then
    assert seen == sorted(months, reverse=True)
    assert pages == 3


async def test_an_enterprise_sees_only_its_own_records(
    client, runtime, enterprise_a, credit_office
):
    # given another enterprise with a penalty
    other = await registered_enterprise(
        client, runtime, uscc=USCC_B, name="另一家公司", id_number="371302198001011239"
    )
    await ingest(client, credit_office, "admin_penalty", [penalty("别人的罚单", uscc=USCC_B)])
    # when
    mine = await profile(client, enterprise_a)
    theirs = await profile(client, other)
    # then
    assert mine["enterprise"]["uscc"] == USCC_A
    assert all(i["fields"]["uscc"] == USCC_A for i in mine["records"]["items"])
    assert any(i["fields"].get("doc_number") == "别人的罚单" for i in theirs["records"]["items"])


async def test_profile_access_and_bad_arguments(client, runtime, enterprise_a):
    # given
    await load_demo(runtime)
    unverified = await register(client)
    bank = await login(client, BANK_PHONE)
    # when
    cases = {
        "anonymous": await client.execute(PROFILE),
        "unverified": await client.execute(PROFILE, token=unverified),
        "bank": await client.execute(PROFILE, token=bank),
        "bad cursor": await client.execute(PROFILE, {"after": "!!!"}, token=enterprise_a),
        "bad category": await client.execute(PROFILE, {"category": "nope"}, token=enterprise_a),
        "page too big": await client.execute(PROFILE, {"first": 1000}, token=enterprise_a),
    }
    # then
    assert {name: result.error_codes() for name, result in cases.items()} == {
        "anonymous": ["NOT_AUTHENTICATED"],
        "unverified": ["FORBIDDEN"],
        "bank": ["FORBIDDEN"],
        "bad cursor": ["VALIDATION_ERROR"],
        "bad category": ["UNKNOWN_CATEGORY"],
        "page too big": ["VALIDATION_ERROR"],
    }


async def test_reading_the_profile_is_audited(client, runtime, enterprise_a):
    await profile(client, enterprise_a)
    async with runtime.sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("credit.profile.read") == 1


EVALUATION = """
query { myCreditProfile {
  evaluation { score grade version factors { name dimension points explanation } }
  categorySummaries { category count }
} }
"""


async def test_demo_enterprises_have_six_categories_and_different_grades(client, runtime):
    # given
    await load_demo(runtime)
    seen = {}
    for enterprise in DEMO_ENTERPRISES:
        token = await verified_enterprise_user(client, enterprise)
        # when
        result = await client.execute(EVALUATION, token=token)
        # then
        assert result.errors == [], result.errors
        shown = result.data["myCreditProfile"]
        categories = [s["category"] for s in shown["categorySummaries"] if s["count"]]
        assert len(categories) >= 6, (enterprise.name, categories)
        evaluation = shown["evaluation"]
        assert all(f["explanation"] for f in evaluation["factors"])
        seen[enterprise.name] = (evaluation["grade"], evaluation["score"])
    grades = [grade for grade, _score in seen.values()]
    assert len(set(grades)) == 4, seen
    assert seen["临沂沂蒙顺达物流有限公司"][1] > seen["苏州智芯微电子科技有限公司"][1]


async def test_a_withdrawn_penalty_raises_the_score_at_once(
    client, runtime, enterprise_a, credit_office
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1", severity="serious")])
    before = (await client.execute(EVALUATION, token=enterprise_a)).data["myCreditProfile"]
    # when
    await ingest(client, credit_office, "admin_penalty", [], withdrawals=[{"doc_number": "罚-1"}])
    after = (await client.execute(EVALUATION, token=enterprise_a)).data["myCreditProfile"]
    # then
    assert after["evaluation"]["score"] > before["evaluation"]["score"]


async def test_a_withdrawn_record_sent_again_comes_back_as_a_new_version(
    client, runtime, enterprise_a, credit_office
):
    # given
    await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    await ingest(client, credit_office, "admin_penalty", [], withdrawals=[{"doc_number": "罚-1"}])
    # when the provider sends it again
    payload = await ingest(client, credit_office, "admin_penalty", [penalty("罚-1")])
    shown = await profile(client, enterprise_a, category="admin_penalty")
    # then
    assert payload["batch"]["status"] == "ACCEPTED"
    assert [(i["fields"]["doc_number"], i["version"]) for i in shown["records"]["items"]] == [
        ("罚-1", 2)
    ]
