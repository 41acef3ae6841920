"""Hand-written abuse: hostile text in every input, oversized and malformed requests, wrong
content types, aliased and batched logins, huge variables.

Every answer is a 4xx with a stable code and a Chinese message, or a normal success; never a 5xx,
never an internal detail, never half-written data. (Depth, token and declared body-size limits,
introspection and masking are in test_graphql_hardening.py; the walk over every mutation's
inputs is tests/support/fuzz_inputs.py.)
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, inspect, select

from backend.app import create_app
from backend.audit.models import AuditEntry
from backend.credit.models import CreditRecord, IngestBatch
from backend.db.registry import Base
from backend.enterprises.models import Enterprise
from backend.identity.models import Account
from backend.security.models import ThrottleEvent
from tests.support.builders import BANK_PHONE, LOGIN, PROVIDER_PHONE, load_demo, login, new_phone
from tests.support.fuzz_checks import check_response
from tests.support.fuzz_inputs import caller_role, inputs_of_kind, mutation_call, string_inputs
from tests.support.fuzz_roles import ROLES, sign_in_as
from tests.support.graphql import GraphQLClient

SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
HOSTILE_TEXT = [
    "'; DROP TABLE enterprises; -- ' OR 1=1 --",
    "<script>alert(1)</script>\u202eexe.txt",
    "a\u0000b",
    "长" * 10_000,
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
JSON_HEADERS = {"content-type": "application/json"}


async def _send(client, document: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.http.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    await client.inspect(token, response.text)
    shown = f"{document}\nvariables: {json.dumps(variables, ensure_ascii=False)[:300]}"
    return check_response(shown, response.status_code, response.text)


def _coded_errors(body: dict) -> list[dict]:
    """Top-level errors with a code, and every payload's UserErrors."""
    top = [e for e in body.get("errors") or [] if (e.get("extensions") or {}).get("code")]
    payloads = [p for p in (body.get("data") or {}).values() if isinstance(p, dict)]
    return top + [e for p in payloads for e in p.get("errors") or []]


def _assert_chinese(body: dict, context: object) -> None:
    for error in _coded_errors(body):
        assert CHINESE.search(error["message"]), (str(context), error)


async def _count(runtime, model) -> int:
    async with runtime.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _table_names(runtime) -> set[str]:
    async with runtime.engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_hostile_text_in_every_string_input_of_every_mutation(client, runtime):
    # given: a demo database and a caller for every role
    callers = {role: await sign_in_as(role, client, runtime) for role in ROLES}
    enterprises = await _count(runtime, Enterprise)
    targets = string_inputs()
    stored: list[str] = []
    # when: each place gets each hostile text, everything else valid
    for target in targets:
        token = callers[caller_role(target.mutation)].token
        for text in HOSTILE_TEXT:
            document, variables = mutation_call(target, text)
            body = await _send(client, document, variables, token)
            # then: a clean answer (tests/support/fuzz_checks.py), each refusal in Chinese
            _assert_chinese(body, target)
            if not _coded_errors(body):
                stored.append(f"{target}: {text[:12]!r}")
    # the valid values around the hostile one are good enough for many calls to succeed
    assert len(stored) >= 30, stored
    assert await _table_names(runtime) >= {t.name for t in Base.metadata.sorted_tables}
    assert await _count(runtime, Enterprise) == enterprises


def _nested(depth: int) -> object:
    value: object = "叶"
    for _ in range(depth):
        value = {"a": [value]}
    return value


async def test_deep_and_hostile_json_in_every_json_input(client, runtime):
    # given
    callers = {role: await sign_in_as(role, client, runtime) for role in ROLES}
    hostile = [_nested(300), ["'; DROP TABLE enterprises; --"] * 5_000, {"a\u0000": "<script>"}]
    # when / then
    for target in inputs_of_kind("JSON"):
        token = callers[caller_role(target.mutation)].token
        for value in hostile:
            document, variables = mutation_call(target, value)
            _assert_chinese(await _send(client, document, variables, token), target)


def test_the_walk_reaches_nested_and_list_inputs():
    places = {str(t) for t in string_inputs()}
    assert len(places) > 60  # 59 String places and the IDs
    assert "onboardInstitution(input.securityAssessment.reportNumber)" in places
    assert "markInboxRead(ids)" in places
    target = next(t for t in string_inputs() if str(t) == "publishLoanProduct(input.tags)")
    document, variables = mutation_call(target, "<x>")
    assert variables["input"]["tags"] == ["<x>"]
    assert variables["input"]["name"] == "测试名称"
    assert document.startswith("mutation Abuse($input: PublishLoanProductInput!)")


STORED_TEXT = ["' OR 1=1 --", "'; DROP TABLE enterprises; --", "<script>alert(1)</script>"]
STORED_TEXT += ["\u202eexe.txt", "名称\u200f\u200e混排"]
PUBLISH_DEMAND = """
mutation D($input: PublishFinancingDemandInput!) {
  publishFinancingDemand(input: $input) { demand { id purpose } errors { code message } }
}"""
PUBLISH_PRODUCT = """
mutation P($input: PublishLoanProductInput!) {
  publishLoanProduct(input: $input) { product { id } errors { code message } }
}"""
PRODUCT = "query Q($id: ID!) { loanProduct(id: $id) { name description tags } }"
DEMANDS = "{ myDemands { id purpose } }"


