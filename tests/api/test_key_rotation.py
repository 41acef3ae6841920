"""Key rotation: data written under key A, every instance switched to key B (A kept as previous),
then ``xinrong rotate-keys`` moves ciphertexts and look-up hashes to B. Both back ends."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner, Result

from backend.app import create_app
from backend.audit import service as audit
from backend.audit.models import AuditEntry
from backend.cli import app
from backend.credit.models import CreditRecord
from backend.credit.registration import ID_NUMBER_CONTEXT
from backend.enterprises.models import Enterprise
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.keyring import KeyRing
from backend.security.rotation import rotate_keys
from backend.security.rotation_sql import ENTERPRISE_IDS, RECORD_HASH_ONLY, RECORD_PERSONAL
from backend.security.rotation_status import key_inventory
from backend.settings import load_settings
from tests.support.builders import (
    DEMO_DIR,
    DEMO_ENTERPRISES,
    PROVIDER_PHONE,
    VERIFY,
    ingest,
    load_demo,
    login,
    register,
    verify_input,
)
from tests.support.graphql import GraphQLClient
from tests.support.leak_guard import LeakGuard

KEY_A = os.environ["XINRONG_SECRET_KEY"]
KEY_B = "rotated-secret-key-b-0123456789-abcdefghijklmnop"
WATER_PHONE = "13600000006"
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
ME_ID = "query { me { enterprise { uscc legalRepIdNumber } } }"


def build_runtime(settings_env: dict, tmp_path: Path, secret: str, *previous: str) -> Runtime:
    """A runtime on the test database whose current key is ``secret``."""
    env = {**settings_env, "XINRONG_SECRET_KEY": secret}
    env["XINRONG_PREVIOUS_SECRET_KEYS"] = ",".join(previous)
    return Runtime.build(load_settings(env, workdir=tmp_path))


@asynccontextmanager
async def client_for(runtime: Runtime) -> AsyncIterator[GraphQLClient]:
    """A GraphQL client on an app instance running with ``runtime``'s keys."""
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=("203.0.113.20", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http, inspect=LeakGuard(runtime).inspect)


@pytest.fixture
async def runtime_b(runtime, settings_env, tmp_path) -> AsyncIterator[Runtime]:
    """The demo data written under key A; an instance redeployed with key B, A as previous."""
    await load_demo(runtime)
    built = build_runtime(settings_env, tmp_path, KEY_B, KEY_A)
    yield built
    await built.close()


async def table_rows(runtime: Runtime, *columns) -> list:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(*columns).order_by(columns[0]))).all()


async def record_count(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(CreditRecord))


