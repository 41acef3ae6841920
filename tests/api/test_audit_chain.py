"""The hash-chained audit log on both back ends.

Real activity leaves one row per audited event and a chain that verifies; the database itself
refuses UPDATE and DELETE; someone with database access who drops the append-only triggers and
edits, removes or forges rows is caught at the first bad ``seq``; rows written under an old key
verify after a key rotation; an audit row commits or rolls back with the change it records.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from backend.audit import service as audit
from backend.audit.models import AuditChainHead, AuditEntry
from backend.audit.service import ChainReport, canonical_bytes, verify_chain
from backend.identity import service as identity
from backend.identity.models import Account
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.keyring import KeyRing
from tests.support.builders import (
    DEMO_ACCOUNTS,
    DEMO_BATCHES,
    DEMO_ENTERPRISES,
    LOGIN,
    PROVIDER_PHONE,
    REGISTER,
    VERIFY,
    load_demo,
    login,
    new_phone,
    register,
    verify_input,
)
from tests.support.lending_products import seed_audit_actions

AUDIT_LOG = AuditEntry.__table__
CLIENT_IP = "203.0.113.10"  # the address the test client connects from (tests/conftest.py)
ROTATED_SECRET = "rotated-secret-key-9876543210-zyxwvutsrqponmlk"

INGEST = """
mutation Ingest($input: IngestCreditRecordsInput!) {
  ingestCreditRecords(input: $input) {
    batch { id status accepted rejected replayed }
    rowErrors { index code field }
    errors { code field message }
  }
}
"""

LOGOUT = """
mutation Logout {
  logout { errors { code field message } }
}
"""

# The first demo registration record, as its provider sends it (seed_products/demo).
REGISTRATION_RECORD = {
    "uscc": DEMO_ENTERPRISES[0].uscc,
    "name": DEMO_ENTERPRISES[0].name,
    "legal_rep_name": DEMO_ENTERPRISES[0].legal_rep_name,
    "legal_rep_id_number": DEMO_ENTERPRISES[0].id_number,
    "established_on": "2016-05-18",
    "registered_capital": "5000000",
    "industry_code": "G54",
    "address": "山东省临沂市兰山区金雀山街道物流园路18号",
    "status": "存续",
    "business_scope": "道路普通货物运输;仓储服务(不含危险化学品);货物配载",
}


# ---------------------------------------------------------------- helpers


async def read_log(runtime: Runtime) -> list[AuditEntry]:
    """Every audit row in ``seq`` order."""
    async with runtime.sessionmaker() as session:
        return list((await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())


async def count_rows(runtime: Runtime, model: type) -> int:
    """How many rows ``model``'s table holds."""
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def verify(runtime: Runtime, *, batch: int = 5000) -> ChainReport:
    """Run verify_chain in a fresh session with the runtime's keys."""
    async with runtime.sessionmaker() as session:
        return await verify_chain(session, keyring=runtime.keyring, batch=batch)


async def write_chain(runtime: Runtime, rows: int) -> list[AuditEntry]:
    """Append ``rows`` audit rows, each committed in its own transaction as requests do."""
    for number in range(1, rows + 1):
        async with runtime.sessionmaker() as session:
            await audit.record(
                session,
                keyring=runtime.keyring,
                actor=Actor.system(request_id=f"req-{number}"),
                action="test.event",
                subject_type="thing",
                subject_id=number,
                details={"n": number, "note": f"第{number}条"},
            )
            await session.commit()
    return await read_log(runtime)


async def drop_append_only_triggers(runtime: Runtime) -> None:
    """What an attacker with database access does first: switch the append-only guard off."""
    async with runtime.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            )
            await connection.execute(
                text("ALTER TABLE audit_chain_head DISABLE TRIGGER audit_chain_head_forward_only")
            )
        else:
            for trigger in (
                "audit_log_no_update",
                "audit_log_no_delete",
                "audit_chain_head_forward_only",
                "audit_chain_head_no_delete",
            ):
                await connection.execute(text(f"DROP TRIGGER {trigger}"))


async def tamper(runtime: Runtime, *statements: Any) -> None:
    """Execute ``statements`` directly on the database, in one transaction."""
    async with runtime.engine.begin() as connection:
        for statement in statements:
            await connection.execute(statement)


