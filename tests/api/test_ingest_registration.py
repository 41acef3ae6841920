"""Registration records in: validation, row errors, idempotent batches, versions, encryption."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from backend.credit.models import CreditRecord, IngestBatch
from backend.enterprises.models import Enterprise
from tests.support.builders import (
    BANK_PHONE,
    PROVIDER_PHONE,
    load_demo,
    login,
    register,
)

INGEST = """
mutation Ingest($input: IngestCreditRecordsInput!) {
  ingestCreditRecords(input: $input) {
    batch { id batchId category status accepted rejected replayed }
    rowErrors { index code field message }
    errors { code field message }
  }
}
"""
GOOD_ROW = {
    "uscc": "91440300708461136T",
    "name": "深圳示例科技有限公司",
    "legal_rep_name": "赵六",
    "legal_rep_id_number": "11010519491231002X",
    "established_on": "2010-01-01",
    "registered_capital": "10000000",
    "industry_code": "I65",
    "address": "深圳市南山区",
    "status": "存续",
}


@pytest.fixture
async def provider_token(client, runtime):
    await load_demo(runtime)
    return await login(client, PROVIDER_PHONE)


async def ingest(client, token, records, batch_id="b-1", category="registration"):
    result = await client.execute(
        INGEST,
        {"input": {"batchId": batch_id, "category": category, "records": records}},
        token=token,
    )
    return result.data["ingestCreditRecords"] if result.data else result


async def test_a_good_batch_creates_the_enterprise(client, runtime, provider_token):
    # when
    payload = await ingest(client, provider_token, [GOOD_ROW])
    # then
    assert payload["errors"] == [] and payload["rowErrors"] == []
    assert payload["batch"]["status"] == "ACCEPTED"
    assert (payload["batch"]["accepted"], payload["batch"]["rejected"]) == (1, 0)
    async with runtime.sessionmaker() as session:
        enterprise = (
            await session.execute(select(Enterprise).where(Enterprise.uscc == GOOD_ROW["uscc"]))
        ).scalar_one()
        record = (
            await session.execute(
                select(CreditRecord).where(CreditRecord.enterprise_id == enterprise.id)
            )
        ).scalar_one()
    assert enterprise.region_code == "440300" and enterprise.entity_type == "enterprise"
    assert enterprise.legal_rep_id_masked == "110105********002X"
    assert record.fields["legal_rep_id_number"] == "110105********002X"
    assert record.fields["registered_capital"] == "10000000.00"


async def test_id_numbers_are_never_stored_in_clear(client, runtime, provider_token):
    await ingest(client, provider_token, [GOOD_ROW])
    async with runtime.engine.connect() as connection:
        for table in ("enterprises", "credit_records", "audit_log", "ingest_batches"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            assert "11010519491231002X" not in repr(rows), table
            assert "110105194912" not in repr(rows), table


async def test_row_errors_are_reported_and_good_rows_kept(client, runtime, provider_token):
    # given
    rows = [
        GOOD_ROW,
        {**GOOD_ROW, "uscc": "91440300708461136X"},
        {**GOOD_ROW, "uscc": "914403001922038216", "legal_rep_id_number": "110105194912310021"},
        {**GOOD_ROW, "uscc": "914403001922038216", "established_on": "2010-13-01"},
        {**GOOD_ROW, "uscc": "914403001922038216", "status": "不存在的状态"},
        {**GOOD_ROW, "uscc": "914403001922038216", "registered_capital": "很多"},
        {**GOOD_ROW, "uscc": "914403001922038216", "industry_code": "Z99"},
        {k: v for k, v in GOOD_ROW.items() if k != "name"},
        {**GOOD_ROW, "unexpected": 1},
        "not an object",
        GOOD_ROW,
    ]
    # when
    payload = await ingest(client, provider_token, rows)
    # then
    assert payload["batch"]["status"] == "PARTIAL"
    assert (payload["batch"]["accepted"], payload["batch"]["rejected"]) == (1, 10)
    errors = {e["index"]: (e["code"], e["field"]) for e in payload["rowErrors"]}
    assert errors == {
        1: ("INVALID_USCC", "uscc"),
        2: ("INVALID_ID_NUMBER", "legal_rep_id_number"),
        3: ("VALIDATION_ERROR", "established_on"),
        4: ("VALIDATION_ERROR", "status"),
        5: ("VALIDATION_ERROR", "registered_capital"),
        6: ("VALIDATION_ERROR", "industry_code"),
        7: ("VALIDATION_ERROR", "name"),
        8: ("VALIDATION_ERROR", "unexpected"),
        9: ("VALIDATION_ERROR", None),
        10: ("VALIDATION_ERROR", None),
    }
    assert all(e["message"] for e in payload["rowErrors"])


async def test_the_same_batch_twice_changes_nothing(client, runtime, provider_token):
    # given
    first = await ingest(client, provider_token, [GOOD_ROW])
    # when
    again = await ingest(client, provider_token, [GOOD_ROW])
    # then
    assert again["batch"]["id"] == first["batch"]["id"]
    assert again["batch"]["replayed"] is True and first["batch"]["replayed"] is False
    async with runtime.sessionmaker() as session:
        records = (
            (
                await session.execute(
                    select(CreditRecord).where(CreditRecord.uscc == GOOD_ROW["uscc"])
                )
            )
            .scalars()
            .all()
        )
        batches = (await session.execute(select(IngestBatch))).scalars().all()
    assert len(records) == 1
    assert len([b for b in batches if b.external_batch_id == "b-1"]) == 1


async def test_a_used_batch_id_with_other_content_is_a_conflict(client, provider_token):
    await ingest(client, provider_token, [GOOD_ROW])
    payload = await ingest(client, provider_token, [{**GOOD_ROW, "name": "改名公司"}])
    assert payload["batch"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("CONFLICT", "batchId")]


async def test_a_correction_is_a_new_version_and_the_old_is_kept(client, runtime, provider_token):
    # given
    await ingest(client, provider_token, [GOOD_ROW], batch_id="b-1")
    # when
    await ingest(client, provider_token, [{**GOOD_ROW, "address": "深圳市福田区"}], batch_id="b-2")
    await ingest(client, provider_token, [{**GOOD_ROW, "address": "深圳市福田区"}], batch_id="b-3")
    # then
    async with runtime.sessionmaker() as session:
        versions = (
            await session.execute(
                select(CreditRecord.version, CreditRecord.is_current, CreditRecord.fields)
                .where(CreditRecord.uscc == GOOD_ROW["uscc"])
                .order_by(CreditRecord.version)
            )
        ).all()
        enterprise = (
            await session.execute(select(Enterprise).where(Enterprise.uscc == GOOD_ROW["uscc"]))
        ).scalar_one()
    assert [(v, c, f["address"]) for v, c, f in versions] == [
        (1, False, "深圳市南山区"),
        (2, True, "深圳市福田区"),
    ]
    assert enterprise.address == "深圳市福田区"


async def test_a_changed_legal_representative_is_what_verification_checks(
    client, runtime, provider_token
):
    await ingest(client, provider_token, [GOOD_ROW], batch_id="b-1")
    changed = {**GOOD_ROW, "legal_rep_name": "钱七", "legal_rep_id_number": "371302198001011239"}
    await ingest(client, provider_token, [changed], batch_id="b-2")
    token = await register(client)
    from tests.support.builders import VERIFY

    old = await client.execute(
        VERIFY,
        {
            "input": {
                "uscc": GOOD_ROW["uscc"],
                "name": GOOD_ROW["name"],
                "legalRepName": "赵六",
                "legalRepIdNumber": "11010519491231002X",
            }
        },
        token=token,
    )
    new = await client.execute(
        VERIFY,
        {
            "input": {
                "uscc": GOOD_ROW["uscc"],
                "name": GOOD_ROW["name"],
                "legalRepName": "钱七",
                "legalRepIdNumber": "371302198001011239",
            }
        },
        token=token,
    )
    assert old.data["verifyEnterprise"]["errors"][0]["code"] == "IDENTITY_MISMATCH"
    assert new.data["verifyEnterprise"]["errors"] == []


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"batchId": "", "category": "registration"}, "VALIDATION_ERROR", "batchId"),
        ({"batchId": "has space", "category": "registration"}, "VALIDATION_ERROR", "batchId"),
        ({"batchId": "b-9", "category": "no_such_category"}, "UNKNOWN_CATEGORY", "category"),
    ],
)
async def test_bad_batch_input(client, provider_token, variables, code, field):
    result = await client.execute(
        INGEST, {"input": {**variables, "records": [GOOD_ROW]}}, token=provider_token
    )
    payload = result.data["ingestCreditRecords"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]


async def test_an_empty_batch_is_refused(client, provider_token):
    payload = await ingest(client, provider_token, [])
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION_ERROR", "records")]


async def test_a_rejected_batch_writes_no_record(client, runtime, provider_token):
    payload = await ingest(client, provider_token, [{**GOOD_ROW, "uscc": "bad"}])
    assert payload["batch"]["status"] == "REJECTED"
    async with runtime.sessionmaker() as session:
        count = len(
            (
                await session.execute(
                    select(CreditRecord.id).where(CreditRecord.uscc == GOOD_ROW["uscc"])
                )
            ).all()
        )
    assert count == 0


async def test_only_data_providers_ingest(client, runtime, provider_token):
    bank = await login(client, BANK_PHONE)
    enterprise = await register(client)
    for token, code in (
        (bank, "FORBIDDEN"),
        (enterprise, "FORBIDDEN"),
        (None, "NOT_AUTHENTICATED"),
    ):
        result = await client.execute(
            INGEST,
            {"input": {"batchId": "x-1", "category": "registration", "records": [GOOD_ROW]}},
            token=token,
        )
        assert result.error_codes() == [code]
        assert result.data is None