async def test_hostile_text_is_stored_and_returned_verbatim(client, runtime):
    # given
    enterprise = await sign_in_as("ENTERPRISE", client, runtime)
    bank = await sign_in_as("INSTITUTION", client, runtime)
    product = mutation_call(
        next(t for t in string_inputs() if t.mutation == "publishLoanProduct"), ""
    )[1]
    for text in STORED_TEXT:
        # when
        demand = await _send(
            client,
            PUBLISH_DEMAND,
            {"input": {"amount": "100000", "termMonths": 12, "purpose": f"采购{text}"}},
            enterprise.token,
        )
        published = await _send(
            client,
            PUBLISH_PRODUCT,
            {
                "input": {
                    **product["input"],
                    "name": f"产品{text}",
                    "description": text,
                    "tags": [text[:20]],
                    "code": None,
                }
            },
            bank.token,
        )
        # then
        assert demand["data"]["publishFinancingDemand"]["errors"] == [], demand
        assert published["data"]["publishLoanProduct"]["errors"] == [], published
        product_id = published["data"]["publishLoanProduct"]["product"]["id"]
        read = await _send(client, PRODUCT, {"id": product_id}, bank.token)
        assert read["data"]["loanProduct"] == {
            "name": f"产品{text}",
            "description": text,
            "tags": [text[:20]],
        }
        mine = await _send(client, DEMANDS, {}, enterprise.token)
        assert f"采购{text}" in [d["purpose"] for d in mine["data"]["myDemands"]]
    assert await _table_names(runtime) >= {t.name for t in Base.metadata.sorted_tables}


