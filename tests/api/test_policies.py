"""publishPolicy, withdrawPolicy, policies, policy, pushPolicy with policyPushJob, the firm's
policyMatches and its inbox: who may do what, every bad field, and the push end to end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.clock import china_today
from backend.identity.models import Role
from backend.runtime import Runtime
from tests.support.builders import (
    DEMO_ENTERPRISES,
    GOVERNMENT_PHONE,
    load_demo,
    login,
    staff_token,
    verified_enterprise_user,
)
from tests.support.graphql import GraphQLClient

PUBLISH = """
mutation Publish($input: PublishPolicyInput!) {
  publishPolicy(input: $input) {
    policy { id title policyType policyTypeLabel status regionCodes regionNames conditions
             validFrom validUntil pushedAt }
    errors { code field message }
  }
}
"""
WITHDRAW = """
mutation Withdraw($input: WithdrawPolicyInput!) {
  withdrawPolicy(input: $input) { policy { id status } errors { code field message } }
}
"""
PUSH = """
mutation Push($policyId: ID!) {
  pushPolicy(policyId: $policyId) {
    job { id policyId status matchedCount pushedCount }
    errors { code field message }
  }
}
"""
JOB = """
query Job($id: ID!) {
  policyPushJob(id: $id) { id status matchedCount pushedCount progress attempts error finishedAt }
}
"""
JOBS = "query Jobs($policyId: ID!) { policyPushJobs(policyId: $policyId) { id status } }"
LIST = """
query List($regionCode: String, $policyType: PolicyType, $includeEnded: Boolean) {
  policies(regionCode: $regionCode, policyType: $policyType, includeEnded: $includeEnded) {
    items { id title status }
    pageInfo { hasNextPage }
  }
}
"""
ONE = "query One($id: ID!) { policy(id: $id) { id title body issuer } }"
MATCHES = """
query Matches($all: Boolean) {
  policyMatches(includeIneligible: $all) {
    policy { id title }
    status reasons
    unmetConditions { fact message }
    missingFacts { fact declarable }
    nearMiss { changes { fact message } }
  }
}
"""
INBOX = """
query Inbox {
  myInbox(first: 50) { id kind title body readAt policy { id title conditions } }
}
"""

LINYI = {"fact": "region_code", "op": "within_region", "value": "3713"}


def policy_input(**overrides: Any) -> dict[str, Any]:
    """A good publishPolicy input (Linyi firms), with some fields replaced."""
    values: dict[str, Any] = {
        "title": "临沂市小微企业首贷奖励",
        "policyType": "FIRST_LOAN_REWARD",
        "issuer": "临沂市地方金融监督管理局",
        "summary": "对在平台获得首笔贷款的小微企业给予一次性奖励。",
        "body": "一、奖励对象：在临沂市注册的小微企业。二、奖励标准：首贷金额的1%，最高1万元。",
        "eligibility": {"all": [LINYI]},
        "regionCodes": ["3713"],
        "validUntil": (china_today() + timedelta(days=365)).isoformat(),
    }
    values.update(overrides)
    return values


async def publish(client: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    result = await client.execute(PUBLISH, {"input": policy_input(**overrides)}, token=token)
    assert result.errors == [], result.errors
    return result.data["publishPolicy"]


async def published_id(client: GraphQLClient, token: str, **overrides: Any) -> str:
    payload = await publish(client, token, **overrides)
    assert payload["errors"] == [], payload["errors"]
    return payload["policy"]["id"]


async def finished_push(
    client: GraphQLClient, runtime: Runtime, token: str, policy_id: str
) -> dict:
    """Push the policy, wait for the background run, and return the job as policyPushJob
    shows it."""
    result = await client.execute(PUSH, {"policyId": policy_id}, token=token)
    payload = result.data["pushPolicy"]
    assert payload["errors"] == [], payload["errors"]
    task = runtime.tasks.get(f"policy-push-{payload['job']['id']}")
    if task is not None:
        await asyncio.wait_for(task, timeout=60)
    job = await client.execute(JOB, {"id": payload["job"]["id"]}, token=token)
    assert job.errors == [], job.errors
    return job.data["policyPushJob"]


async def test_government_staff_publish_a_policy(client: GraphQLClient, runtime: Runtime) -> None:
    token = await staff_token(client, runtime)
    payload = await publish(client, token)
    assert payload["errors"] == []
    policy = payload["policy"]
    assert policy["status"] == "ACTIVE" and policy["pushedAt"] is None
    assert policy["policyTypeLabel"] == "首贷奖励"
    assert policy["regionNames"] == ["山东省临沂市"]
    assert policy["conditions"] == ["注册地需在山东省临沂市范围内"]
    assert policy["validFrom"] == china_today().isoformat()
    async with runtime.sessionmaker() as session:
        actions = set(
            (await session.execute(select(AuditEntry.action))).scalars()  # the trail
        )
    assert "policy.publish" in actions


async def test_every_bad_field_of_a_policy_is_reported_at_once(
    client: GraphQLClient, runtime: Runtime
) -> None:
    token = await staff_token(client, runtime)
    payload = await publish(
        client,
        token,
        title="短",
        issuer="",
        regionCodes=["999999"],
        validFrom="2026-12-31",
        validUntil="2026-01-01",
    )
    assert payload["policy"] is None
    fields = {e["field"] for e in payload["errors"]}
    assert {"title", "issuer", "regionCodes"} <= fields
    assert all(e["code"] == "VALIDATION_ERROR" for e in payload["errors"])


async def test_a_bad_rule_is_refused_with_its_path(client: GraphQLClient, runtime: Runtime) -> None:
    token = await staff_token(client, runtime)
    payload = await publish(
        client,
        token,
        eligibility={"all": [LINYI, {"fact": "years_in_business", "op": "in", "value": 3}]},
    )
    assert payload["policy"] is None
    [error] = payload["errors"]
    assert error["code"] == "INVALID_RULE" and error["field"].startswith("eligibility.all[1]")
    empty = await publish(client, token, eligibility={})
    assert [e["code"] for e in empty["errors"]] == ["INVALID_RULE"]


async def test_validity_must_end_after_it_starts_and_not_in_the_past(
    client: GraphQLClient, runtime: Runtime
) -> None:
    token = await staff_token(client, runtime)
    today = china_today()
    backwards = await publish(
        client,
        token,
        validFrom=(today + timedelta(days=10)).isoformat(),
        validUntil=(today + timedelta(days=5)).isoformat(),
    )
    past = await publish(client, token, validUntil=(today - timedelta(days=1)).isoformat())
    assert [e["field"] for e in backwards["errors"]] == ["validUntil"]
    assert [e["message"] for e in past["errors"]] == ["有效期至不能早于今天"]


async def test_a_policy_code_is_unique(client: GraphQLClient, runtime: Runtime) -> None:
    token = await staff_token(client, runtime)
    await published_id(client, token, code="LY-2026-01")
    again = await publish(client, token, code="LY-2026-01")
    assert [e["code"] for e in again["errors"]] == ["CONFLICT"]


async def test_only_government_staff_publish_push_or_withdraw(
    client: GraphQLClient, runtime: Runtime
) -> None:
    await load_demo(runtime)
    firm = await verified_enterprise_user(client)
    bank = await staff_token(client, runtime, Role.AUDITOR)
    government = await staff_token(client, runtime)
    policy_id = await published_id(client, government)
    for token in (firm, bank, None):
        for query, variables in (
            (PUBLISH, {"input": policy_input()}),
            (PUSH, {"policyId": policy_id}),
            (WITHDRAW, {"input": {"policyId": policy_id, "reason": "测试撤回"}}),
        ):
            result = await client.execute(query, variables, token=token)
            assert result.errors and result.errors[0]["extensions"]["code"] in (
                "FORBIDDEN",
                "NOT_AUTHENTICATED",
            )


async def test_the_policy_list_is_public_and_filters_by_region_and_type(
    client: GraphQLClient, runtime: Runtime
) -> None:
    token = await staff_token(client, runtime)
    linyi = await published_id(client, token)
    national = await published_id(
        client, token, regionCodes=[], policyType="INTEREST_SUBSIDY", title="全国小微贷款贴息"
    )
    suzhou = await published_id(client, token, regionCodes=["3205"], title="苏州科技贷风险补偿")

    async def ids(**variables: Any) -> set[str]:
        result = await client.execute(LIST, variables)
        assert result.errors == [], result.errors
        return {item["id"] for item in result.data["policies"]["items"]}

    assert {linyi, national, suzhou} <= await ids()
    in_lanshan = await ids(regionCode="371302")
    assert linyi in in_lanshan and national in in_lanshan and suzhou not in in_lanshan
    assert national in await ids(policyType="INTEREST_SUBSIDY")
    assert linyi not in await ids(policyType="INTEREST_SUBSIDY")
    bad = await client.execute(LIST, {"regionCode": "99"})
    assert bad.errors[0]["extensions"]["code"] == "VALIDATION_ERROR"
    one = await client.execute(ONE, {"id": linyi})
    assert one.data["policy"]["issuer"] == "临沂市地方金融监督管理局"
    assert (await client.execute(ONE, {"id": "999999"})).data["policy"] is None
    assert (await client.execute(ONE, {"id": "abc"})).errors[0]["extensions"]["code"] == (
        "NOT_FOUND"
    )


async def test_a_withdrawn_policy_leaves_the_list_and_cannot_be_pushed(
    client: GraphQLClient, runtime: Runtime
) -> None:
    token = await staff_token(client, runtime)
    policy_id = await published_id(client, token)
    short = await client.execute(
        WITHDRAW, {"input": {"policyId": policy_id, "reason": "x"}}, token=token
    )
    assert [e["field"] for e in short.data["withdrawPolicy"]["errors"]] == ["reason"]
    done = await client.execute(
        WITHDRAW, {"input": {"policyId": policy_id, "reason": "政策调整"}}, token=token
    )
    assert done.data["withdrawPolicy"]["policy"]["status"] == "WITHDRAWN"
    listed = await client.execute(LIST, {})
    assert policy_id not in {i["id"] for i in listed.data["policies"]["items"]}
    archive = await client.execute(LIST, {"includeEnded": True})
    assert policy_id in {i["id"] for i in archive.data["policies"]["items"]}
    pushed = await client.execute(PUSH, {"policyId": policy_id}, token=token)
    assert [e["code"] for e in pushed.data["pushPolicy"]["errors"]] == ["CONFLICT"]
    missing = await client.execute(PUSH, {"policyId": "987654"}, token=token)
    assert [e["code"] for e in missing.data["pushPolicy"]["errors"]] == ["NOT_FOUND"]


async def test_a_pushed_policy_reaches_the_qualifying_firms_inboxes_once(
    client: GraphQLClient, runtime: Runtime
) -> None:
    # given the demo firms (two in Linyi) and a Linyi policy
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    policy_id = await published_id(client, government)
    # when it is pushed
    job = await finished_push(client, runtime, government, policy_id)
    # then both Linyi firms are told, once
    assert job["status"] == "DONE" and job["progress"] == 1.0 and job["attempts"] == 1
    assert job["matchedCount"] == 2 and job["pushedCount"] == 2
    linyi_firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[0])
    inbox = (await client.execute(INBOX, token=linyi_firm)).data["myInbox"]
    [message] = [m for m in inbox if m["kind"] == "POLICY" and m["policy"]["id"] == policy_id]
    assert message["title"] == "【首贷奖励】临沂市小微企业首贷奖励"
    assert "注册地需在山东省临沂市范围内" in message["body"]
    assert message["policy"]["conditions"] == ["注册地需在山东省临沂市范围内"]
    # and the Suzhou firm is not
    suzhou_firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[3])
    suzhou_inbox = (await client.execute(INBOX, token=suzhou_firm)).data["myInbox"]
    assert all((m["policy"] or {}).get("id") != policy_id for m in suzhou_inbox)
    # and pushing again tells nobody twice
    again = await finished_push(client, runtime, government, policy_id)
    assert again["status"] == "DONE" and again["pushedCount"] == 0
    jobs = await client.execute(JOBS, {"policyId": policy_id}, token=government)
    assert [j["status"] for j in jobs.data["policyPushJobs"]] == ["DONE", "DONE"]


async def test_policy_matches_say_why_a_firm_qualifies_or_what_it_lacks(
    client: GraphQLClient, runtime: Runtime
) -> None:
    await load_demo(runtime)
    government = await staff_token(client, runtime)
    fits = await published_id(client, government, title="临沂企业政策甲")
    outside = await published_id(client, government, title="苏州企业政策乙", regionCodes=["3205"])
    near = await published_id(
        client,
        government,
        title="成立满五十年企业政策丙",
        regionCodes=[],
        eligibility={"all": [LINYI, {"fact": "years_in_business", "op": "gte", "value": 50}]},
    )
    firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[0])
    result = await client.execute(MATCHES, {"all": False}, token=firm)
    assert result.errors == [], result.errors
    shown = {m["policy"]["id"]: m for m in result.data["policyMatches"]}
    assert shown[fits]["status"] == "ELIGIBLE"
    assert shown[fits]["reasons"][0] == ("注册地需在山东省临沂市范围内，当前为山东省临沂市兰山区")
    assert outside not in shown and near not in shown
    everything = await client.execute(MATCHES, {"all": True}, token=firm)
    answers = {m["policy"]["id"]: m for m in everything.data["policyMatches"]}
    assert answers[outside]["status"] == "INELIGIBLE"
    assert answers[outside]["unmetConditions"][0]["fact"] == "region_code"
    assert answers[near]["status"] == "INELIGIBLE"
    assert [c["fact"] for c in answers[near]["nearMiss"]["changes"]] == ["years_in_business"]
    # eligible first, then near misses, then the rest
    order = [m["policy"]["id"] for m in everything.data["policyMatches"]]
    assert order.index(fits) < order.index(near) < order.index(outside)
    staff = await client.execute(MATCHES, {}, token=government)
    assert staff.errors[0]["extensions"]["code"] == "FORBIDDEN"
