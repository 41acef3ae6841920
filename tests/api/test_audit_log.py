"""The auditor's view of the audit log, and exports for regulators, on both back ends.

Auditors search the whole log with filters, newest first, a page at a time; each search is
itself audited. An export (command line or ``GET /audit/export``) sends a date range as JSON
Lines with a manifest that says whether the rows link and their MACs verify, and is recorded as
``audit.export``. Everyone but an auditor is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text, update
from typer.testing import CliRunner

from backend.audit import queries
from backend.audit import service as audit_service
from backend.audit.export import export_rows
from backend.audit.models import AuditEntry
from backend.audit.service import canonical_bytes
from backend.cli import app
from backend.clock import CHINA_TZ, china_today
from backend.consent.models import AccessKind
from backend.consent.trail import record_access
from backend.db.engine import create_engine, create_sessionmaker
from backend.enterprises.models import Enterprise
from backend.errors import DomainError
from backend.identity.models import Account
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.settings import Settings
from tests.support.builders import (
    AUDITOR_PHONE,
    BANK_PHONE,
    DEMO_ACCOUNTS,
    DEMO_ENTERPRISES,
    GOVERNMENT_PHONE,
    load_demo,
    login,
    verified_enterprise_user,
)

AUDIT_LOG = """
query AuditLog($filter: AuditLogFilter, $first: Int! = 50, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    items {
      seq occurredAt action outcome actorAccountId actorName actorRole subjectType subjectId
      enterpriseUscc enterpriseName institutionId institutionName details requestId clientIp
      rowHash
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CHAIN_STATUS = "query { auditChainStatus { ok rowsChecked badSeq problem headHash } }"

OCTOBER = (datetime(2026, 10, 1, tzinfo=CHINA_TZ), datetime(2026, 11, 1, tzinfo=CHINA_TZ))
# Rows on both sides of October 2026 (China time), to the microsecond.
AROUND_OCTOBER = [
    datetime(2026, 9, 30, 23, 59, 59, 999999, tzinfo=CHINA_TZ),
    datetime(2026, 10, 1, 0, 0, 0, tzinfo=CHINA_TZ),
    datetime(2026, 10, 15, 12, 0, 0, tzinfo=CHINA_TZ),
    datetime(2026, 10, 31, 23, 59, 59, 999999, tzinfo=CHINA_TZ),
    datetime(2026, 11, 1, 0, 0, 0, tzinfo=CHINA_TZ),
]

runner = CliRunner()


# ---------------------------------------------------------------- helpers


async def search(client, token: str | None, *, first: int = 50, after=None, **filters) -> Any:
    """Run auditLog with ``filters`` (GraphQL names)."""
    variables = {"filter": filters or None, "first": first, "after": after}
    return await client.execute(AUDIT_LOG, variables, token=token)


async def log_rows(runtime: Runtime) -> list[AuditEntry]:
    """Every audit row in ``seq`` order."""
    async with runtime.sessionmaker() as session:
        return list((await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())


async def account_id(runtime: Runtime, phone: str) -> int:
    """The id of the account with ``phone``."""
    async with runtime.sessionmaker() as session:
        return (
            await session.execute(select(Account.id).where(Account.phone == phone))
        ).scalar_one()


async def write_at(runtime: Runtime, monkeypatch, moments: list[datetime]) -> None:
    """Append one ``test.event`` row at each of ``moments`` (the clock is held for each)."""
    for number, moment in enumerate(moments, start=1):
        monkeypatch.setattr(audit_service, "utcnow", lambda moment=moment: moment)
        async with runtime.sessionmaker() as session:
            await audit_service.record(
                session,
                keyring=runtime.keyring,
                actor=Actor.system(request_id=f"req-{number}"),
                action="test.event",
                subject_type="thing",
                subject_id=number,
                details={"n": number, "note": f"第{number}条"},
            )
            await session.commit()
    monkeypatch.undo()


async def auditor(client, runtime: Runtime) -> str:
    """The demo data loaded and the demo auditor signed in; returns the token."""
    await load_demo(runtime)
    return await login(client, AUDITOR_PHONE)


def parse_lines(body: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """An export's rows and its manifest (the last line)."""
    lines = [json.loads(line) for line in body.splitlines()]
    assert lines and lines[-1].get("manifest") is True, lines[-1:]
    return lines[:-1], lines[-1]


def recompute_mac(runtime: Runtime, row: dict[str, Any]) -> str:
    """What a verifier holding the audit key computes from an exported line alone."""
    values = {k: v for k, v in row.items() if k != "id"}
    values["occurred_at"] = datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00"))
    return runtime.keyring.audit_mac(canonical_bytes(AuditEntry(**values)), row["key_id"])


def on_database(database_url: str, work: Any) -> Any:
    """Run async ``work(session)`` on ``database_url`` and commit; return its result."""

    async def run() -> Any:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def all_rows(database_url: str) -> list[AuditEntry]:
    """Every audit row of ``database_url`` in ``seq`` order."""

    async def work(session: Any) -> list[AuditEntry]:
        return list((await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars())

    return on_database(database_url, work)


def china_day(offset: int = 0) -> str:
    """Today in China plus ``offset`` days, as YYYY-MM-DD."""
    return (china_today() + timedelta(days=offset)).isoformat()


# ---------------------------------------------------------------- filters


async def test_action_filters_match_exactly_or_by_prefix(client, runtime):
    # given: the demo staff accounts, batches and a few sign-ins
    token = await auditor(client, runtime)
    await login(client, GOVERNMENT_PHONE)
    rows = await log_rows(runtime)
    staff = [r.seq for r in reversed(rows) if r.action == "account.create_staff"]
    logins = [r.seq for r in reversed(rows) if r.action == "auth.login"]

    # when
    exact = await search(client, token, action="auth.login")
    by_dot = await search(client, token, action="account.")
    by_star = await search(client, token, action="account.*")
    no_wildcard = await search(client, token, action="account")
    underscore = await search(client, token, action="account.create_*")
    like_wildcard = await search(client, token, action="account.create%")

    # then
    assert [i["seq"] for i in exact.data["auditLog"]["items"]] == logins and len(logins) == 2
    assert [i["seq"] for i in by_dot.data["auditLog"]["items"]] == staff
    assert [i["seq"] for i in by_star.data["auditLog"]["items"]] == staff
    assert len(staff) == DEMO_ACCOUNTS
    assert [i["seq"] for i in underscore.data["auditLog"]["items"]] == staff
    assert no_wildcard.data["auditLog"]["items"] == []
    assert like_wildcard.data["auditLog"]["items"] == []


async def test_enterprise_filter_finds_rows_about_that_enterprise_by_uscc(client, runtime):
    # given: an enterprise user verified as the first demo enterprise, a failure for the second
    token = await auditor(client, runtime)
    await verified_enterprise_user(client, DEMO_ENTERPRISES[0])
    first, second = DEMO_ENTERPRISES[0], DEMO_ENTERPRISES[1]

    # when
    result = await search(client, token, enterpriseUscc=first.uscc)
    lower_case = await search(client, token, enterpriseUscc=first.uscc.lower())
    other = await search(client, token, enterpriseUscc=second.uscc)
    unknown = await search(client, token, enterpriseUscc="91350100M000100Y43")

    # then
    items = result.data["auditLog"]["items"]
    assert [i["action"] for i in items] == ["enterprise.verify"]
    assert items[0]["enterpriseUscc"] == first.uscc
    assert items[0]["enterpriseName"] == first.name
    assert items[0]["outcome"] == "success" and items[0]["actorRole"] == "ENTERPRISE"
    assert lower_case.data["auditLog"]["items"] == items
    assert other.data["auditLog"]["items"] == []
    assert unknown.errors == [] and unknown.data["auditLog"]["items"] == []


async def test_enterprise_filter_finds_batch_reads_that_returned_it(client, runtime):
    # given: the bank reads public records of two demo enterprises in one batch
    token = await auditor(client, runtime)
    async with runtime.sessionmaker() as session:
        bank = (
            await session.execute(select(Account).where(Account.phone == BANK_PHONE))
        ).scalar_one()
        ids = dict(
            (
                await session.execute(
                    select(Enterprise.uscc, Enterprise.id).where(
                        Enterprise.uscc.in_([e.uscc for e in DEMO_ENTERPRISES[:3]])
                    )
                )
            ).all()
        )
        await record_access(
            session,
            runtime=runtime,
            actor=Actor(account_id=bank.id, role="INSTITUTION", institution_id=bank.institution_id),
            kind=AccessKind.BATCH,
            enterprise_ids=[ids[DEMO_ENTERPRISES[0].uscc], ids[DEMO_ENTERPRISES[1].uscc]],
            categories=["admin_penalty"],
            purpose=None,
            authorization_ids=[],
        )
        await session.commit()

    # when
    returned = await search(client, token, enterpriseUscc=DEMO_ENTERPRISES[1].uscc)
    not_returned = await search(client, token, enterpriseUscc=DEMO_ENTERPRISES[2].uscc)

    # then
    items = returned.data["auditLog"]["items"]
    assert [(i["action"], i["actorName"], i["institutionName"]) for i in items] == [
        ("access.batch", "示范银行信贷员", "临沂示范银行")
    ]
    assert items[0]["details"]["categories"] == ["admin_penalty"]
    assert not_returned.data["auditLog"]["items"] == []


async def test_actor_filter_shows_the_actors_name_and_role(client, runtime):
    # given
    token = await auditor(client, runtime)
    await login(client, GOVERNMENT_PHONE)
    await login(client, BANK_PHONE)
    government = await account_id(runtime, GOVERNMENT_PHONE)

    # when
    result = await search(client, token, actorAccountId=str(government))
    bad_id = await search(client, token, actorAccountId="abc")

    # then
    items = result.data["auditLog"]["items"]
    assert [(i["action"], i["outcome"]) for i in items] == [("auth.login", "success")]
    assert items[0]["actorAccountId"] == str(government)
    assert (items[0]["actorName"], items[0]["actorRole"]) == ("市发改委信用办", "GOVERNMENT")
    assert items[0]["clientIp"] == "203.0.113.10" and items[0]["requestId"]
    assert bad_id.error_codes() == ["VALIDATION_ERROR"]
    assert bad_id.errors[0]["extensions"]["field"] == "actorAccountId"


async def test_bank_rows_name_the_institution_and_outcome_filters(client, runtime):
    # given: the bank's staff signs in once successfully, once with a wrong password
    token = await auditor(client, runtime)
    await login(client, BANK_PHONE)
    await client.execute(
        "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }",
        {"input": {"phone": BANK_PHONE, "password": "Wrong#2026x"}},
    )

    # when
    successes = await search(client, token, action="auth.login", outcome="success")
    failures = await search(client, token, action="auth.login", outcome="failure")

    # then
    success, failure = successes.data["auditLog"]["items"], failures.data["auditLog"]["items"]
    assert {i["actorRole"] for i in success} == {"INSTITUTION", "AUDITOR"}
    bank = next(i for i in success if i["actorRole"] == "INSTITUTION")
    assert bank["institutionName"] == "临沂示范银行" and bank["institutionId"]
    by_institution = await search(client, token, institutionId=bank["institutionId"])
    assert bank["seq"] in [i["seq"] for i in by_institution.data["auditLog"]["items"]]
    assert [i["outcome"] for i in failure] == ["failure"]


async def test_time_range_is_inclusive_from_and_exclusive_to(client, runtime, monkeypatch):
    # given: rows either side of October 2026, then the demo data (written now)
    await write_at(runtime, monkeypatch, AROUND_OCTOBER)
    token = await auditor(client, runtime)
    start, end = OCTOBER

    # when
    aware = await search(client, token, occurredFrom=start.isoformat(), occurredTo=end.isoformat())
    # a time without a zone is China time
    naive = await search(
        client,
        token,
        occurredFrom=start.replace(tzinfo=None).isoformat(),
        occurredTo=end.replace(tzinfo=None).isoformat(),
    )
    in_utc = await search(
        client, token, occurredFrom="2026-09-30T16:00:00Z", occurredTo="2026-10-31T16:00:00Z"
    )
    backwards = await search(
        client, token, occurredFrom=end.isoformat(), occurredTo=start.isoformat()
    )

    # then
    assert [i["seq"] for i in aware.data["auditLog"]["items"]] == [4, 3, 2]
    assert naive.data["auditLog"] == aware.data["auditLog"]
    assert in_utc.data["auditLog"] == aware.data["auditLog"]
    occurred = [datetime.fromisoformat(i["occurredAt"]) for i in aware.data["auditLog"]["items"]]
    assert occurred == [AROUND_OCTOBER[3], AROUND_OCTOBER[2], AROUND_OCTOBER[1]]
    assert backwards.error_codes() == ["VALIDATION_ERROR"]
    assert backwards.errors[0]["extensions"]["field"] == "occurredTo"


# ---------------------------------------------------------------- paging


async def test_pages_cover_the_log_without_gaps_or_duplicates(client, runtime):
    # given: the log up to now (each page's own audit.read row comes after it)
    token = await auditor(client, runtime)
    newest = (await log_rows(runtime))[-1].seq

    # when: walking the whole log 7 rows at a time
    seen: list[int] = []
    pages = 0
    after = None
    while True:
        result = await search(client, token, first=7, after=after)
        page = result.data["auditLog"]
        seen += [i["seq"] for i in page["items"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    # then: newest first, every row once, even though each page wrote an audit.read row
    assert seen == list(range(newest, 0, -1))
    assert pages == -(-newest // 7)
    rows = await log_rows(runtime)
    assert [r.action for r in rows[newest:]] == ["audit.read"] * pages


async def test_filtered_pages_follow_the_filter(client, runtime):
    # given
    token = await auditor(client, runtime)
    expected = [r.seq for r in reversed(await log_rows(runtime)) if r.action == "ingest.batch"]

    # when
    first = await search(client, token, first=4, action="ingest.batch")
    cursor = first.data["auditLog"]["pageInfo"]["endCursor"]
    rest = await search(client, token, first=200, after=cursor, action="ingest.batch")

    # then
    assert first.data["auditLog"]["pageInfo"]["hasNextPage"] is True
    seqs = [i["seq"] for i in first.data["auditLog"]["items"] + rest.data["auditLog"]["items"]]
    assert seqs == expected and len(expected) > 4
    assert rest.data["auditLog"]["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": rest.data["auditLog"]["pageInfo"]["endCursor"],
    }


async def test_bad_cursor_and_page_size_are_validation_errors(client, runtime):
    # given
    token = await auditor(client, runtime)
    before = len(await log_rows(runtime))

    # when
    results = {
        "garbage cursor": await search(client, token, after="not-a-cursor"),
        "foreign cursor": await search(client, token, after="MjAyNi0xMS0wMXwx"),
        "zero": await search(client, token, first=0),
        "too many": await search(client, token, first=201),
    }

    # then
    assert {name: r.error_codes() for name, r in results.items()} == {
        name: ["VALIDATION_ERROR"] for name in results
    }
    assert {name: r.errors[0]["extensions"]["field"] for name, r in results.items()} == {
        "garbage cursor": "after",
        "foreign cursor": "after",
        "zero": "first",
        "too many": "first",
    }
    # and: a refused search writes nothing
    assert len(await log_rows(runtime)) == before


async def test_a_page_costs_the_same_statements_whatever_its_size(client, runtime):
    # given
    token = await auditor(client, runtime)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    # when
    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        small = await search(client, token, first=2, enterpriseUscc=DEMO_ENTERPRISES[0].uscc)
        small_count = len(statements)
        statements.clear()
        large = await search(client, token, first=30)
        large_count = len(statements)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)

    # then: names come from joins, not from one query per row
    assert len(large.data["auditLog"]["items"]) == 30
    assert small.errors == []
    assert large_count <= small_count, (small_count, large_count)


# ---------------------------------------------------------------- who may read


async def test_only_auditors_read_the_log(client, runtime):
    # given
    await load_demo(runtime)
    tokens = {
        "government": await login(client, GOVERNMENT_PHONE),
        "bank": await login(client, BANK_PHONE),
        "enterprise": await verified_enterprise_user(client),
    }

    # when
    results = {name: await search(client, token) for name, token in tokens.items()}
    anonymous = await search(client, None)
    chain = await client.execute(CHAIN_STATUS, token=tokens["government"])

    # then
    assert {name: (r.error_codes(), r.data) for name, r in results.items()} == {
        name: (["FORBIDDEN"], None) for name in tokens
    }
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]
    assert chain.error_codes() == ["FORBIDDEN"]
    actions = [r.action for r in await log_rows(runtime)]
    assert "audit.read" not in actions and "audit.verify" not in actions


async def test_the_service_refuses_other_roles_too(runtime):
    # given: a caller that does not come through GraphQL's field permissions
    government = Actor(account_id=1, role="GOVERNMENT")

    # when / then
    async with runtime.sessionmaker() as session:
        with pytest.raises(DomainError) as refused:
            await queries.search(
                session=session, runtime=runtime, actor=government, filters=queries.AuditFilters()
            )
    assert refused.value.code == "FORBIDDEN"


async def test_every_search_is_itself_audited(client, runtime):
    # given
    token = await auditor(client, runtime)
    auditor_id = await account_id(runtime, AUDITOR_PHONE)
    uscc = DEMO_ENTERPRISES[0].uscc

    # when
    result = await search(client, token, first=5, action="ingest.", enterpriseUscc=uscc)

    # then
    last = (await log_rows(runtime))[-1]
    assert last.action == "audit.read" and last.outcome == "success"
    assert (last.actor_account_id, last.actor_role) == (auditor_id, "AUDITOR")
    assert last.details["filters"] == {"action": "ingest.", "enterprise_uscc": uscc}
    assert last.details["first"] == 5
    assert last.details["returned"] == len(result.data["auditLog"]["items"])
    assert last.enterprise_id is None  # auditors' reads do not crowd the enterprise's rows
    assert last.seq not in [i["seq"] for i in result.data["auditLog"]["items"]]


async def test_chain_status_verifies_the_whole_log_and_is_audited(client, runtime):
    # given
    token = await auditor(client, runtime)
    rows = await log_rows(runtime)

    # when
    result = await client.execute(CHAIN_STATUS, token=token)

    # then
    assert result.data["auditChainStatus"] == {
        "ok": True,
        "rowsChecked": len(rows),
        "badSeq": None,
        "problem": None,
        "headHash": rows[-1].row_hash,
    }
    last = (await log_rows(runtime))[-1]
    assert last.action == "audit.verify" and last.details["ok"] is True


# ---------------------------------------------------------------- export (service)


async def test_export_sends_the_range_in_seq_order_then_a_manifest(runtime, monkeypatch):
    # given
    await write_at(runtime, monkeypatch, AROUND_OCTOBER)
    rows = await log_rows(runtime)

    # when: read in chunks of two rows
    async with runtime.sessionmaker() as session:
        items = [
            item
            async for item in export_rows(
                session,
                keyring=runtime.keyring,
                occurred_from=OCTOBER[0],
                occurred_to=OCTOBER[1],
                chunk=2,
            )
        ]

    # then
    exported, manifest = items[:-1], items[-1]
    assert [e["seq"] for e in exported] == [2, 3, 4]
    assert [e["row_hash"] for e in exported] == [r.row_hash for r in rows[1:4]]
    assert exported[0]["prev_hash"] == rows[0].row_hash
    assert set(exported[0]) == {c.name for c in AuditEntry.__table__.columns}
    assert exported[1]["details"] == {"n": 3, "note": "第3条"}
    assert {k: manifest[k] for k in ("rows", "first_seq", "last_seq", "linked", "macs_ok")} == {
        "rows": 3,
        "first_seq": 2,
        "last_seq": 4,
        "linked": True,
        "macs_ok": True,
    }
    assert (manifest["head_seq"], manifest["head_hash"]) == (5, rows[-1].row_hash)
    json.dumps(items)  # every line is plain JSON
    # and: a verifier holding the key recomputes each MAC from the exported line alone
    assert [recompute_mac(runtime, e) for e in exported] == [e["row_hash"] for e in exported]


async def test_export_flags_an_edited_row(runtime, monkeypatch):
    # given: row 3 edited by someone who switched the append-only guard off
    await write_at(runtime, monkeypatch, AROUND_OCTOBER)
    async with runtime.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            )
        else:
            await connection.execute(text("DROP TRIGGER audit_log_no_update"))
        await connection.execute(
            update(AuditEntry.__table__)
            .where(AuditEntry.__table__.c.seq == 3)
            .values(details={"edited": True})
        )

    # when
    async with runtime.sessionmaker() as session:
        items = [
            item
            async for item in export_rows(
                session, keyring=runtime.keyring, occurred_from=OCTOBER[0], occurred_to=OCTOBER[1]
            )
        ]

    # then: the links still hold (the hashes were not touched) but the MAC of row 3 does not
    manifest = items[-1]
    assert (manifest["linked"], manifest["macs_ok"], manifest["first_bad_seq"]) == (True, False, 3)
    assert manifest["rows"] == 3


async def test_an_empty_range_exports_only_the_manifest(runtime, monkeypatch):
    # given
    await write_at(runtime, monkeypatch, AROUND_OCTOBER)

    # when
    async with runtime.sessionmaker() as session:
        items = [
            item
            async for item in export_rows(
                session,
                keyring=runtime.keyring,
                occurred_from=datetime(2026, 8, 1, tzinfo=CHINA_TZ),
                occurred_to=datetime(2026, 9, 1, tzinfo=CHINA_TZ),
            )
        ]

    # then
    assert len(items) == 1
    assert {k: items[0][k] for k in ("rows", "first_seq", "last_seq", "linked", "macs_ok")} == {
        "rows": 0,
        "first_seq": None,
        "last_seq": None,
        "linked": True,
        "macs_ok": True,
    }


# ---------------------------------------------------------------- export over HTTP


async def test_an_auditor_downloads_an_export(client, runtime, monkeypatch):
    # given
    await write_at(runtime, monkeypatch, AROUND_OCTOBER)
    token = await auditor(client, runtime)
    auditor_id = await account_id(runtime, AUDITOR_PHONE)
    before = await log_rows(runtime)

    # when
    response = await client.http.get(
        "/audit/export",
        params={"from": "2026-10-01", "to": "2026-11-01"},
        headers={"Authorization": f"Bearer {token}"},
    )

    # then
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"] == (
        'attachment; filename="xinrong-audit-2026-10-01_2026-11-01.jsonl"'
    )
    rows, manifest = parse_lines(response.text)
    assert [r["seq"] for r in rows] == [2, 3, 4]
    assert (manifest["rows"], manifest["linked"], manifest["macs_ok"]) == (3, True, True)
    assert manifest["head_seq"] == before[-1].seq
    # and: the export is recorded, by the auditor, after the rows it sent
    last = (await log_rows(runtime))[-1]
    assert last.action == "audit.export" and last.seq == before[-1].seq + 1
    assert (last.actor_account_id, last.actor_role) == (auditor_id, "AUDITOR")
    assert last.details["rows"] == 3 and last.details["destination"] == "http"
    assert (last.details["first_seq"], last.details["last_seq"]) == (2, 4)


async def test_todays_export_holds_every_row_written_before_it(client, runtime):
    # given
    token = await auditor(client, runtime)
    before = await log_rows(runtime)

    # when
    response = await client.http.get(
        "/audit/export",
        params={"from": china_day(-1), "to": china_day(1)},
        headers={"Authorization": f"Bearer {token}"},
    )

    # then
    rows, manifest = parse_lines(response.text)
    assert [r["seq"] for r in rows] == [r.seq for r in before]
    assert all(r["prev_hash"] == p["row_hash"] for p, r in itertools.pairwise(rows))
    assert (manifest["linked"], manifest["macs_ok"]) == (True, True)
    assert manifest["head_hash"] == before[-1].row_hash


async def test_export_refuses_other_roles_anonymous_callers_and_bad_dates(client, runtime):
    # given
    token = await auditor(client, runtime)
    government = await login(client, GOVERNMENT_PHONE)
    before = len(await log_rows(runtime))

    async def get(params: dict[str, str], bearer: str | None) -> Any:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await client.http.get("/audit/export", params=params, headers=headers)

    good = {"from": "2026-10-01", "to": "2026-11-01"}

    # when
    other_role = await get(good, government)
    other_role_bad_date = await get({"from": "yesterday", "to": "2026-11-01"}, government)
    anonymous = await get(good, None)
    wrong_token = await get(good, "not-a-token")
    bad_from = await get({"from": "2026-13-01", "to": "2026-11-01"}, token)
    missing_to = await get({"from": "2026-10-01"}, token)
    backwards = await get({"from": "2026-11-01", "to": "2026-11-01"}, token)

    # then
    def error(response: Any) -> tuple[int, str, str | None]:
        body = response.json()["errors"][0]
        assert body["message"]
        return response.status_code, body["code"], body["field"]

    assert error(other_role) == (403, "FORBIDDEN", None)
    assert error(other_role_bad_date) == (403, "FORBIDDEN", None)
    assert error(anonymous) == (401, "NOT_AUTHENTICATED", None)
    assert error(wrong_token) == (401, "NOT_AUTHENTICATED", None)
    assert error(bad_from) == (400, "VALIDATION_ERROR", "from")
    assert "YYYY-MM-DD" in bad_from.json()["errors"][0]["message"]
    assert error(missing_to) == (400, "VALIDATION_ERROR", "to")
    assert error(backwards) == (400, "VALIDATION_ERROR", "to")
    # and: nothing was exported, so nothing was recorded
    assert len(await log_rows(runtime)) == before


# ---------------------------------------------------------------- export on the command line


def xinrong(*args: str, database_url: str) -> Any:
    """Run ``xinrong <args>`` in-process against ``database_url``."""
    return runner.invoke(app, list(args), env={"XINRONG_DATABASE_URL": database_url})


def test_cli_export_writes_the_range_and_records_itself(database_url, tmp_path: Path):
    # given
    assert xinrong("seed", "--demo", database_url=database_url).exit_code == 0
    before = all_rows(database_url)
    target = tmp_path / "audit.jsonl"

    # when
    result = xinrong(
        "audit",
        "export",
        "--from",
        china_day(-1),
        "--to",
        china_day(1),
        "--output",
        str(target),
        database_url=database_url,
    )

    # then
    assert result.exit_code == 0, result.output
    rows, manifest = parse_lines(target.read_text(encoding="utf-8"))
    assert [r["seq"] for r in rows] == [r.seq for r in before]
    assert (manifest["linked"], manifest["macs_ok"]) == (True, True)
    assert manifest["rows"] == len(before) == manifest["last_seq"]
    assert result.stdout.startswith(f"exported {len(before)} audit rows (seq 1–{len(before)})")
    assert "linked yes, MACs ok" in result.stdout
    # and: the export is the next row, by the system
    after = all_rows(database_url)
    assert len(after) == len(before) + 1
    assert (after[-1].action, after[-1].actor_role) == ("audit.export", "SYSTEM")
    assert after[-1].details["destination"] == "audit.jsonl"
    assert after[-1].details["rows"] == len(before)
    # and: the chain still verifies
    assert xinrong("audit", "verify", database_url=database_url).exit_code == 0


def test_cli_export_to_standard_output_and_bad_dates(database_url):
    # given
    assert xinrong("seed", "--demo", database_url=database_url).exit_code == 0
    count = len(all_rows(database_url))
    day = date.fromisoformat(china_day())

    # when
    result = xinrong(
        "audit",
        "export",
        "--from",
        day.isoformat(),
        "--to",
        (day + timedelta(days=1)).isoformat(),
        "--output",
        "-",
        database_url=database_url,
    )
    bad = xinrong(
        "audit",
        "export",
        "--from",
        "11/01/2026",
        "--to",
        china_day(1),
        "--output",
        "-",
        database_url=database_url,
    )

    # then: the rows on standard output, the summary on standard error
    assert result.exit_code == 0, result.output
    rows, manifest = parse_lines(result.stdout)
    assert len(rows) == manifest["rows"] == count
    assert "exported" in result.stderr
    assert bad.exit_code == 2 and "VALIDATION_ERROR" in bad.stderr
    assert len(all_rows(database_url)) == count + 1  # only the good export was recorded


def test_cli_export_fails_when_a_row_does_not_verify(database_url, tmp_path: Path):
    # given: the demo log with row 3 edited behind the append-only guard's back
    assert xinrong("seed", "--demo", database_url=database_url).exit_code == 0

    async def edit() -> None:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    await connection.execute(
                        text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
                    )
                else:
                    await connection.execute(text("DROP TRIGGER audit_log_no_update"))
                await connection.execute(
                    update(AuditEntry.__table__)
                    .where(AuditEntry.__table__.c.seq == 3)
                    .values(details={"edited": True})
                )
        finally:
            await engine.dispose()

    asyncio.run(edit())
    target = tmp_path / "audit.jsonl"

    # when
    result = xinrong(
        "audit",
        "export",
        "--from",
        china_day(-1),
        "--to",
        china_day(1),
        "--output",
        str(target),
        database_url=database_url,
    )

    # then: the file is written for investigation, the command fails and names the row
    assert result.exit_code == 1
    _rows, manifest = parse_lines(target.read_text(encoding="utf-8"))
    assert (manifest["linked"], manifest["macs_ok"], manifest["first_bad_seq"]) == (True, False, 3)
    assert "MACs BAD" in result.stdout and "first bad row: seq 3" in result.stderr
