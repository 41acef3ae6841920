"""Interface calls and verification against a real (fake) provider server: cache with expiry,
retries, timeouts, circuit breaker, stale answers, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.audit.models import AuditEntry
from backend.credit.connectors.breaker import CircuitBreaker
from backend.credit.models import ConnectorCacheEntry, DataProvider
from backend.db.base import utcnow
from tests.support.builders import (
    BANK_PHONE,
    grant,
    institution_user,
    load_demo,
    login,
    provider_token,
    register,
    registered_enterprise,
)
from tests.support.fake_provider import serve_fake_provider

USCC = "91440300708461136T"
NAME = "深圳示例科技有限公司"
INTERFACE = """
query Interface($category: String!) {
  myInterfaceRecords(category: $category) {
    records source fromCache stale fetchedAt
    errors { code field message }
  }
}
"""
VERIFY_CLAIM = """
mutation Verify($input: VerifyWithProviderInput!) {
  verifyWithProvider(input: $input) { match errors { code field message } }
}
"""


def water(month: str, arrears: bool = False, uscc: str = USCC) -> dict:
    return {
        "uscc": uscc,
        "name": NAME,
        "account_no": "W-1",
        "month": month,
        "amount_paid": "100",
        "usage": "10",
        "in_arrears": arrears,
    }


@pytest.fixture
def fake():
    with serve_fake_provider() as provider:
        yield provider


@pytest.fixture
async def enterprise(client, runtime, fake):
    token = await registered_enterprise(
        client, runtime, uscc=USCC, name=NAME, id_number="11010519491231002X"
    )
    await provider_token(client, runtime, code="water-api", categories=["water_fee"])
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(DataProvider)
            .where(DataProvider.code == "water-api")
            .values(
                interface={
                    "base_url": fake.base_url,
                    "timeout_s": 0.5,
                    "retries": 2,
                    "backoff_s": 0.01,
                    "cache_ttl_s": 600,
                }
            )
        )
        await session.commit()
    fake.records[("water_fee", USCC)] = [water("2026-09"), water("2026-10", arrears=True)]
    return token


async def call(client, token, category="water_fee"):
    result = await client.execute(INTERFACE, {"category": category}, token=token)
    return result.data["myInterfaceRecords"] if result.data else result


async def test_records_come_from_the_provider_then_from_the_cache(
    client, runtime, fake, enterprise
):
    # when
    first = await call(client, enterprise)
    second = await call(client, enterprise)
    # then
    assert first["errors"] == [] and first["fromCache"] is False
    assert [r["month"] for r in first["records"]] == ["2026-09", "2026-10"]
    assert first["source"] == "测试数据提供方 water-api"
    assert second["fromCache"] is True and second["records"] == first["records"]
    assert fake.calls == 1
    async with runtime.sessionmaker() as session:
        audited = (
            (
                await session.execute(
                    select(AuditEntry.details).where(AuditEntry.action == "interface.call")
                )
            )
            .scalars()
            .all()
        )
    assert [d["from_cache"] for d in audited] == [False, True]


async def test_an_expired_cache_is_refreshed(client, runtime, fake, enterprise):
    await call(client, enterprise)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(ConnectorCacheEntry).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    fake.records[("water_fee", USCC)] = [water("2026-11")]
    refreshed = await call(client, enterprise)
    assert refreshed["fromCache"] is False and [r["month"] for r in refreshed["records"]] == [
        "2026-11"
    ]
    assert fake.calls == 2


async def test_transient_failures_are_retried(client, fake, enterprise):
    fake.failures_left = 2  # the third attempt succeeds
    answer = await call(client, enterprise)
    assert answer["errors"] == [] and len(answer["records"]) == 2
    assert fake.calls == 3


async def test_a_provider_down_gives_a_clear_error_or_a_stale_answer(
    client, runtime, fake, enterprise
):
    # given no cache and a failing provider
    fake.mode = "fail"
    refused = await call(client, enterprise)
    assert [e["code"] for e in refused["errors"]] == ["PROVIDER_UNAVAILABLE"]
    # given a cached answer that has expired
    fake.mode = "ok"
    await call(client, enterprise)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(ConnectorCacheEntry).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    fake.mode = "slow"
    fake.delay_s = 2.0  # beyond the 0.5 s timeout
    stale = await call(client, enterprise)
    assert stale["errors"] == [] and stale["stale"] is True and len(stale["records"]) == 2


async def test_garbage_answers_are_not_trusted(client, fake, enterprise):
    fake.mode = "garbage"
    answer = await call(client, enterprise)
    assert [e["code"] for e in answer["errors"]] == ["PROVIDER_UNAVAILABLE"]


async def test_another_firms_rows_and_bad_rows_are_dropped(client, fake, enterprise):
    fake.records[("water_fee", USCC)] = [
        water("2026-09"),
        water("2026-10", uscc="914403001922038216"),
        {**water("2026-08"), "usage": "-3"},
    ]
    answer = await call(client, enterprise)
    assert [r["month"] for r in answer["records"]] == ["2026-09"]


async def test_verification_answers_true_or_false(client, runtime, fake, enterprise):
    yes = await client.execute(
        VERIFY_CLAIM,
        {"input": {"category": "water_fee", "claim": {"month": "2026-09", "in_arrears": False}}},
        token=enterprise,
    )
    no = await client.execute(
        VERIFY_CLAIM,
        {"input": {"category": "water_fee", "claim": {"month": "2026-10", "in_arrears": False}}},
        token=enterprise,
    )
    empty = await client.execute(
        VERIFY_CLAIM, {"input": {"category": "water_fee", "claim": {}}}, token=enterprise
    )
    assert yes.data["verifyWithProvider"] == {"match": True, "errors": []}
    assert no.data["verifyWithProvider"]["match"] is False
    assert empty.data["verifyWithProvider"]["errors"][0]["code"] == "VALIDATION_ERROR"
    async with runtime.sessionmaker() as session:
        assert (
            len(
                (
                    await session.execute(
                        select(AuditEntry.id).where(AuditEntry.action == "interface.verify")
                    )
                ).all()
            )
            == 2
        )


async def test_who_may_call(client, runtime, fake, enterprise):
    await load_demo(runtime)
    unverified = await register(client)
    bank = await login(client, BANK_PHONE)
    no_interface = await call(client, enterprise, category="tax")
    assert (await client.execute(INTERFACE, {"category": "water_fee"})).error_codes() == [
        "NOT_AUTHENTICATED"
    ]
    assert (
        await client.execute(INTERFACE, {"category": "water_fee"}, token=bank)
    ).error_codes() == ["FORBIDDEN"]
    assert (await call(client, unverified))["errors"][0]["code"] == "FORBIDDEN"
    assert no_interface["errors"][0]["code"] == "NOT_FOUND"
    assert (await call(client, enterprise, category="nope"))["errors"][0][
        "code"
    ] == "UNKNOWN_CATEGORY"
    assert fake.calls == 0


def test_the_breaker_opens_after_repeated_failures_and_tries_again_later():
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, reset_after=30, clock=lambda: now[0])
    for _ in range(3):
        breaker.failed()
    assert breaker.state == "open"
    now[0] = 31
    assert breaker.state == "half_open"
    breaker.failed()
    assert breaker.state == "open"
    now[0] = 62
    breaker.succeeded()
    assert breaker.state == "closed"


async def test_an_open_breaker_spares_the_provider(client, runtime, fake, enterprise):
    fake.mode = "fail"
    for _ in range(5):
        await call(client, enterprise)
    calls = fake.calls
    refused = await call(client, enterprise)
    assert refused["errors"][0]["code"] == "PROVIDER_UNAVAILABLE"
    assert fake.calls == calls  # not called while the breaker is open


INSTITUTION_INTERFACE = """
query Call($uscc: String!, $category: String!, $purpose: AccessPurpose!) {
  enterpriseInterfaceRecords(uscc: $uscc, category: $category, purpose: $purpose) {
    records source fromCache
    errors { code field message }
  }
}
"""
TRAIL = "query { myDataAccessLog { kind categories purpose institutionName } }"


async def test_an_institution_calls_the_interface_only_under_a_covering_grant(
    client, runtime, fake, enterprise
):
    # given a bank and the enterprise's grant of water data for post-loan monitoring
    bank = await institution_user(client, runtime, name="接口银行")
    variables = {"uscc": USCC, "category": "water_fee", "purpose": "POST_LOAN"}

    # when the bank calls before the grant, then with it, then for another purpose
    before = await client.execute(INSTITUTION_INTERFACE, variables, token=bank.token)
    await grant(client, enterprise, bank.institution_id, ["water_fee"], purpose="POST_LOAN")
    after = await client.execute(INSTITUTION_INTERFACE, variables, token=bank.token)
    other_purpose = await client.execute(
        INSTITUTION_INTERFACE, {**variables, "purpose": "PRE_LOAN"}, token=bank.token
    )

    # then refused, answered from the provider, refused again; the firm sees the one call
    assert [e["code"] for e in before.data["enterpriseInterfaceRecords"]["errors"]] == [
        "NOT_AUTHORIZED"
    ]
    answer = after.data["enterpriseInterfaceRecords"]
    assert answer["errors"] == [] and [r["month"] for r in answer["records"]] == [
        "2026-09",
        "2026-10",
    ]
    assert [e["code"] for e in other_purpose.data["enterpriseInterfaceRecords"]["errors"]] == [
        "NOT_AUTHORIZED"
    ]
    assert fake.calls == 1
    trail = (await client.execute(TRAIL, token=enterprise)).data["myDataAccessLog"]
    assert trail == [
        {
            "kind": "INTERFACE",
            "categories": ["water_fee"],
            "purpose": "POST_LOAN",
            "institutionName": "接口银行",
        }
    ]
