"""grantAuthorization, revokeAuthorization, myAuthorizations, consentPreview,
receivedAuthorizations: who may grant what, the consent text kept with the grant, and bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from backend.audit.models import AuditEntry
from backend.consent.models import Authorization
from backend.consent.text import load_consent_template
from backend.db.base import utcnow
from backend.institutions.models import Institution
from tests.support.builders import (
    DEMO_ENTERPRISES,
    GRANT,
    demo_bank,
    grant,
    institution_user,
    load_demo,
    register,
    verified_enterprise_user,
)

REVOKE = """
mutation Revoke($id: ID!) {
  revokeAuthorization(id: $id) {
    authorization { id status revokedAt }
    errors { code field message }
  }
}
"""
MINE = """
query Mine($status: AuthorizationStatus) {
  myAuthorizations(status: $status) {
    id institutionName scopes scopeLabels purpose purposeLabel status validUntil consentText
  }
}
"""
RECEIVED = """
query { receivedAuthorizations { id enterpriseUscc enterpriseName scopes status } }
"""
PREVIEW = """
query Preview($input: GrantAuthorizationInput!) {
  consentPreview(input: $input) { version title text errors { code field message } }
}
"""
SCOPES = "query { grantableScopes { code label } }"


def grant_input(institution_id: int, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "institutionId": str(institution_id),
        "scopes": ["tax", "water_fee"],
        "purpose": "PRE_LOAN",
        "validDays": 30,
    }
    values.update(overrides)
    return {"input": values}


async def grants_in_db(runtime) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Authorization))).scalar_one()


async def test_grant_keeps_the_consent_text_and_is_listed_and_audited(client, runtime):
    # given a verified enterprise and the demo bank
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    # when it grants tax and water data for pre-loan checks, for 30 days
    authorization = await grant(client, firm, bank.institution_id, ["tax", "water_fee", "tax"])

    # then the grant holds the scopes once each, expires in 30 days, and keeps the text it showed
    assert authorization["scopes"] == ["tax", "water_fee"]
    assert authorization["status"] == "ACTIVE"
    assert authorization["consentVersion"] == load_consent_template().version
    text = authorization["consentText"]
    assert "临沂示范银行" in text and "纳税、水费" in text and "贷前调查" in text
    assert DEMO_ENTERPRISES[0].name in text and DEMO_ENTERPRISES[0].uscc in text
    assert "身份证号码" not in text.split("四、")[0]  # no identity clause without the scope
    mine = (await client.execute(MINE, token=firm)).data["myAuthorizations"]
    assert [m["id"] for m in mine] == [authorization["id"]]
    assert mine[0]["scopeLabels"] == ["纳税", "水费"] and mine[0]["purposeLabel"] == "贷前调查"
    async with runtime.sessionmaker() as session:
        row = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "authorization.grant")
            )
        ).scalar_one()
    assert row.institution_id == bank.institution_id and row.details["scopes"] == [
        "tax",
        "water_fee",
    ]


async def test_identity_scope_adds_the_separate_consent_clause(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    authorization = await grant(client, firm, bank.institution_id, ["legal_rep_identity"])

    assert "单独同意" in authorization["consentText"]
    assert "（无，仅身份核验）" in authorization["consentText"]


async def test_bad_grant_input_reports_every_field_and_writes_nothing(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    result = await client.execute(
        GRANT, grant_input(bank.institution_id, scopes=[], validDays=0), token=firm
    )

    errors = result.data["grantAuthorization"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {
        ("VALIDATION_ERROR", "scopes"),
        ("VALIDATION_ERROR", "validDays"),
    }
    assert await grants_in_db(runtime) == 0


async def test_unknown_and_public_categories_are_refused_with_their_reason(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    unknown = await client.execute(
        GRANT, grant_input(bank.institution_id, scopes=["tax", "bank_secrets"]), token=firm
    )
    public = await client.execute(
        GRANT, grant_input(bank.institution_id, scopes=["admin_penalty"]), token=firm
    )
    too_long = await client.execute(
        GRANT, grant_input(bank.institution_id, validDays=366), token=firm
    )

    assert [e["code"] for e in unknown.data["grantAuthorization"]["errors"]] == ["UNKNOWN_CATEGORY"]
    public_errors = public.data["grantAuthorization"]["errors"]
    assert [e["code"] for e in public_errors] == ["VALIDATION_ERROR"]
    assert "公开信息" in public_errors[0]["message"]
    assert [e["field"] for e in too_long.data["grantAuthorization"]["errors"]] == ["validDays"]
    assert await grants_in_db(runtime) == 0


async def test_grant_to_an_unknown_or_suspended_institution_is_not_found(client, runtime):
    await load_demo(runtime)
    other = await institution_user(client, runtime, name="暂停银行")
    firm = await verified_enterprise_user(client)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Institution)
            .where(Institution.id == other.institution_id)
            .values(status="SUSPENDED")
        )
        await session.commit()

    for institution_id in (other.institution_id, 999999, "abc"):
        result = await client.execute(GRANT, grant_input(institution_id), token=firm)
        errors = result.data["grantAuthorization"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "institutionId")]
    assert await grants_in_db(runtime) == 0


async def test_an_outdated_consent_version_is_a_conflict(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    stale = await client.execute(
        GRANT, grant_input(bank.institution_id, consentVersion="consent-2020.1"), token=firm
    )
    current = await client.execute(
        GRANT,
        grant_input(bank.institution_id, consentVersion=load_consent_template().version),
        token=firm,
    )

    assert [e["code"] for e in stale.data["grantAuthorization"]["errors"]] == ["CONFLICT"]
    assert current.data["grantAuthorization"]["errors"] == []


async def test_only_a_verified_enterprise_may_grant(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    unverified = await register(client)

    as_unverified = await client.execute(GRANT, grant_input(bank.institution_id), token=unverified)
    as_bank = await client.execute(GRANT, grant_input(bank.institution_id), token=bank.token)
    anonymous = await client.execute(GRANT, grant_input(bank.institution_id))

    assert [e["code"] for e in as_unverified.data["grantAuthorization"]["errors"]] == ["FORBIDDEN"]
    assert as_bank.error_codes() == ["FORBIDDEN"]
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]


async def test_preview_shows_the_text_that_will_be_stored(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)

    preview = (await client.execute(PREVIEW, grant_input(bank.institution_id), token=firm)).data[
        "consentPreview"
    ]
    bad = (
        await client.execute(PREVIEW, grant_input(bank.institution_id, scopes=["x"]), token=firm)
    ).data["consentPreview"]

    assert preview["errors"] == [] and preview["version"] == load_consent_template().version
    assert "临沂示范银行" in preview["text"] and "纳税、水费" in preview["text"]
    assert preview["title"] == "信用信息查询使用授权书"
    assert [e["code"] for e in bad["errors"]] == ["UNKNOWN_CATEGORY"] and bad["text"] is None
    assert await grants_in_db(runtime) == 0


async def test_grantable_scopes_are_the_non_public_categories_and_identity(client, runtime):
    scopes = {s["code"]: s["label"] for s in (await client.execute(SCOPES)).data["grantableScopes"]}

    assert scopes["water_fee"] == "水费" and scopes["tech_rnd"] == "科技研发"
    assert scopes["legal_rep_identity"] == "法定代表人身份证号码"
    assert "admin_penalty" not in scopes and "registration" not in scopes


async def test_revoke_is_immediate_once_and_only_by_the_granting_enterprise(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    other_firm = await verified_enterprise_user(client, DEMO_ENTERPRISES[1])
    authorization = await grant(client, firm, bank.institution_id, ["tax"])

    by_other = await client.execute(REVOKE, {"id": authorization["id"]}, token=other_firm)
    by_bank = await client.execute(REVOKE, {"id": authorization["id"]}, token=bank.token)
    revoked = await client.execute(REVOKE, {"id": authorization["id"]}, token=firm)
    again = await client.execute(REVOKE, {"id": authorization["id"]}, token=firm)
    garbage = await client.execute(REVOKE, {"id": "1e9"}, token=firm)

    assert [e["code"] for e in by_other.data["revokeAuthorization"]["errors"]] == ["NOT_FOUND"]
    assert by_bank.error_codes() == ["FORBIDDEN"]
    payload = revoked.data["revokeAuthorization"]
    assert payload["errors"] == [] and payload["authorization"]["status"] == "REVOKED"
    assert [e["code"] for e in again.data["revokeAuthorization"]["errors"]] == ["CONFLICT"]
    assert [e["code"] for e in garbage.data["revokeAuthorization"]["errors"]] == ["NOT_FOUND"]
    active = (await client.execute(MINE, {"status": "ACTIVE"}, token=firm)).data
    assert active["myAuthorizations"] == []


async def test_expired_grants_show_as_expired(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    firm = await verified_enterprise_user(client)
    authorization = await grant(client, firm, bank.institution_id, ["tax"])
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Authorization).values(valid_until=utcnow() - timedelta(seconds=1))
        )
        await session.commit()

    expired = (await client.execute(MINE, {"status": "EXPIRED"}, token=firm)).data
    revoke = await client.execute(REVOKE, {"id": authorization["id"]}, token=firm)

    assert [a["status"] for a in expired["myAuthorizations"]] == ["EXPIRED"]
    assert [e["code"] for e in revoke.data["revokeAuthorization"]["errors"]] == ["CONFLICT"]


async def test_an_institution_sees_only_the_grants_made_to_it(client, runtime):
    await load_demo(runtime)
    bank = await demo_bank(client, runtime)
    other = await institution_user(client, runtime, name="另一家银行")
    firm = await verified_enterprise_user(client)
    await grant(client, firm, bank.institution_id, ["tax"])

    to_bank = (await client.execute(RECEIVED, token=bank.token)).data["receivedAuthorizations"]
    to_other = (await client.execute(RECEIVED, token=other.token)).data["receivedAuthorizations"]
    as_firm = await client.execute(RECEIVED, token=firm)

    assert [(g["enterpriseUscc"], g["scopes"]) for g in to_bank] == [
        (DEMO_ENTERPRISES[0].uscc, ["tax"])
    ]
    assert to_other == []
    assert as_firm.error_codes() == ["FORBIDDEN"]