async def _chunks(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    yield b'{"query": "'
    while sent < size:
        yield b" " * chunk
        sent += chunk
    yield b'{ passwordRule }"}'


@SQLITE_ONLY
async def test_a_streamed_graphql_body_past_the_limit_is_refused(client):
    # given: no Content-Length, so only the streamed count can stop it
    # when
    response = await client.http.post(
        "/graphql", content=_chunks(1024 * 1024 + 1), headers=JSON_HEADERS
    )
    # then
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_an_oversized_ingest_body_is_refused_and_leaves_nothing(runtime):
    # given: an instance whose bulk limit is 64 KiB, and a 100 KiB file
    await load_demo(runtime)
    settings = dataclasses.replace(runtime.settings, max_ingest_bytes=64 * 1024)
    app = create_app(settings=settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.11", 40000))
    line = json.dumps({"uscc": "91371302MA3CDXY10K", "name": "临沂沂蒙顺达物流有限公司"})
    body = ((line + "\n") * 1500).encode()
    before = (await _count(runtime, IngestBatch), await _count(runtime, CreditRecord))

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        token = await login(GraphQLClient(http), PROVIDER_PHONE)
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/x-ndjson"}
        for content in (body, streamed()):
            # when
            response = await http.post(
                "/ingest/registration",
                params={"batchId": "too-big"},
                content=content,
                headers=headers,
            )
            # then
            assert response.status_code == 413, response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert (await _count(runtime, IngestBatch), await _count(runtime, CreditRecord)) == before


@SQLITE_ONLY
@pytest.mark.parametrize("aliases", [16, 300, 500])
async def test_many_aliases_of_an_expensive_field_are_refused_unrun(client, aliases):
    # when
    query = "{ " + " ".join(f"m{i}: productMatches {{ score }}" for i in range(aliases)) + " }"
    result = await client.execute(query)
    # then: refused by the alias limit (15) or, past 2,000 tokens, the token limit
    assert result.data is None
    message = result.errors[0]["message"].lower()
    assert "aliases" in message or "token" in message, message


def _aliased_logins(phones: list[str]) -> str:
    payload = "{ token errors { code message } }"
    calls = [
        f'l{i}: login(input: {{phone: "{phone}", password: "Wrong#{i}abc"}}) {payload}'
        for i, phone in enumerate(phones)
    ]
    return "mutation { " + " ".join(calls) + " }"


async def test_aliased_logins_each_count_toward_the_account_lock(client, runtime):
    # given (the address limit over aliases is in test_accounts.py)
    await load_demo(runtime)
    # when: 15 wrong passwords for the bank's staff member in one request
    result = await client.execute(_aliased_logins([BANK_PHONE] * 15))
    # then: the fifth locks the account; every attempt was counted on its own
    codes = [result.data[f"l{i}"]["errors"][0]["code"] for i in range(15)]
    assert codes == ["INVALID_CREDENTIALS"] * 4 + ["ACCOUNT_LOCKED"] * 11
    assert await _count(runtime, ThrottleEvent) == 15
    right = await client.execute(LOGIN, {"input": {"phone": BANK_PHONE, "password": "Demo#2026"}})
    assert right.data["login"]["errors"][0]["code"] == "ACCOUNT_LOCKED"


async def test_a_batch_of_logins_is_refused_before_any_attempt(client, runtime):
    # given
    await load_demo(runtime)
    attempts = [
        {"query": LOGIN, "variables": {"input": {"phone": BANK_PHONE, "password": f"Wrong#{i}x"}}}
        for i in range(20)
    ]
    audit_rows = await _count(runtime, AuditEntry)
    # when
    response = await client.http.post("/graphql", json=attempts)
    # then
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "批量" in error["message"]
    assert await _count(runtime, ThrottleEvent) == 0
    assert await _count(runtime, AuditEntry) == audit_rows
    assert await login(client, BANK_PHONE)  # not locked


MALFORMED = {
    "truncated JSON": (b'{"query": "{ passwordRule', "application/json", "JSON"),
    "a string": (b'"{ passwordRule }"', "application/json", "JSON 对象"),
    "a number": (b"42", "application/json", "JSON 对象"),
    "null": (b"null", "application/json", "JSON 对象"),
    "invalid UTF-8": (b'{"query": "\xff\xfe{ passwordRule }"}', "application/json", "UTF-8"),
    "UTF-16": ('{"query": "{ passwordRule }"}'.encode("utf-16"), "application/json", "UTF-8"),
    "nested too deep": (b"[" * 100_000 + b"]" * 100_000, "application/json", "嵌套"),
    "variables a string": (
        b'{"query": "{ passwordRule }", "variables": "x"}',
        "application/json",
        "variables",
    ),
    "variables a list": (
        b'{"query": "{ passwordRule }", "variables": [1]}',
        "application/json",
        "variables",
    ),
    "query a number": (b'{"query": 1}', "application/json", "query"),
    "query an object": (b'{"query": {}}', "application/json", "query"),
    "no query": (b'{"variables": {}}', "application/json", "query"),
    "operationName unknown": (
        b'{"query": "{ passwordRule }", "operationName": 5}',
        "application/json",
        "operationName",
    ),
    "text/plain": (b'{"query": "{ passwordRule }"}', "text/plain", "Content-Type"),
    "form": (b"query=%7B+passwordRule+%7D", "application/x-www-form-urlencoded", "Content-Type"),
    "multipart": (b"--b\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", "Content-Type"),
    "no content type": (b'{"query": "{ passwordRule }"}', None, "Content-Type"),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_request_gets_a_coded_chinese_400(client, case):
    # given
    body, content_type, hint = MALFORMED[case]
    headers = {"content-type": content_type} if content_type else {}
    # when
    response = await client.http.post("/graphql", content=body, headers=headers)
    # then
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert CHINESE.search(error["message"]) and hint in error["message"], error


@SQLITE_ONLY
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_get_a_coded_chinese_405(client, method):
    # when
    response = await client.http.request(
        method, "/graphql", json={"query": "{ passwordRule { minLength } }"}
    )
    # then
    assert response.status_code == 405
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert CHINESE.search(error["message"]), error


@SQLITE_ONLY
async def test_get_cannot_run_a_mutation(client, runtime):
    # given
    phone = new_phone()
    mutation = (
        f'mutation {{ registerAccount(input: {{phone: "{phone}", password: "Xinrong#2026a", '
        'displayName: "x"}) { token } }'
    )
    # when
    response = await client.http.get("/graphql", params={"query": mutation})
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "变更操作只能用 POST 提交"
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(Account.id).where(Account.phone == phone)) is None


HUGE = {
    "a 900 KB password": (LOGIN, {"input": {"phone": BANK_PHONE, "password": "x" * 900_000}}),
    "a 900 KB phone": (LOGIN, {"input": {"phone": "1" * 900_000, "password": "x"}}),
    "100,000 ids": (
        "mutation M($ids: [ID!]!) { markInboxRead(ids: $ids) { errors { code message } } }",
        {"ids": [str(i) for i in range(100_000)]},
    ),
    "a 900 KB rule": (
        "query R($r: JSON!) { validateRule(rule: $r) { valid errors { code message } } }",
        {"r": {"any": [{"fact": "employees", "op": "gte", "value": i} for i in range(15_000)]}},
    ),
}


async def test_huge_variable_values_get_a_clean_answer(client, runtime):
    # given
    token = (await sign_in_as("ENTERPRISE", client, runtime)).token
    for case, (document, variables) in HUGE.items():
        # when
        body = await _send(client, document, variables, token)
        # then: refused with a code and a Chinese message (none of these can succeed)
        assert _coded_errors(body), (case, body)
        _assert_chinese(body, case)
    assert await login(client, BANK_PHONE)  # one huge failed login does not lock the account


async def test_nul_written_as_an_escape_in_the_document_is_refused_unrun(client, runtime):
    # given: NUL in a string literal, not in the variables
    phone = new_phone()
    document = (
        f'mutation {{ registerAccount(input: {{phone: "{phone}", password: "Xinrong#2026a", '
        'displayName: "a\\u0000b"}) { token } }'
    )
    # when
    result = await client.execute(document)
    # then
    assert result.data is None
    assert result.error_codes() == ["VALIDATION_ERROR"]
    assert "空字符" in result.errors[0]["message"]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(Account.id).where(Account.phone == phone)) is None