def row_values(row: AuditEntry) -> dict[str, Any]:
    """The column values of ``row`` except its id, ready for an INSERT."""
    return {c.name: getattr(row, c.name) for c in AUDIT_LOG.columns if c.name != "id"}


# ---------------------------------------------------------------- real activity


async def test_real_activity_is_audited_row_by_row_and_the_chain_verifies(client, runtime):
    # given: the demo data (staff accounts, one batch per demo file), then people using the API
    await load_demo(runtime)
    phone = new_phone()
    enterprise_token = await register(client, phone=phone)
    failed = await client.execute(LOGIN, {"input": {"phone": phone, "password": "Wrong#2026x"}})
    mismatch = await client.execute(
        VERIFY, verify_input(DEMO_ENTERPRISES[0], name="别的公司"), token=enterprise_token
    )
    verified = await client.execute(
        VERIFY, verify_input(DEMO_ENTERPRISES[0]), token=enterprise_token
    )
    provider_token = await login(client, PROVIDER_PHONE)
    accepted = await client.execute(
        INGEST,
        {
            "input": {
                "batchId": "audit-ok-1",
                "category": "registration",
                "records": [REGISTRATION_RECORD],
            }
        },
        token=provider_token,
    )
    rejected = await client.execute(
        INGEST,
        {
            "input": {
                "batchId": "audit-bad-1",
                "category": "registration",
                "records": [{**REGISTRATION_RECORD, "uscc": "not-a-uscc"}],
            }
        },
        token=provider_token,
    )
    logged_out = await client.execute(LOGOUT, token=provider_token)
    assert [e["code"] for e in failed.data["login"]["errors"]] == ["INVALID_CREDENTIALS"]
    assert [e["code"] for e in mismatch.data["verifyEnterprise"]["errors"]] == ["IDENTITY_MISMATCH"]
    assert verified.data["verifyEnterprise"]["errors"] == []
    assert accepted.data["ingestCreditRecords"]["batch"]["status"] == "ACCEPTED"
    assert rejected.data["ingestCreditRecords"]["batch"]["status"] == "REJECTED"
    assert logged_out.data["logout"]["errors"] == []

    # when
    report = await verify(runtime)

    # then: the chain holds and covers every row
    rows = await read_log(runtime)
    assert report == ChainReport(ok=True, rows_checked=len(rows))
    assert report.head_hash == rows[-1].row_hash
    seeded = seed_audit_actions()
    demo_rows = len(seeded) + DEMO_ACCOUNTS + DEMO_BATCHES
    assert await count_rows(runtime, AuditEntry) == len(rows) == demo_rows + 8
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    # and: the seed wrote one row per catalogue institution and product, then the demo one row
    # per staff account and per batch
    assert [(r.action, r.outcome) for r in rows[:demo_rows]] == (
        seeded
        + [("account.create_staff", "success")] * DEMO_ACCOUNTS
        + [("ingest.batch", "success")] * DEMO_BATCHES
    )
    # and: then one row per event, in the order they happened
    assert [(r.action, r.outcome) for r in rows[demo_rows:]] == [
        ("account.register", "success"),
        ("auth.login", "failure"),
        ("enterprise.verify", "failure"),
        ("enterprise.verify", "success"),
        ("auth.login", "success"),
        ("ingest.batch", "success"),
        ("ingest.batch", "failure"),
        ("auth.logout", "success"),
    ]


async def test_audit_rows_name_the_actor_subject_and_request(client, runtime):
    # given
    await load_demo(runtime)
    phone = new_phone()
    result = await client.execute(
        REGISTER, {"input": {"phone": phone, "password": "Xinrong#2026a", "displayName": "张三"}}
    )
    account_id = int(result.data["registerAccount"]["account"]["id"])
    token = result.data["registerAccount"]["token"]
    await client.execute(LOGIN, {"input": {"phone": phone, "password": "Wrong#2026x"}})
    await client.execute(VERIFY, verify_input(DEMO_ENTERPRISES[1]), token=token)

    # when
    rows = await read_log(runtime)

    # then
    staff, sign_up, failure, verification = rows[0], rows[-3], rows[-2], rows[-1]
    assert (staff.actor_role, staff.actor_account_id, staff.request_id) == ("SYSTEM", None, "seed")
    assert sign_up.action == "account.register"
    assert (sign_up.actor_account_id, sign_up.actor_role) == (account_id, "ENTERPRISE")
    assert (sign_up.subject_type, sign_up.subject_id) == ("account", str(account_id))
    assert sign_up.client_ip == CLIENT_IP and sign_up.request_id
    assert failure.action == "auth.login" and failure.outcome == "failure"
    assert failure.actor_account_id is None and failure.subject_id == str(account_id)
    assert failure.details["reason"] == "bad_password" and failure.details["failures"] == 1
    assert verification.action == "enterprise.verify" and verification.outcome == "success"
    assert verification.subject_id == DEMO_ENTERPRISES[1].uscc
    assert verification.enterprise_id is not None
    # personal data stays out of the log: the phone only ever appears masked
    for row in rows:
        assert phone not in str(row.details)
    assert sign_up.details["phone"] != phone and sign_up.details["phone"].endswith(phone[-4:])


