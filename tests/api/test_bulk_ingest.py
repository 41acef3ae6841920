"""The bulk path: POST /ingest/{category} streaming JSON Lines or CSV into one batch."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from backend.credit import bulk
from backend.credit.models import CreditRecord, IngestBatch
from tests.support.builders import provider_token, register, registered_enterprise

USCC = "91440300708461136T"
NAME = "深圳示例科技有限公司"
JSONL = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv; charset=utf-8"}


def water(i: int) -> dict:
    year, month = 2000 + i // 12, i % 12 + 1
    return {
        "uscc": USCC,
        "name": NAME,
        "account_no": "W-001",
        "month": f"{year}-{month:02d}",
        "amount_paid": str(100 + i),
        "usage": "12.5",
        "in_arrears": i % 50 == 0,
    }


def jsonl(rows: list) -> bytes:
    return "\n".join(
        r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows
    ).encode()


@pytest.fixture
async def provider(client, runtime):
    await registered_enterprise(
        client, runtime, uscc=USCC, name=NAME, id_number="11010519491231002X"
    )
    return await provider_token(client, runtime, code="water", categories=["water_fee"])


async def post(
    client,
    token,
    body: bytes,
    *,
    batch_id="bulk-1",
    headers=JSONL,
    category="water_fee",
    all_or_nothing=False,
):
    response = await client.http.post(
        f"/ingest/{category}",
        params={"batchId": batch_id, "allOrNothing": str(all_or_nothing).lower()},
        content=body,
        headers={**headers, **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    return response.status_code, response.json()


async def stored(runtime, *, current_only=True) -> int:
    async with runtime.sessionmaker() as session:
        query = (
            select(func.count())
            .select_from(CreditRecord)
            .where(CreditRecord.category == "water_fee")
        )
        if current_only:
            query = query.where(CreditRecord.is_current.is_(True))
        return (await session.execute(query)).scalar_one()


async def test_a_file_over_several_chunks_loads_as_one_batch(
    client, runtime, provider, monkeypatch
):
    # given chunks of 100 rows and a file of 250
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 100)
    # when
    status, body = await post(client, provider, jsonl([water(i) for i in range(250)]))
    # then
    assert status == 200, body
    assert body["batch"]["status"] == "ACCEPTED"
    assert (body["batch"]["accepted"], body["batch"]["rejected"]) == (250, 0)
    assert await stored(runtime) == 250


async def test_the_same_file_again_changes_nothing_and_other_content_conflicts(
    client, runtime, provider
):
    file = jsonl([water(i) for i in range(30)])
    first = await post(client, provider, file)
    again = await post(client, provider, file)
    other = await post(client, provider, jsonl([water(i) for i in range(31)]))
    assert first[1]["batch"]["replayed"] is False
    assert again[0] == 200 and again[1]["batch"]["replayed"] is True
    assert again[1]["batch"]["id"] == first[1]["batch"]["id"]
    assert other[0] == 409 and other[1]["errors"][0]["code"] == "CONFLICT"
    assert await stored(runtime) == 30


async def test_bad_rows_are_reported_by_index_and_good_rows_kept(client, runtime, provider):
    rows = [
        water(0),
        "{not json",
        {**water(2), "amount_paid": "很多"},
        {k: v for k, v in water(3).items() if k != "month"},
        {**water(4), "uscc": "91440300708461136X"},
        {**water(5), "uscc": "914403001922038216"},
        water(6),
    ]
    status, body = await post(client, provider, jsonl(rows))
    assert status == 200
    assert body["batch"]["status"] == "PARTIAL"
    assert [(e["index"], e["code"], e["field"]) for e in body["rowErrors"]] == [
        (1, "VALIDATION_ERROR", None),
        (2, "VALIDATION_ERROR", "amount_paid"),
        (3, "VALIDATION_ERROR", "month"),
        (4, "INVALID_USCC", "uscc"),
        (5, "ENTERPRISE_NOT_FOUND", "uscc"),
    ]
    assert "JSON" in body["rowErrors"][0]["message"]
    assert await stored(runtime) == 2


async def test_all_or_nothing_leaves_nothing_of_earlier_chunks(
    client, runtime, provider, monkeypatch
):
    # given a bad row in the third chunk
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 10)
    rows = [water(i) for i in range(30)]
    rows[25] = {**rows[25], "usage": "-1"}
    # when
    status, body = await post(client, provider, jsonl(rows), all_or_nothing=True)
    # then
    assert status == 200
    assert body["batch"]["status"] == "REJECTED"
    assert (body["batch"]["accepted"], body["batch"]["rejected"]) == (0, 1)
    assert body["rowErrors"][0]["index"] == 25
    assert await stored(runtime, current_only=False) == 0
    # and sending it again is a replay of the refusal
    again = await post(client, provider, jsonl(rows), all_or_nothing=True)
    assert again[1]["batch"]["replayed"] is True and again[1]["batch"]["status"] == "REJECTED"


async def test_csv_with_bom_quotes_newlines_and_empty_cells(client, runtime, provider):
    csv_text = (
        "\ufeffuscc,name,account_no,month,amount_paid,usage,in_arrears\r\n"
        f'{USCC},"{NAME}, 总部",W-9,2026-01,100,1.5,否\r\n'
        f'{USCC},"{NAME}\n二号楼",W-9,2026-02,100,,是\r\n'
        f"{USCC},{NAME},W-9,2026-03,100\r\n"
    )
    status, body = await post(client, provider, csv_text.encode(), headers=CSV)
    assert status == 200, body
    assert (body["batch"]["accepted"], body["batch"]["rejected"]) == (2, 1)
    assert body["rowErrors"][0]["index"] == 2 and "列" in body["rowErrors"][0]["message"]
    async with runtime.sessionmaker() as session:
        fields = (
            (
                await session.execute(
                    select(CreditRecord.fields)
                    .where(CreditRecord.category == "water_fee")
                    .order_by(CreditRecord.natural_key)
                )
            )
            .scalars()
            .all()
        )
    assert fields[0]["name"] == f"{NAME}, 总部" and fields[0]["in_arrears"] is False
    assert fields[1]["name"] == f"{NAME}\n二号楼" and "usage" not in fields[1]


async def test_bulk_bodies_may_pass_the_graphql_size_limit(client, runtime, provider):
    rows = [
        {**water(i % 200), "account_no": f"W-{i // 200}", "name": NAME + "·" * 180}
        for i in range(2500)
    ]
    body = jsonl(rows)
    assert len(body) > 1024 * 1024
    status, payload = await post(client, provider, body)
    assert status == 200 and payload["batch"]["accepted"] == 2500


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("anonymous", 401, "FORBIDDEN"),
        ("enterprise", 403, "FORBIDDEN"),
        ("wrong category", 403, "FORBIDDEN"),
        ("unknown category", 404, "UNKNOWN_CATEGORY"),
        ("bad content type", 400, "VALIDATION_ERROR"),
        ("no batch id", 400, "VALIDATION_ERROR"),
        ("empty file", 400, "VALIDATION_ERROR"),
    ],
)
async def test_refused_calls(client, runtime, provider, case, status, code):
    enterprise = await register(client)
    file = jsonl([water(0)])
    calls = {
        "anonymous": dict(token=None),
        "enterprise": dict(token=enterprise),
        "wrong category": dict(token=provider, category="tax"),
        "unknown category": dict(token=provider, category="nope"),
        "bad content type": dict(token=provider, headers={"Content-Type": "application/pdf"}),
        "no batch id": dict(token=provider, batch_id=""),
        "empty file": dict(token=provider, body=b"\n\n"),
    }
    call = calls[case]
    got_status, body = await post(client, call.pop("token"), call.pop("body", file), **call)
    assert (got_status, body["errors"][0]["code"]) == (status, code)
    async with runtime.sessionmaker() as session:
        batches = (
            await session.execute(select(func.count()).select_from(IngestBatch))
        ).scalar_one()
    assert await stored(runtime) == 0
    assert batches == 1  # only the registration batch of the fixture
