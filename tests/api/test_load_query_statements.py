"""The profile query of the load benchmark (benchmarks/api_load.py, the web page's credit view)
costs a fixed number of SQL statements, however many records the firm holds: no statement per
record, per category or per factor, so a firm with years of records costs the database what a
new one does. (productMatches has its own such test in test_product_matches.py.)"""

from __future__ import annotations

from benchmarks.api_load import PROFILE
from tests.support.builders import ingest, penalty, provider_token, registered_enterprise

USCC = "91440300708461136T"  # the firm penalty() is written for


async def _profile_statements(client, token, statement_counter) -> tuple[dict, int]:
    statement_counter.clear()
    result = await client.execute(PROFILE, token=token)
    assert result.errors == [], result.errors
    return result.data["myCreditProfile"], len(statement_counter)


async def test_the_profile_page_costs_the_same_statements_with_many_records(
    client, runtime, statement_counter
):
    # given a verified firm with its registration only
    firm = await registered_enterprise(
        client, runtime, uscc=USCC, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )
    _, few = await _profile_statements(client, firm, statement_counter)

    # when the credit office sends it fifteen penalties
    office = await provider_token(client, runtime, code="credit", categories=["admin_penalty"])
    payload = await ingest(client, office, "admin_penalty", [penalty(f"罚-{i}") for i in range(15)])
    assert payload["batch"]["accepted"] == 15, payload
    shown, many = await _profile_statements(client, firm, statement_counter)

    # then the page shows them at the same cost: sign-in, the firm, the audit row (head, update,
    # insert), the summaries, the evaluation's records and the declarations (two)
    counts = {s["category"]: s["count"] for s in shown["categorySummaries"]}
    assert counts["admin_penalty"] == 15
    assert many == few
    assert few <= 9, few


async def test_the_profile_page_takes_one_connection_from_the_pool(client, runtime, pool_checkouts):
    # given a verified firm that has read its profile once (caches warm)
    firm = await registered_enterprise(
        client, runtime, uscc=USCC, name="深圳示例科技有限公司", id_number="11010519491231002X"
    )
    await client.execute(PROFILE, token=firm)
    pool_checkouts.clear()
    # when it reads it again: sign-in lookup, the firm, evaluation, summaries, declarations
    result = await client.execute(PROFILE, token=firm)
    # then all of them ran on one pooled connection (its audit row on the batcher's own)
    assert result.errors == [], result.errors
    assert len(pool_checkouts) == 1