async def test_verifying_in_small_batches_gives_the_same_report(runtime):
    # given
    await write_chain(runtime, 5)

    # when
    reports = [await verify(runtime, batch=batch) for batch in (1, 2, 3, 5)]

    # then
    assert reports == [ChainReport(ok=True, rows_checked=5)] * 4


async def test_an_empty_log_verifies(runtime):
    # when
    report = await verify(runtime)

    # then
    assert report == ChainReport(ok=True, rows_checked=0)


# ---------------------------------------------------------------- append-only in the database


async def test_the_database_refuses_to_update_an_audit_row(runtime):
    # given
    rows = await write_chain(runtime, 2)

    # when / then
    with pytest.raises(DBAPIError, match="append-only"):
        await tamper(
            runtime, update(AUDIT_LOG).where(AUDIT_LOG.c.seq == 1).values(outcome="failure")
        )
    assert [(r.seq, r.outcome, r.row_hash) for r in await read_log(runtime)] == [
        (r.seq, r.outcome, r.row_hash) for r in rows
    ]


async def test_the_database_refuses_to_delete_an_audit_row(runtime):
    # given
    await write_chain(runtime, 2)

    # when / then
    with pytest.raises(DBAPIError, match="append-only"):
        await tamper(runtime, delete(AUDIT_LOG).where(AUDIT_LOG.c.seq == 2))
    assert await count_rows(runtime, AuditEntry) == 2
    assert (await verify(runtime)).ok is True


async def test_the_database_refuses_to_rewind_or_delete_the_chain_head(runtime):
    # given
    await write_chain(runtime, 3)
    head = AuditChainHead.__table__

    # when / then
    with pytest.raises(DBAPIError, match="only moves forward"):
        await tamper(runtime, update(head).values(seq=2))
    with pytest.raises(DBAPIError, match="only moves forward"):
        await tamper(runtime, delete(head))
    assert (await verify(runtime)).ok is True


# ---------------------------------------------------------------- tampering is detected


async def test_editing_a_middle_rows_details_is_found_at_that_row(runtime):
    # given
    rows = await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        update(AUDIT_LOG).where(AUDIT_LOG.c.seq == 3).values(details={"n": 3, "note": "改过"}),
    )

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.bad_id, report.rows_checked) == (3, rows[2].id, 2)
    assert "edited" in report.problem


async def test_editing_any_column_of_a_row_is_found(runtime):
    # given
    rows = await write_chain(runtime, 4)
    await drop_append_only_triggers(runtime)
    edits = {
        "action": "auth.logout",
        "outcome": "failure",
        "actor_account_id": 42,
        "actor_role": "GOVERNMENT",
        "subject_type": "account",
        "subject_id": "999",
        "enterprise_id": 7,
        "institution_id": 7,
        "request_id": "forged",
        "client_ip": "198.51.100.7",
    }
    found = {}
    for column, value in edits.items():
        # when: one column of row 2 is edited, verified, and put back
        await tamper(runtime, update(AUDIT_LOG).where(AUDIT_LOG.c.seq == 2).values({column: value}))
        report = await verify(runtime)
        found[column] = (report.ok, report.bad_seq)
        original = getattr(rows[1], column)
        await tamper(
            runtime, update(AUDIT_LOG).where(AUDIT_LOG.c.seq == 2).values({column: original})
        )

    # then: every edit was caught at row 2, and putting the value back restored the chain
    assert found == {column: (False, 2) for column in edits}
    assert (await verify(runtime)).ok is True


