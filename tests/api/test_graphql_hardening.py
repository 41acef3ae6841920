"""The endpoint's defences: limits that keep the caches hitting, masking, production mode."""

from __future__ import annotations

import dataclasses

import httpx
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from backend.app import create_app
from backend.identity import service as identity
from graphql_schema.schema import MASKED_MESSAGE
from tests.support.builders import load_demo, verified_enterprise_user
from tests.support.graphql import GraphQLClient

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_depth_limit(client):
    # A query nested deeper than the limit is refused by validation.
    deep = "{ me { enterprise { uscc } } }"
    ok = await client.execute(deep)
    assert ok.error_codes() == ["NOT_AUTHENTICATED"]  # valid document, just not signed in
    too_deep = "query Deep { " + "me { " * 12 + "id" + " }" * 12 + " }"
    refused = await client.execute(too_deep)
    assert refused.data is None
    assert "'Deep' exceeds maximum operation depth of 10" in [e["message"] for e in refused.errors]
    assert set(refused.error_codes()) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_errors_in_the_document_carry_a_code(client):
    # An integrator's bad document: every error names its kind in extensions.code.
    cases = {
        "syntax": "{ me { id ",
        "unknown field": "{ me { id nosuchfield } }",
        "wrong argument type": '{ loanProducts(first: "ten") { items { id } } }',
        "unknown variable type": "query Q($x: Nope) { me { id } }",
        "missing variable": "query Q($uscc: String!) { validateUscc(code: $uscc) { valid } }",
    }
    results = {name: await client.execute(query) for name, query in cases.items()}
    assert {name: r.error_codes() for name, r in results.items()} == {
        "syntax": ["GRAPHQL_PARSE_FAILED"],
        "unknown field": ["GRAPHQL_VALIDATION_FAILED"],
        "wrong argument type": ["GRAPHQL_VALIDATION_FAILED"],
        "unknown variable type": ["GRAPHQL_VALIDATION_FAILED"] * 2,
        "missing variable": ["GRAPHQL_VALIDATION_FAILED"],
    }
    assert all(r.data is None and r.errors[0]["message"] for r in results.values())


async def test_token_limit(client):
    query = "{ " + " ".join(["passwordRule"] * 2100) + " }"
    result = await client.execute(query)
    assert result.data is None
    assert "token" in result.errors[0]["message"].lower()


async def test_body_size_limit(client):
    # when
    response = await client.http.post(
        "/graphql",
        content=b'{"query": "' + b" " * (1024 * 1024 + 10) + b'{ passwordRule }"}',
        headers={"content-type": "application/json"},
    )
    # then
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_introspection_on_in_development(client):
    result = await client.execute(INTROSPECTION)
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_has_no_introspection_and_no_ide(runtime):
    # given
    settings = dataclasses.replace(runtime.settings, env="production")
    app = create_app(settings=settings, runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        client = GraphQLClient(http)
        # when
        introspection = await client.execute(INTROSPECTION)
        ide = await http.get("/graphql", headers={"accept": "text/html"})
        normal = await client.execute("{ passwordRule }")
    # then
    assert introspection.data is None and introspection.errors
    assert ide.status_code != 200 or "graphiql" not in ide.text.lower()
    assert normal.data["passwordRule"]


async def test_internal_errors_are_masked(client, monkeypatch):
    # given
    async def broken_login(**_kwargs):
        raise RuntimeError("secret internal detail: connection string postgres://x")

    monkeypatch.setattr(identity, "login", broken_login)
    # when
    result = await client.execute(
        'mutation { login(input: {phone: "13800000001", password: "x"}) { token } }'
    )
    # then
    assert result.data is None
    assert result.errors[0]["message"] == MASKED_MESSAGE
    assert result.errors[0]["extensions"] == {"code": "INTERNAL_ERROR"}
    assert "secret" not in str(result.errors)


async def test_parser_and_validation_caches_hit_with_limits_on(client):
    # given
    query = '{ passwordRule validateUscc(code: "91320505MA1DXY4036") { valid } }'
    await client.execute(query)
    parse_hits = _get_parse_cache(DEFAULT_MAXSIZE).cache_info().hits
    validate_hits = _get_validate_cache(DEFAULT_MAXSIZE).cache_info().hits
    # when
    for _ in range(3):
        await client.execute(query)
    # then
    assert _get_parse_cache(DEFAULT_MAXSIZE).cache_info().hits >= parse_hits + 3
    assert _get_validate_cache(DEFAULT_MAXSIZE).cache_info().hits >= validate_hits + 3


async def test_me_costs_a_fixed_number_of_statements(client, runtime, statement_counter):
    # given
    await load_demo(runtime)
    token = await verified_enterprise_user(client)
    statement_counter.clear()
    # when
    result = await client.execute(
        "{ me { id role enterprise { uscc name regionName } institution { name } } }", token=token
    )
    # then: one to authenticate, one for the enterprise
    assert result.data["me"]["enterprise"]["uscc"]
    selects = [s for s in statement_counter if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2, selects