def demo_rows(category: str) -> list[dict]:
    lines = (DEMO_DIR / f"{category}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


async def test_rotation_moves_everything_to_the_new_key_so_the_old_one_can_go(
    runtime_b, settings_env, tmp_path
):
    # given
    enterprises = await table_rows(runtime_b, Enterprise.id)
    records = await table_rows(runtime_b, CreditRecord.id, CreditRecord.personal_cipher)
    with_personal = sum(1 for _id, cipher in records if cipher)
    b_only = KeyRing(KEY_B)
    # when
    report = await rotate_keys(runtime=runtime_b, batch_size=7)
    # then every ciphertext and hash is under B, checked with a ring that holds only B
    assert report.complete
    assert report.columns[ENTERPRISE_IDS].rotated == len(enterprises) >= 4
    assert report.columns[RECORD_PERSONAL].rotated == with_personal > 0
    assert report.columns[RECORD_HASH_ONLY].rotated == len(records) - with_personal > 0
    assert report.batches > 3
    rows = await table_rows(
        runtime_b, Enterprise.uscc, Enterprise.legal_rep_id_cipher, Enterprise.legal_rep_id_hash
    )
    by_uscc = {}
    for uscc, cipher, digest in rows:
        assert cipher.startswith(f"v1.{b_only.current_key_id}.")
        by_uscc[uscc] = b_only.decrypt(cipher, context=ID_NUMBER_CONTEXT)
        assert digest == b_only.lookup_hash(by_uscc[uscc])
    assert {e.uscc: e.id_number for e in DEMO_ENTERPRISES}.items() <= by_uscc.items()
    stored = await table_rows(
        runtime_b,
        CreditRecord.id,
        CreditRecord.category,
        CreditRecord.fields,
        CreditRecord.personal_cipher,
        CreditRecord.content_hash,
    )
    for _id, category, fields, cipher, digest in stored:
        personal = (
            json.loads(b_only.decrypt(cipher, context=f"credit_records.{category}"))
            if cipher
            else {}
        )
        assert digest == b_only.lookup_hash(f"[{_canonical(fields)}, {_canonical(personal)}]")
    # and an instance that no longer holds A verifies the firm and reads its ID number
    only_b = build_runtime(settings_env, tmp_path, KEY_B)
    try:
        async with client_for(only_b) as client:
            token = await register(client)
            result = await client.execute(VERIFY, verify_input(DEMO_ENTERPRISES[0]), token=token)
            assert result.data["verifyEnterprise"]["errors"] == []
            me = (await client.execute(ME_ID, token=token)).data["me"]
            assert me["enterprise"]["legalRepIdNumber"] == DEMO_ENTERPRISES[0].id_number
    finally:
        await only_b.close()


async def test_unchanged_records_sent_again_are_recognised_after_the_rotation(runtime_b):
    # given an instance on key B before the rotation: an unchanged record sent again is taken
    # for a new version, because its content hash is still under A (what the rotation fixes)
    water = demo_rows("water_fee")
    async with client_for(runtime_b) as client:
        provider = await login(client, WATER_PHONE)
        before = await record_count(runtime_b)
        payload = await ingest(client, provider, "water_fee", water[:1])
        assert payload["errors"] == [] and payload["rowErrors"] == []
        assert await record_count(runtime_b) == before + 1
        # when
        report = await rotate_keys(runtime=runtime_b, batch_size=50)
        # then unchanged records, with and without personal data, add no version
        assert report.complete
        rotated = await record_count(runtime_b)
        payload = await ingest(client, provider, "water_fee", water[:5])
        assert payload["errors"] == [] and payload["rowErrors"] == []
        samr = await login(client, PROVIDER_PHONE)
        payload = await ingest(client, samr, "registration", demo_rows("registration"))
        assert payload["errors"] == [] and payload["rowErrors"] == []
        assert await record_count(runtime_b) == rotated
        # while a changed record still becomes a new version
        changed = {**water[1], "amount_paid": "9999.00"}
        await ingest(client, provider, "water_fee", [changed])
        assert await record_count(runtime_b) == rotated + 1


async def test_a_row_changed_between_read_and_write_is_not_overwritten(runtime_b):
    # given an instance on key B re-registering a firm while the rotation is between its read
    # and its write of that firm's row
    changed: list[int] = []
    new_id_number = "11010519491231002X"

    async def concurrent_registration(table: str, ids: list[int]) -> None:
        if table != "enterprises" or changed:
            return
        changed.append(ids[0])
        keyring = runtime_b.keyring
        async with runtime_b.sessionmaker() as session:
            await session.execute(
                update(Enterprise)
                .where(Enterprise.id == ids[0])
                .values(
                    legal_rep_id_cipher=keyring.encrypt(new_id_number, context=ID_NUMBER_CONTEXT),
                    legal_rep_id_hash=keyring.lookup_hash(new_id_number),
                )
            )
            await session.commit()

    # when
    first = await rotate_keys(runtime=runtime_b, batch_size=3, before_write=concurrent_registration)
    # then the concurrent write stands, the run says so, and a re-run finds nothing left
    assert first.columns[ENTERPRISE_IDS].conflicts == 1
    assert not first.complete
    async with runtime_b.sessionmaker() as session:
        enterprise = await session.get(Enterprise, changed[0])
    assert runtime_b.keyring.decrypt(enterprise.legal_rep_id_cipher, context=ID_NUMBER_CONTEXT) == (
        new_id_number
    )
    second = await rotate_keys(runtime=runtime_b, batch_size=3)
    assert second.complete
    assert all(tally.rotated == 0 for tally in second.columns.values())


async def test_rows_it_cannot_vouch_for_are_left_as_they_are(runtime_b):
    # given a record edited outside the platform (its hash no longer matches its content under
    # any key) and an ID number whose ciphertext was damaged
    async with runtime_b.sessionmaker() as session:
        record = await session.scalar(
            select(CreditRecord)
            .where(CreditRecord.category == "water_fee")
            .order_by(CreditRecord.id)
            .limit(1)
        )
        record.fields = {**record.fields, "amount_paid": "1.00"}
        enterprise = await session.scalar(select(Enterprise).order_by(Enterprise.id).limit(1))
        version, key_id, body = enterprise.legal_rep_id_cipher.split(".", 2)
        damaged = f"{version}.{key_id}.{body[::-1]}"
        enterprise.legal_rep_id_cipher = damaged
        await session.commit()
        edited_hash = record.content_hash
    # when
    report = await rotate_keys(runtime=runtime_b)
    # then both are counted and left; the run is not complete, for the damaged ciphertext
    assert report.columns[RECORD_HASH_ONLY].unmatched == 1
    assert report.columns[ENTERPRISE_IDS].undecryptable == 1
    assert not report.complete
    async with runtime_b.sessionmaker() as session:
        assert (await session.get(CreditRecord, record.id)).content_hash == edited_hash
        assert (await session.get(Enterprise, enterprise.id)).legal_rep_id_cipher == damaged


class Crash(Exception):
    """The process dies between two batches."""


async def test_a_run_stopped_midway_is_resumed_and_re_running_is_a_no_op(runtime_b):
    # given a dry run, which counts per key id and writes no data
    ciphers = await table_rows(runtime_b, Enterprise.id, Enterprise.legal_rep_id_cipher)
    dry = await rotate_keys(runtime=runtime_b, dry_run=True)
    key_a = KeyRing(KEY_A).current_key_id
    assert dry.columns[ENTERPRISE_IDS].found == {key_a: len(ciphers)}
    assert dry.columns[ENTERPRISE_IDS].rotated == len(ciphers)
    assert await table_rows(runtime_b, Enterprise.id, Enterprise.legal_rep_id_cipher) == ciphers
    total = sum(tally.rotated for tally in dry.columns.values())
    # and a run that dies before writing its third batch
    batches: list[int] = []

    async def die_at_the_third_batch(table: str, ids: list[int]) -> None:
        if len(batches) == 2:
            raise Crash
        batches.append(len(ids))

    with pytest.raises(Crash):
        await rotate_keys(runtime=runtime_b, batch_size=10, before_write=die_at_the_third_batch)
    # when it is run again, and once more
    resumed = await rotate_keys(runtime=runtime_b, batch_size=10)
    again = await rotate_keys(runtime=runtime_b, batch_size=10)
    # then the second run did only what the first had not committed, the third nothing
    assert resumed.complete and again.complete
    assert sum(tally.rotated for tally in resumed.columns.values()) == total - sum(batches)
    for tally in again.columns.values():
        assert (tally.rotated, tally.conflicts, dict(tally.found)) == (0, 0, {})
    async with runtime_b.sessionmaker() as session:
        rows = (
            await session.execute(
                select(AuditEntry.outcome, AuditEntry.details, AuditEntry.key_id)
                .where(AuditEntry.action == "keys.rotate")
                .order_by(AuditEntry.seq)
            )
        ).all()
        assert [(row.details["phase"], row.outcome) for row in rows] == [
            ("dry_run", "success"),
            ("started", "success"),
            ("finished", "failure"),
            *[("started", "success"), ("finished", "success")] * 2,
        ]
        assert rows[2].details["error"] == "Crash"
        assert rows[4].details["columns"][ENTERPRISE_IDS]["rotated"] == (
            resumed.columns[ENTERPRISE_IDS].rotated
        )
        assert {row.key_id for row in rows} == {runtime_b.keyring.current_key_id}
        assert (await audit.verify_chain(session, keyring=runtime_b.keyring)).ok
        # the old audit rows keep their MACs under A: A stays configured, for them only
        without_a = await audit.verify_chain(session, keyring=KeyRing(KEY_B))
        assert not without_a.ok and "unknown key id" in without_a.problem
        inventory = await key_inventory(session, runtime_b.settings)
    assert inventory.complete
    use_of_a = inventory.keys[key_a]
    assert use_of_a.cipher_count == 0 and use_of_a.audit_rows > 0
    assert "audit verify" in inventory.verdict(use_of_a)


async def _audit_row_from(instance: Runtime, note: str) -> int:
    """An audit row written by an app instance running with ``instance``'s keys; its seq."""
    async with instance.sessionmaker() as session:
        entry = await audit.record(
            session,
            keyring=instance.keyring,
            actor=Actor.system(),
            action="test.instance_alive",
            details={"note": note},
        )
        await session.commit()
    return entry.seq


async def test_a_row_signed_with_a_retired_key_after_the_rotation_breaks_verification(
    runtime, runtime_b, settings_env, tmp_path
):
    # given instances under A and under B writing side by side while B is rolled out (legitimate)
    await _audit_row_from(runtime_b, "new instance")
    await _audit_row_from(runtime, "old instance, not restarted yet")
    # and the rotation to B finished completely
    assert (await rotate_keys(runtime=runtime_b)).complete
    # and the next key, C, being rolled out (a key never seen is not a retired one)
    key_c = "next-secret-key-c-0123456789-abcdefghijklmnopqrs"
    runtime_c = build_runtime(settings_env, tmp_path, key_c, KEY_B, KEY_A)
    try:
        await _audit_row_from(runtime_c, "instance with the next key")
        verifier = runtime_c.keyring
        async with runtime_c.sessionmaker() as session:
            before = await audit.verify_chain(session, keyring=verifier)

        # when a row signed with A, retired by the rotation, is appended
        stale_seq = await _audit_row_from(runtime, "an instance still on A, or a leaked A")

        # then verification names that row and why
        async with runtime_c.sessionmaker() as session:
            after = await audit.verify_chain(session, keyring=verifier)
    finally:
        await runtime_c.close()
    assert before.ok, before.problem
    assert not after.ok and after.bad_seq == stale_seq
    assert after.rows_checked == stale_seq - 1
    assert f"signed with key {KeyRing(KEY_A).current_key_id}, retired" in after.problem
    assert f"rotation to key {runtime_b.keyring.current_key_id}" in after.problem


# The command, in-process with typer's CliRunner (it runs its own event loop: sync tests).
runner = CliRunner()


def xinrong(database_url: str, *args: str, secret: str = KEY_B, previous: str = "") -> Result:
    """Run ``xinrong rotate-keys <args>`` on an instance configured with these keys."""
    env = {
        "XINRONG_DATABASE_URL": database_url,
        "XINRONG_SECRET_KEY": secret,
        "XINRONG_PREVIOUS_SECRET_KEYS": previous,
    }
    return runner.invoke(app, ["rotate-keys", *args], env=env)


def demo_under_key_a(settings_env: dict, tmp_path: Path) -> None:
    """The demo data, then an audit row from an instance still running with key A."""

    async def work() -> None:
        runtime = build_runtime(settings_env, tmp_path, KEY_A)
        try:
            await load_demo(runtime)
            async with runtime.sessionmaker() as session:
                await audit.record(
                    session, keyring=runtime.keyring, actor=Actor.system(), action="auth.login"
                )
                await session.commit()
        finally:
            await runtime.close()

    asyncio.run(work())


def test_unknown_options_are_refused():
    result = runner.invoke(app, ["rotate-keys", "--force"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_the_command_checks_before_it_writes_and_reports_what_needs_which_key(
    database_url, settings_env, tmp_path
):
    # given
    demo_under_key_a(settings_env, tmp_path)
    key_a, key_b = KeyRing(KEY_A).current_key_id, KeyRing(KEY_B).current_key_id
    # no previous key configured: refused, and the status names the key that is missing
    refused = xinrong(database_url)
    assert refused.exit_code == 2 and "XINRONG_PREVIOUS_SECRET_KEYS" in refused.output
    status = xinrong(database_url, "--status")
    assert status.exit_code == 1 and f"{key_a}  not configured" in status.output
    # a wrong previous key: the data's key is still missing
    wrong = xinrong(database_url, previous="some-other-secret-0123456789-abcdefghijkl")
    assert wrong.exit_code == 2 and f"未配置的密钥 {key_a}" in wrong.output
    # the new key also listed as previous, or conflicting options
    assert xinrong(database_url, previous=f"{KEY_A},{KEY_B}").exit_code == 2
    assert xinrong(database_url, "--dry-run", "--status", previous=KEY_A).exit_code == 2
    # an instance signed an audit row with key A minutes ago: still on the old key
    stale = xinrong(database_url, previous=KEY_A)
    assert stale.exit_code == 2 and "--skip-deploy-check" in stale.output
    # when a dry run, then the rotation
    dry = xinrong(database_url, "--dry-run", previous=KEY_A)
    done = xinrong(database_url, "--skip-deploy-check", "--batch-size", "25", previous=KEY_A)
    # then
    assert dry.exit_code == 0 and f"under other keys {key_a} 4; would rotate 4" in dry.output
    assert done.exit_code == 0, done.output
    assert f"under other keys {key_a} 4; rotated 4" in done.output
    assert f"all ciphertexts and look-up hashes are under key {key_b}" in done.output
    status = xinrong(database_url, "--status", previous=KEY_A)
    assert status.exit_code == 0, status.output
    assert "xinrong audit verify 需要它" in status.output
    again = xinrong(database_url, previous=KEY_A)
    assert again.exit_code == 0 and "rotated 0" in again.output
    verify = runner.invoke(
        app,
        ["audit", "verify"],
        env={
            "XINRONG_DATABASE_URL": database_url,
            "XINRONG_SECRET_KEY": KEY_B,
            "XINRONG_PREVIOUS_SECRET_KEYS": KEY_A,
        },
    )
    assert verify.exit_code == 0 and "audit chain intact" in verify.output
