"""The inbox of enterprises and institutions: idempotent delivery, myInbox and markInboxRead."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from backend.enterprises.models import Enterprise
from backend.inbox import service as inbox
from backend.inbox.models import InboxMessage, MessageKind
from tests.support.builders import (
    api_token_for,
    institution_user,
    register,
    registered_enterprise,
    staff_token,
)

USCC_A = "91440300708461136T"
USCC_B = "914403001922038216"
MY_INBOX = """
query Inbox($first: Int! = 20, $unreadOnly: Boolean! = false) {
  myInbox(first: $first, unreadOnly: $unreadOnly) { id kind title body createdAt readAt }
}
"""
MARK_READ = """
mutation MarkRead($ids: [ID!]!) {
  markInboxRead(ids: $ids) {
    messages { id readAt }
    errors { code field message }
  }
}
"""


@pytest.fixture
async def enterprise_a(client, runtime):
    return await registered_enterprise(
        client, runtime, uscc=USCC_A, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )


@pytest.fixture
async def enterprise_b(client, runtime):
    return await registered_enterprise(
        client, runtime, uscc=USCC_B, name="另一家公司", id_number="371302198001011239"
    )


async def deliver(runtime, uscc: str, title: str, **kwargs) -> int:
    """Deliver one message to the enterprise ``uscc``; returns its id."""
    async with runtime.sessionmaker() as session:
        enterprise_id = (
            await session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc))
        ).scalar_one()
        message = await inbox.deliver(
            session,
            enterprise_id=enterprise_id,
            kind=kwargs.pop("kind", MessageKind.SYSTEM),
            title=title,
            body=f"{title}的正文",
            **kwargs,
        )
        await session.commit()
        return message.id


async def read_inbox(client, token, **variables):
    result = await client.execute(MY_INBOX, variables, token=token)
    assert result.errors == [], result.errors
    return result.data["myInbox"]


async def test_delivery_is_idempotent_by_dedupe_key(client, runtime, enterprise_a):
    # when the same event is delivered three times, twice at once
    first = await deliver(runtime, USCC_A, "政策推送", kind="POLICY", dedupe_key="policy:7:1")
    racing = await asyncio.gather(
        deliver(runtime, USCC_A, "政策推送", kind="POLICY", dedupe_key="policy:7:1"),
        deliver(runtime, USCC_A, "政策推送", kind="POLICY", dedupe_key="policy:7:1"),
    )
    undeduped = [await deliver(runtime, USCC_A, "系统通知") for _ in range(2)]
    # then
    assert set(racing) == {first}
    assert undeduped[0] != undeduped[1]
    async with runtime.sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(InboxMessage))).scalar()
    assert count == 3
    shown = await read_inbox(client, enterprise_a)
    assert [m["kind"] for m in shown].count("POLICY") == 1


async def test_an_unknown_kind_is_refused(runtime, client, enterprise_a):
    with pytest.raises(ValueError):
        await deliver(runtime, USCC_A, "x", kind="NEWSLETTER")


async def test_my_inbox_lists_own_messages_newest_first_and_filters_unread(
    client, runtime, enterprise_a, enterprise_b
):
    # given
    ids = [await deliver(runtime, USCC_A, f"消息{n}") for n in range(3)]
    await deliver(runtime, USCC_B, "别人的消息")
    # when
    everything = await read_inbox(client, enterprise_a)
    two = await read_inbox(client, enterprise_a, first=2)
    marked = await client.execute(MARK_READ, {"ids": [str(ids[1])]}, token=enterprise_a)
    unread = await read_inbox(client, enterprise_a, unreadOnly=True)
    theirs = await read_inbox(client, enterprise_b)
    # then
    assert [m["id"] for m in everything] == [str(i) for i in reversed(ids)]
    assert everything[0]["title"] == "消息2" and everything[0]["body"] == "消息2的正文"
    assert all(m["readAt"] is None and m["createdAt"] for m in everything)
    assert [m["id"] for m in two] == [str(ids[2]), str(ids[1])]
    payload = marked.data["markInboxRead"]
    assert payload["errors"] == [] and payload["messages"][0]["readAt"] is not None
    assert [m["id"] for m in unread] == [str(ids[2]), str(ids[0])]
    assert [m["title"] for m in theirs] == ["别人的消息"]


async def test_marking_read_twice_keeps_the_first_reading_time(client, runtime, enterprise_a):
    # given
    message_id = str(await deliver(runtime, USCC_A, "消息"))
    first = await client.execute(MARK_READ, {"ids": [message_id]}, token=enterprise_a)
    # when
    second = await client.execute(MARK_READ, {"ids": [message_id]}, token=enterprise_a)
    # then
    first_at = first.data["markInboxRead"]["messages"][0]["readAt"]
    assert second.data["markInboxRead"]["messages"][0]["readAt"] == first_at


async def test_bad_marks_and_other_enterprises_messages_are_refused(
    client, runtime, enterprise_a, enterprise_b
):
    # given
    mine = str(await deliver(runtime, USCC_A, "我的消息"))
    theirs = str(await deliver(runtime, USCC_B, "别人的消息"))

    async def errors(ids, token=enterprise_a):
        result = await client.execute(MARK_READ, {"ids": ids}, token=token)
        if result.errors:
            return result.error_codes()
        return [(e["code"], e["field"]) for e in result.data["markInboxRead"]["errors"]]

    # when / then
    assert await errors([theirs]) == [("NOT_FOUND", "ids")]
    assert await errors([mine, theirs]) == [("NOT_FOUND", "ids")]
    assert await errors(["abc"]) == [("NOT_FOUND", "ids")]
    assert await errors(["99999999999999999999999"]) == [("NOT_FOUND", "ids")]
    assert await errors([]) == [("VALIDATION_ERROR", "ids")]
    assert await errors([mine] * 101) == [("VALIDATION_ERROR", "ids")]
    assert await errors([mine], token=None) == ["NOT_AUTHENTICATED"]
    # nothing was marked by the refused calls
    assert (await read_inbox(client, enterprise_a))[0]["readAt"] is None
    assert (await read_inbox(client, enterprise_b))[0]["readAt"] is None


async def test_inbox_access(client, runtime, enterprise_a):
    # given
    unverified = await register(client)
    government = await staff_token(client, runtime)
    # when
    cases = {
        "anonymous": await client.execute(MY_INBOX),
        "unverified": await client.execute(MY_INBOX, token=unverified),
        "government": await client.execute(MY_INBOX, token=government),
        "government marks": await client.execute(MARK_READ, {"ids": ["1"]}, token=government),
        "page too big": await client.execute(MY_INBOX, {"first": 101}, token=enterprise_a),
        "empty page": await client.execute(MY_INBOX, {"first": 0}, token=enterprise_a),
    }
    # then
    assert {name: result.error_codes() for name, result in cases.items()} == {
        "anonymous": ["NOT_AUTHENTICATED"],
        "unverified": ["FORBIDDEN"],
        "government": ["FORBIDDEN"],
        "government marks": ["FORBIDDEN"],
        "page too big": ["VALIDATION_ERROR"],
        "empty page": ["VALIDATION_ERROR"],
    }


async def deliver_to_institution(runtime, institution_id: int, title: str, **kwargs) -> int:
    """Deliver one message to an institution; returns its id."""
    async with runtime.sessionmaker() as session:
        message = await inbox.deliver(
            session,
            institution_id=institution_id,
            kind=kwargs.pop("kind", MessageKind.RISK_ALERT),
            title=title,
            body=f"{title}的正文",
            **kwargs,
        )
        await session.commit()
        return message.id


async def test_institution_staff_read_and_mark_their_institutions_messages(
    client, runtime, enterprise_a
):
    # given two institutions, each with a message, and an enterprise message
    bank = await institution_user(client, runtime, name="甲银行")
    other = await institution_user(client, runtime, name="乙银行")
    ours = await deliver_to_institution(
        runtime, bank.institution_id, "贷后风险提示", dedupe_key="r:1"
    )
    again = await deliver_to_institution(
        runtime, bank.institution_id, "贷后风险提示", dedupe_key="r:1"
    )
    theirs = await deliver_to_institution(runtime, other.institution_id, "别家的提示")
    firms = await deliver(runtime, USCC_A, "企业的消息")
    # when
    shown = await read_inbox(client, bank.token)
    marked = await client.execute(MARK_READ, {"ids": [str(ours)]}, token=bank.token)
    foreign = [
        await client.execute(MARK_READ, {"ids": [str(message_id)]}, token=bank.token)
        for message_id in (theirs, firms)
    ]
    by_firm = await client.execute(MARK_READ, {"ids": [str(ours)]}, token=enterprise_a)
    # then
    assert again == ours
    assert [(m["id"], m["kind"], m["title"]) for m in shown] == [
        (str(ours), "RISK_ALERT", "贷后风险提示")
    ]
    assert marked.data["markInboxRead"]["messages"][0]["readAt"] is not None
    assert await read_inbox(client, bank.token, unreadOnly=True) == []
    for result in [*foreign, by_firm]:
        assert [e["code"] for e in result.data["markInboxRead"]["errors"]] == ["NOT_FOUND"]
    assert [m["title"] for m in await read_inbox(client, other.token)] == ["别家的提示"]
    assert [m["title"] for m in await read_inbox(client, enterprise_a)] == ["企业的消息"]


async def test_institution_inbox_needs_the_alerts_scope_for_api_tokens(client, runtime):
    # given
    bank = await institution_user(client, runtime)
    await deliver_to_institution(runtime, bank.institution_id, "贷后风险提示")
    reports_only = await api_token_for(runtime, bank, ["REPORTS"])
    alerts = await api_token_for(runtime, bank, ["ALERTS"])
    # when
    refused = await client.execute(MY_INBOX, token=reports_only)
    marks = await client.execute(MARK_READ, {"ids": ["1"]}, token=reports_only)
    allowed = await read_inbox(client, alerts)
    # then
    assert refused.error_codes() == ["FORBIDDEN"]
    assert [e["code"] for e in marks.data["markInboxRead"]["errors"]] == ["FORBIDDEN"]
    assert [m["title"] for m in allowed] == ["贷后风险提示"]


async def test_a_message_has_exactly_one_addressee(runtime, enterprise_a):
    # given
    async with runtime.sessionmaker() as session:
        enterprise_id = (
            await session.execute(select(Enterprise.id).where(Enterprise.uscc == USCC_A))
        ).scalar_one()
        # when / then
        for addressee in ({}, {"enterprise_id": enterprise_id, "institution_id": 1}):
            with pytest.raises(ValueError):
                await inbox.deliver(session, kind="SYSTEM", title="x", body="y", **addressee)
