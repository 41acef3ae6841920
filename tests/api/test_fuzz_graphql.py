"""Generated bad input: hypothesis-graphql queries and mutations against the real app, per role.

For every generated call: no 5xx; every error masked and coded (tests/support/fuzz_checks.py);
no row changed that the role may not change (tests/support/fuzz_rows.py); the leak guard reads
every response. Afterwards the audit chain still verifies.

``XINRONG_FUZZ_EXAMPLES`` sets the calls per role (small here; ``make fuzz`` runs thousands,
randomised with ``XINRONG_FUZZ_RANDOM=1``); ``XINRONG_FUZZ_TRACE=DIR`` writes one JSON line per
call there, summed up by ``python -m tests.support.fuzz_tally DIR``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import strategies as st
from sqlalchemy import update

from backend.audit.service import verify_chain
from backend.enterprises.models import Enterprise
from backend.lending.models import LoanProduct
from backend.runtime import Runtime
from graphql_schema.schema import MASKED_MESSAGE
from tests.support.fuzz import fuzz_examples, fuzz_seed, fuzz_settings, operations
from tests.support.fuzz_checks import FuzzFailure, check_response
from tests.support.fuzz_roles import ROLES, Caller, sign_in_as
from tests.support.fuzz_rows import forbidden_changes, snapshot
from tests.support.fuzz_runner import run_examples
from tests.support.fuzz_tally import Tally
from tests.support.graphql import GraphQLClient


async def _call(
    client: GraphQLClient, runtime: Runtime, caller: Caller, tally: Tally, document: str
) -> None:
    """Send one generated document as ``caller`` and check everything a call must hold to."""
    # The state after the previous call is this call's state before (nothing else writes);
    # it is taken afresh after a failed call.
    before, caller.last_snapshot = caller.last_snapshot or await snapshot(runtime), None
    headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
    started = time.perf_counter()
    response = await client.http.post("/graphql", json={"query": document}, headers=headers)
    elapsed = time.perf_counter() - started
    assert client.inspect is not None
    await client.inspect(caller.token, response.text)  # the leak guard
    body = check_response(document, response.status_code, response.text)
    tally.count(document, body, elapsed)
    after = await snapshot(runtime)
    forbidden = forbidden_changes(caller.owner, before, after)
    if forbidden:
        raise FuzzFailure(
            f"{caller.owner.role} changed rows it may not change:\n{document}\n"
            + "\n".join(forbidden)
        )
    await caller.renew_if_signed_out(runtime)
    caller.last_snapshot = after


@pytest.mark.parametrize("role", ROLES)
async def test_generated_calls_never_fail_badly(role, client, runtime, db_backend):
    # given
    caller = await sign_in_as(role, client, runtime)
    tally = Tally(role, db_backend)
    # when
    await run_examples(
        operations(role),
        lambda document: _call(client, runtime, caller, tally, document),
        fuzz_settings(),
        fuzz_seed(role),
    )
    # then
    print(tally.summary())
    if os.environ.get("XINRONG_FUZZ_TRACE"):
        trace = Path(os.environ["XINRONG_FUZZ_TRACE"]) / f"{db_backend}-{role}.jsonl"
        await asyncio.to_thread(tally.write_to, trace)
    assert tally.calls >= fuzz_examples()
    async with runtime.sessionmaker() as session:
        report = await verify_chain(session, keyring=runtime.keyring)
    assert report.ok, report


# The checks above can fail: each is shown catching what it exists to catch.

SQLITE_ONLY = pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)


def _errors(*errors: dict) -> str:
    return json.dumps({"data": None, "errors": list(errors)}, ensure_ascii=False)


BAD_ANSWERS = {
    "a 500": (500, _errors({"message": "x"}), "HTTP 500"),
    "not JSON": (200, "<html>oops</html>", "non-JSON"),
    "masked": (200, _errors({"message": MASKED_MESSAGE, "path": ["me"]}), "masked"),
    "no code": (200, _errors({"message": "boom", "path": ["me"]}), "without a known code"),
    "SQL": (200, _errors({"message": "(sqlite3.IntegrityError) UNIQUE constraint"}), "internal"),
    "traceback in a payload": (
        200,
        json.dumps({"data": {"login": {"errors": [{"message": "Traceback (most recent"}]}}}),
        "internal",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_the_response_check_catches_bad_answers(case):
    status, text, caught = BAD_ANSWERS[case]
    with pytest.raises(FuzzFailure, match=caught):
        check_response("{ me { id } }", status, text)


def test_the_response_check_passes_clean_answers():
    check_response("{ me { id } }", 200, '{"data": {"me": null}}')
    coded = {"message": "请先登录", "path": ["me"], "extensions": {"code": "NOT_AUTHENTICATED"}}
    check_response("{ me { id } }", 200, _errors(coded))
    check_response("{ x }", 200, _errors({"message": "Cannot query field 'x' on type 'Query'."}))


@SQLITE_ONLY
async def test_the_row_check_catches_a_forbidden_change_and_allows_an_own_one(client, runtime):
    # given
    enterprise = await sign_in_as("ENTERPRISE", client, runtime)
    before = await snapshot(runtime)
    # when: another firm's row and a product change, and the firm's own row
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Enterprise)
            .where(Enterprise.id != enterprise.owner.enterprise_id)
            .values(name="改名")
        )
        await session.execute(update(LoanProduct).values(description="改了"))
        await session.execute(
            update(Enterprise)
            .where(Enterprise.id == enterprise.owner.enterprise_id)
            .values(name="本企业")
        )
        await session.commit()
    found = forbidden_changes(enterprise.owner, before, await snapshot(runtime))
    # then
    tables = {line.split(":")[0] for line in found}
    assert tables == {"enterprises", "loan_products"}
    own = enterprise.owner.enterprise_id
    assert not any(line.startswith(f"enterprises: ({own},)") for line in found)


def test_the_runner_reports_the_smallest_failing_example():
    async def example(value: int) -> None:
        if value >= 10:
            raise FuzzFailure(f"too big: {value}")

    async def run() -> None:
        await run_examples(st.integers(0, 1000), example, fuzz_settings(), 1)

    with pytest.raises(FuzzFailure, match=r"too big: 10\n"):
        asyncio.run(run())