async def test_moving_a_rows_time_is_found(runtime):
    # given
    rows = await write_chain(runtime, 4)
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        update(AUDIT_LOG)
        .where(AUDIT_LOG.c.seq == 2)
        .values(occurred_at=rows[1].occurred_at - timedelta(days=1)),
    )

    # when
    report = await verify(runtime)

    # then
    assert (report.ok, report.bad_seq) == (False, 2)


async def test_deleting_a_middle_row_is_found_at_the_row_after_it(runtime):
    # given
    rows = await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(runtime, delete(AUDIT_LOG).where(AUDIT_LOG.c.seq == 3))

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.bad_id, report.rows_checked) == (4, rows[3].id, 2)


async def test_deleting_a_middle_row_and_closing_the_gap_is_found(runtime):
    # given: row 3 removed and the later rows renumbered so that seq has no gap
    await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        delete(AUDIT_LOG).where(AUDIT_LOG.c.seq == 3),
        update(AUDIT_LOG).where(AUDIT_LOG.c.seq > 3).values(seq=AUDIT_LOG.c.seq - 1),
    )

    # when
    report = await verify(runtime)

    # then
    assert (report.ok, report.bad_seq) == (False, 3)


async def test_deleting_the_last_row_is_found_through_the_chain_head(runtime):
    # given
    await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(runtime, delete(AUDIT_LOG).where(AUDIT_LOG.c.seq == 5))

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.bad_id, report.rows_checked) == (5, None, 4)
    assert "head" in report.problem


async def test_deleting_the_last_row_and_rewinding_the_head_is_found(runtime):
    # given: the attacker also points audit_chain_head at the new last row — the head table has
    # no append-only trigger and the head carries no MAC, so both values are copied from row 4
    rows = await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        delete(AUDIT_LOG).where(AUDIT_LOG.c.seq == 5),
        update(AuditChainHead.__table__).values(seq=4, row_hash=rows[3].row_hash),
    )

    # when
    report = await verify(runtime)

    # then: the module promises that removing any row breaks the chain "or the head"
    assert report.ok is False


async def test_a_copied_row_appended_at_the_end_is_found(runtime):
    # given
    rows = await write_chain(runtime, 5)
    await drop_append_only_triggers(runtime)
    await tamper(runtime, insert(AUDIT_LOG).values({**row_values(rows[1]), "seq": 6}))

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.rows_checked) == (6, 5)


async def test_a_forged_row_chained_to_the_last_one_is_found(runtime):
    # given: a well-formed row linked to the real last hash, but signed with a guessed key
    rows = await write_chain(runtime, 5)
    forged = AuditEntry(
        **{
            **row_values(rows[4]),
            "seq": 6,
            "prev_hash": rows[4].row_hash,
            "action": "account.create_staff",
            "details": {"role": "GOVERNMENT"},
        }
    )
    forged.row_hash = KeyRing("an attacker's guess at the key, long enough").audit_mac(
        canonical_bytes(forged)
    )
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        insert(AUDIT_LOG).values(row_values(forged)),
        update(AuditChainHead.__table__).values(seq=6, row_hash=forged.row_hash),
    )

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.rows_checked) == (6, 5)
    assert "edited" in report.problem


async def test_a_row_forged_into_the_middle_by_renumbering_is_found(runtime):
    # given: rows 3.. moved up by one and a new row 3 put in their place, linked to row 2 and
    # carrying the original row 3's hash
    rows = await write_chain(runtime, 5)
    forged = {**row_values(rows[2]), "details": {"n": 3, "note": "伪造"}}
    await drop_append_only_triggers(runtime)
    await tamper(
        runtime,
        # two steps: PostgreSQL checks the unique seq row by row
        update(AUDIT_LOG).where(AUDIT_LOG.c.seq >= 3).values(seq=AUDIT_LOG.c.seq + 1000),
        update(AUDIT_LOG).where(AUDIT_LOG.c.seq > 1000).values(seq=AUDIT_LOG.c.seq - 999),
        insert(AUDIT_LOG).values(forged),
    )

    # when
    report = await verify(runtime)

    # then
    assert report.ok is False
    assert (report.bad_seq, report.rows_checked) == (3, 2)


# ---------------------------------------------------------------- concurrent writers


async def sign_up_at_once(client, count: int) -> list[Any]:
    """``count`` sign-ups sent concurrently."""
    return await asyncio.gather(
        *[
            client.execute(
                REGISTER,
                {
                    "input": {
                        "phone": new_phone(),
                        "password": "Xinrong#2026a",
                        "displayName": "并发",
                    }
                },
            )
            for _ in range(count)
        ]
    )


async def test_concurrent_sign_ups_chain_one_after_another(client, runtime):
    # given: a log that already has its head row
    await write_chain(runtime, 1)

    # when
    results = await sign_up_at_once(client, 6)

    # then
    assert [(r.errors, r.data["registerAccount"]["errors"]) for r in results] == [([], [])] * 6
    assert [r.seq for r in await read_log(runtime)] == list(range(1, 8))
    assert await verify(runtime) == ChainReport(ok=True, rows_checked=7)


async def test_concurrent_sign_ups_on_an_empty_log_all_succeed(client, runtime):
    # given: a new deployment — no audited event yet, so no audit_chain_head row either

    # when: the first audited events arrive together
    results = await sign_up_at_once(client, 6)

    # then: every sign-up succeeds and the chain holds all six
    assert [r.errors for r in results] == [[]] * 6
    assert [r.data["registerAccount"]["errors"] for r in results] == [[]] * 6
    assert await verify(runtime) == ChainReport(ok=True, rows_checked=6)


# ---------------------------------------------------------------- key rotation


async def test_rows_written_under_the_previous_key_verify_after_rotation(runtime):
    # given: two rows under the old key, then the key is rotated and a third row written
    old = await write_chain(runtime, 2)
    rotated = Runtime.build(
        replace(
            runtime.settings,
            secret_key=ROTATED_SECRET,
            previous_secret_keys=(runtime.settings.secret_key,),
        )
    )
    try:
        await write_chain(rotated, 1)

        # when
        report = await verify(rotated)
        rows = await read_log(rotated)
    finally:
        await rotated.close()

    # then
    assert report == ChainReport(ok=True, rows_checked=3)
    assert [r.key_id for r in rows] == [
        runtime.keyring.current_key_id,
        runtime.keyring.current_key_id,
        rotated.keyring.current_key_id,
    ]
    assert rotated.keyring.current_key_id != runtime.keyring.current_key_id
    assert [r.row_hash for r in rows[:2]] == [r.row_hash for r in old]


async def test_rows_under_a_key_no_longer_held_do_not_verify(runtime):
    # given: the key was replaced without keeping the old one
    await write_chain(runtime, 2)
    forgetful = Runtime.build(
        replace(runtime.settings, secret_key=ROTATED_SECRET, previous_secret_keys=())
    )
    try:
        # when
        report = await verify(forgetful)
    finally:
        await forgetful.close()

    # then
    assert (report.ok, report.bad_seq, report.rows_checked) == (False, 1, 0)
    assert "unknown key id" in report.problem


# ---------------------------------------------------------------- same transaction


async def test_a_refused_sign_up_leaves_neither_account_nor_audit_row(client, runtime):
    # given
    phone = new_phone()

    # when
    result = await client.execute(
        REGISTER, {"input": {"phone": phone, "password": "abc", "displayName": "测试用户"}}
    )

    # then
    payload = result.data["registerAccount"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("WEAK_PASSWORD", "password")]
    assert payload["token"] is None
    assert await count_rows(runtime, Account) == 0
    assert await count_rows(runtime, AuditEntry) == 0


async def test_an_audit_row_rolls_back_with_the_change_it_records(runtime):
    # given: a sign-up whose transaction is rolled back after the audit row was written
    async with runtime.sessionmaker() as session:
        signed_in = await identity.register_account(
            session=session,
            runtime=runtime,
            actor=Actor.anonymous(client_ip=CLIENT_IP),
            phone=new_phone(),
            password="Xinrong#2026a",
            display_name="回滚",
        )
        assert signed_in.account.id is not None
        await session.rollback()

    # when: the next event is recorded
    rows = await write_chain(runtime, 1)

    # then: neither the account nor its audit row survived, and seq has no gap
    assert await count_rows(runtime, Account) == 0
    assert [(r.seq, r.action) for r in rows] == [(1, "test.event")]
    assert (await verify(runtime)).ok is True
