"""Government staff admit institutions, issue and revoke API tokens, suspend and revoke them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.audit.models import AuditEntry
from backend.clock import china_today
from backend.db.base import utcnow
from backend.identity.uscc import uscc_check_character
from backend.institutions.models import ApiToken, Institution
from backend.security.tokens import hash_token
from tests.support.builders import (
    BANK_PHONE,
    GOOD_PASSWORD,
    GOVERNMENT_PHONE,
    LOGIN,
    load_demo,
    login,
    new_phone,
    register,
)

DEMO_BANK_USCC = "91371300MA3DEM0B1A"

ONBOARD = """
mutation Onboard($input: OnboardInstitutionInput!) {
  onboardInstitution(input: $input) {
    institution {
      id name uscc kind status regionCodes statusReason statusChangedAt createdAt
      securityAssessment { reportNumber assessedOn assessor passed summary }
    }
    errors { code field message }
  }
}
"""
SET_STATUS = """
mutation SetStatus($input: SetInstitutionStatusInput!) {
  setInstitutionStatus(input: $input) {
    institution { id status statusReason statusChangedAt }
    errors { code field message }
  }
}
"""
CREATE_STAFF = """
mutation CreateStaff($input: CreateStaffAccountInput!) {
  createStaffAccount(input: $input) {
    account { id role }
    errors { code field message }
  }
}
"""
CREATE_TOKEN = """
mutation CreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    token
    apiToken {
      id name scopes tokenHint accountId status createdAt expiresAt revokedAt lastUsedAt
    }
    errors { code field message }
  }
}
"""
REVOKE_TOKEN = """
mutation RevokeToken($id: ID!) {
  revokeApiToken(id: $id) {
    apiToken { id status revokedAt }
    errors { code field message }
  }
}
"""
API_TOKENS = """
query Tokens($institutionId: ID!) {
  apiTokens(institutionId: $institutionId) { id name status tokenHint scopes }
}
"""
MANAGED = """
query Managed($status: InstitutionStatus) {
  managedInstitutions(status: $status) { id name uscc status regionCodes }
}
"""
PUBLIC_INSTITUTIONS = "{ institutions { id name kind } }"
ME = "{ me { id role institution { id name } } }"

_serials = iter(range(1, 1000))


def new_uscc() -> str:
    """A valid, unused USCC of a Linyi enterprise."""
    first17 = f"91371300MA3XRN{next(_serials):03d}"
    return first17 + uscc_check_character(first17)


def onboard_input(**overrides) -> dict:
    assessment = {
        "reportNumber": "临发改安评〔2026〕12号",
        "assessedOn": (china_today() - timedelta(days=30)).isoformat(),
        "assessor": "山东省网络安全测评中心",
        "passed": True,
        "summary": "等级保护三级，接口与数据安全评估通过",
    }
    assessment.update(overrides.pop("securityAssessment", {}))
    values = {
        "name": "沂蒙农商银行",
        "uscc": new_uscc(),
        "kind": "BANK",
        "regionCodes": ["3713"],
        "securityAssessment": assessment,
    }
    values.update(overrides)
    return {"input": values}


async def onboard(client, government: str, **overrides) -> dict:
    """Admit a new institution; returns it."""
    result = await client.execute(ONBOARD, onboard_input(**overrides), token=government)
    payload = result.data["onboardInstitution"]
    assert payload["errors"] == [], payload["errors"]
    return payload["institution"]


async def staff_of(client, government: str, institution_id: str) -> tuple[str, str]:
    """A new staff account of the institution; returns (account id, phone)."""
    phone = new_phone()
    result = await client.execute(
        CREATE_STAFF,
        {
            "input": {
                "phone": phone,
                "password": GOOD_PASSWORD,
                "displayName": "系统对接员",
                "role": "INSTITUTION",
                "institutionId": institution_id,
            }
        },
        token=government,
    )
    payload = result.data["createStaffAccount"]
    assert payload["errors"] == [], payload["errors"]
    return payload["account"]["id"], phone


def token_input(institution_id: str, account_id: str, **overrides) -> dict:
    values = {
        "institutionId": institution_id,
        "accountId": account_id,
        "name": "信贷系统（生产）",
        "scopes": ["REPORTS", "APPLICATIONS"],
        "validDays": 90,
    }
    values.update(overrides)
    return {"input": values}


async def issue_token(client, government: str, institution_id: str, account_id: str):
    """A new API token; returns (token, apiToken)."""
    result = await client.execute(
        CREATE_TOKEN, token_input(institution_id, account_id), token=government
    )
    payload = result.data["createApiToken"]
    assert payload["errors"] == [], payload["errors"]
    return payload["token"], payload["apiToken"]


async def institution_with_token(client, government: str):
    """A new institution, a staff account of it and an API token acting as that account;
    returns (institution id, staff phone, token, apiToken)."""
    institution = await onboard(client, government)
    account_id, phone = await staff_of(client, government, institution["id"])
    token, api_token = await issue_token(client, government, institution["id"], account_id)
    return institution["id"], phone, token, api_token


async def set_status(client, government: str, institution_id: str, status: str, reason=None):
    result = await client.execute(
        SET_STATUS,
        {"input": {"institutionId": institution_id, "status": status, "reason": reason}},
        token=government,
    )
    return result.data["setInstitutionStatus"]


async def audit_rows(runtime, action: str) -> list[AuditEntry]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
        return list(rows.scalars())


async def institution_count(runtime) -> int:
    async with runtime.sessionmaker() as session:
        return len((await session.execute(select(Institution.id))).all())


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_government_onboards_an_institution_after_a_passed_assessment(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    variables = onboard_input(regionCodes=["37", "371300", "371302", "3713"], kind="GUARANTOR")
    # when
    result = await client.execute(ONBOARD, variables, token=government)
    # then
    payload = result.data["onboardInstitution"]
    assert payload["errors"] == []
    institution = payload["institution"]
    assert institution["uscc"] == variables["input"]["uscc"]
    assert institution["kind"] == "GUARANTOR"
    assert institution["status"] == "ACTIVE"
    assert institution["regionCodes"] == ["37", "3713", "371302"]  # prefixes, no duplicates
    assert institution["securityAssessment"] == {
        "reportNumber": "临发改安评〔2026〕12号",
        "assessedOn": variables["input"]["securityAssessment"]["assessedOn"],
        "assessor": "山东省网络安全测评中心",
        "passed": True,
        "summary": "等级保护三级，接口与数据安全评估通过",
    }
    public = await client.execute(PUBLIC_INSTITUTIONS)
    assert {"id": institution["id"], "name": "沂蒙农商银行", "kind": "GUARANTOR"} in public.data[
        "institutions"
    ]
    managed = await client.execute(MANAGED, {"status": "ACTIVE"}, token=government)
    assert institution["id"] in [i["id"] for i in managed.data["managedInstitutions"]]
    [row] = await audit_rows(runtime, "institution.onboard")
    assert row.subject_id == institution["id"]
    assert row.details["assessment_report_number"] == "临发改安评〔2026〕12号"


async def test_onboard_reports_every_bad_field_at_once(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    before = await institution_count(runtime)
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    # when
    result = await client.execute(
        ONBOARD,
        onboard_input(
            name="银",
            uscc="91371300MA3DEM0B1B",
            regionCodes=["3713", "99", "abc"],
            securityAssessment={
                "reportNumber": " ",
                "assessedOn": tomorrow,
                "assessor": "",
                "passed": False,
                "summary": "x" * 1001,
            },
        ),
        token=government,
    )
    # then
    payload = result.data["onboardInstitution"]
    assert payload["institution"] is None
    assert codes(payload) == [
        ("VALIDATION_ERROR", "name"),
        ("INVALID_USCC", "uscc"),
        ("VALIDATION_ERROR", "regionCodes"),
        ("VALIDATION_ERROR", "securityAssessment.reportNumber"),
        ("VALIDATION_ERROR", "securityAssessment.assessedOn"),
        ("VALIDATION_ERROR", "securityAssessment.assessor"),
        ("VALIDATION_ERROR", "securityAssessment.passed"),
        ("VALIDATION_ERROR", "securityAssessment.summary"),
    ]
    assert "99、abc" in payload["errors"][2]["message"]
    assert await institution_count(runtime) == before


async def test_onboard_refuses_stale_assessments_and_empty_regions(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    stale = (china_today() - timedelta(days=366)).isoformat()
    cases = [
        (onboard_input(regionCodes=[]), "regionCodes"),
        (onboard_input(regionCodes=["371399"]), "regionCodes"),
        (onboard_input(securityAssessment={"assessedOn": stale}), "securityAssessment.assessedOn"),
    ]
    for variables, field in cases:
        # when
        result = await client.execute(ONBOARD, variables, token=government)
        # then
        assert codes(result.data["onboardInstitution"]) == [("VALIDATION_ERROR", field)]
    # a year ago to the day is still recent enough
    year_ago = (china_today() - timedelta(days=365)).isoformat()
    await onboard(client, government, securityAssessment={"assessedOn": year_ago})


async def test_onboard_refuses_a_duplicate_uscc_and_a_failed_assessment(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    before = await institution_count(runtime)
    # when
    duplicate = await client.execute(
        ONBOARD, onboard_input(uscc=DEMO_BANK_USCC.lower()), token=government
    )
    failed = await client.execute(
        ONBOARD, onboard_input(securityAssessment={"passed": False}), token=government
    )
    # then
    assert codes(duplicate.data["onboardInstitution"]) == [("CONFLICT", "uscc")]
    errors = failed.data["onboardInstitution"]["errors"]
    assert codes(failed.data["onboardInstitution"]) == [
        ("VALIDATION_ERROR", "securityAssessment.passed")
    ]
    assert errors[0]["message"] == "安全评估未通过，不能接入"
    assert await institution_count(runtime) == before


async def test_only_government_staff_manage_institutions(client, runtime):
    # given
    await load_demo(runtime)
    bank = await login(client, BANK_PHONE)
    enterprise = await register(client)
    calls = [
        (ONBOARD, onboard_input()),
        (SET_STATUS, {"input": {"institutionId": "1", "status": "SUSPENDED", "reason": "测试"}}),
        (CREATE_TOKEN, token_input("1", "1")),
        (MANAGED, {}),
    ]
    for document, variables in calls:
        # when
        as_bank = await client.execute(document, variables, token=bank)
        as_enterprise = await client.execute(document, variables, token=enterprise)
        anonymous = await client.execute(document, variables)
        # then
        assert as_bank.error_codes() == ["FORBIDDEN"]
        assert as_bank.data is None or all(v is None for v in as_bank.data.values())
        assert as_enterprise.error_codes() == ["FORBIDDEN"]
        assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]
    assert await audit_rows(runtime, "institution.onboard") == []


async def test_an_issued_api_token_signs_in_as_the_staff_account_and_is_stored_hashed(
    client, runtime
):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution = await onboard(client, government)
    account_id, _ = await staff_of(client, government, institution["id"])
    # when
    result = await client.execute(
        CREATE_TOKEN, token_input(institution["id"], account_id), token=government
    )
    # then
    payload = result.data["createApiToken"]
    assert payload["errors"] == []
    token, api_token = payload["token"], payload["apiToken"]
    assert token.startswith("xra_")
    assert api_token["tokenHint"] == token[4:12]
    assert api_token["scopes"] == ["REPORTS", "APPLICATIONS"]
    assert api_token["accountId"] == account_id
    assert api_token["status"] == "ACTIVE"
    me = await client.execute(ME, token=token)
    assert me.errors == []
    assert me.data["me"]["id"] == account_id
    assert me.data["me"]["role"] == "INSTITUTION"
    assert me.data["me"]["institution"]["id"] == institution["id"]
    async with runtime.sessionmaker() as session:
        stored = await session.get(ApiToken, int(api_token["id"]))
    assert stored.token_hash == hash_token(token)
    assert token not in repr(vars(stored))
    assert stored.last_used_at is not None
    [row] = await audit_rows(runtime, "api_token.create")
    assert token not in str(row.details) and stored.token_hash not in str(row.details)
    listed = await client.execute(
        API_TOKENS, {"institutionId": institution["id"]}, token=government
    )
    assert listed.data["apiTokens"] == [
        {
            "id": api_token["id"],
            "name": "信贷系统（生产）",
            "status": "ACTIVE",
            "tokenHint": token[4:12],
            "scopes": ["REPORTS", "APPLICATIONS"],
        }
    ]


async def test_create_api_token_reports_bad_input(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution_id = (await onboard(client, government))["id"]
    bank_staff = (await client.execute(ME, token=await login(client, BANK_PHONE))).data["me"]
    government_id = (await client.execute(ME, token=government)).data["me"]["id"]
    # when
    everything = await client.execute(
        CREATE_TOKEN,
        token_input(institution_id, government_id, name=" ", scopes=[], validDays=0),
        token=government,
    )
    other_staff = await client.execute(
        CREATE_TOKEN, token_input(institution_id, bank_staff["id"]), token=government
    )
    bad_ids = await client.execute(CREATE_TOKEN, token_input("abc", "x"), token=government)
    unknown = await client.execute(CREATE_TOKEN, token_input("999999", "1"), token=government)
    too_long = await client.execute(
        CREATE_TOKEN, token_input(institution_id, "1", validDays=366), token=government
    )
    # then
    assert codes(everything.data["createApiToken"]) == [
        ("NOT_FOUND", "accountId"),
        ("VALIDATION_ERROR", "name"),
        ("VALIDATION_ERROR", "scopes"),
        ("VALIDATION_ERROR", "validDays"),
    ]
    assert everything.data["createApiToken"]["token"] is None
    assert codes(other_staff.data["createApiToken"]) == [("NOT_FOUND", "accountId")]
    assert codes(bad_ids.data["createApiToken"]) == [("NOT_FOUND", "institutionId")]
    assert codes(unknown.data["createApiToken"]) == [("NOT_FOUND", "institutionId")]
    assert ("VALIDATION_ERROR", "validDays") in codes(too_long.data["createApiToken"])
    assert await audit_rows(runtime, "api_token.create") == []


async def test_a_revoked_or_expired_token_is_refused(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution_id, _, revoked, revoked_row = await institution_with_token(client, government)
    account_id = revoked_row["accountId"]
    expired, expired_row = await issue_token(client, government, institution_id, account_id)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(ApiToken)
            .where(ApiToken.id == int(expired_row["id"]))
            .values(
                created_at=utcnow() - timedelta(days=2), expires_at=utcnow() - timedelta(days=1)
            )
        )
        await session.commit()
    # when
    result = await client.execute(REVOKE_TOKEN, {"id": revoked_row["id"]}, token=government)
    # then
    payload = result.data["revokeApiToken"]
    assert payload["errors"] == []
    assert payload["apiToken"]["status"] == "REVOKED"
    for token in (revoked, expired):
        me = await client.execute(ME, token=token)
        assert me.error_codes() == ["NOT_AUTHENTICATED"]
        assert me.data is None or me.data["me"] is None
    again = await client.execute(REVOKE_TOKEN, {"id": revoked_row["id"]}, token=government)
    assert codes(again.data["revokeApiToken"]) == [("CONFLICT", "id")]
    statuses = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=government)
    # newest first: the expired one was back-dated
    assert [t["status"] for t in statuses.data["apiTokens"]] == ["REVOKED", "EXPIRED"]
    [row] = await audit_rows(runtime, "api_token.revoke")
    assert row.subject_id == revoked_row["id"]


async def test_suspension_stops_sessions_and_tokens_at_once_and_reactivation_restores_tokens(
    client, runtime
):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution_id, phone, api_token, _ = await institution_with_token(client, government)
    session_token = await login(client, phone, GOOD_PASSWORD)
    assert (await client.execute(ME, token=session_token)).errors == []
    assert (await client.execute(ME, token=api_token)).errors == []
    # when
    no_reason = await set_status(client, government, institution_id, "SUSPENDED")
    suspended = await set_status(client, government, institution_id, "SUSPENDED", "接口异常调用")
    # then
    assert codes(no_reason) == [("VALIDATION_ERROR", "reason")]
    assert suspended["errors"] == []
    assert suspended["institution"]["status"] == "SUSPENDED"
    assert suspended["institution"]["statusReason"] == "接口异常调用"
    for token in (session_token, api_token):
        assert (await client.execute(ME, token=token)).error_codes() == ["NOT_AUTHENTICATED"]
    refused = await client.execute(LOGIN, {"input": {"phone": phone, "password": GOOD_PASSWORD}})
    assert [e["code"] for e in refused.data["login"]["errors"]] == ["FORBIDDEN"]
    again = await set_status(client, government, institution_id, "SUSPENDED", "再次暂停")
    assert codes(again) == [("CONFLICT", "status")]
    listed = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=government)
    assert [t["status"] for t in listed.data["apiTokens"]] == ["ACTIVE"]  # kept, not revoked
    public = await client.execute(PUBLIC_INSTITUTIONS)
    assert institution_id not in [i["id"] for i in public.data["institutions"]]

    # when reactivated
    reactivated = await set_status(client, government, institution_id, "ACTIVE")
    # then the API token works again; the ended session stays ended
    assert reactivated["errors"] == []
    assert reactivated["institution"]["status"] == "ACTIVE"
    assert reactivated["institution"]["statusReason"] is None
    assert (await client.execute(ME, token=api_token)).data["me"]["role"] == "INSTITUTION"
    assert (await client.execute(ME, token=session_token)).error_codes() == ["NOT_AUTHENTICATED"]
    assert await login(client, phone, GOOD_PASSWORD)
    rows = await audit_rows(runtime, "institution.status")
    assert [(r.details["from"], r.details["to"]) for r in rows] == [
        ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "ACTIVE"),
    ]
    assert rows[0].details["sessions_revoked"] == 1
    assert rows[0].details["tokens_revoked"] == 0
    assert rows[0].details["reason"] == "接口异常调用"


async def test_a_suspended_institution_gets_no_new_tokens(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution = await onboard(client, government)
    account_id, _ = await staff_of(client, government, institution["id"])
    await set_status(client, government, institution["id"], "SUSPENDED", "整改期间")
    # when
    result = await client.execute(
        CREATE_TOKEN, token_input(institution["id"], account_id), token=government
    )
    # then
    assert codes(result.data["createApiToken"]) == [("CONFLICT", "institutionId")]


async def test_revocation_is_final_and_revokes_every_token(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution_id, _, api_token, _ = await institution_with_token(client, government)
    # when
    revoked = await set_status(client, government, institution_id, "REVOKED", "主动申请退出平台")
    # then
    assert revoked["errors"] == []
    assert revoked["institution"]["status"] == "REVOKED"
    assert (await client.execute(ME, token=api_token)).error_codes() == ["NOT_AUTHENTICATED"]
    listed = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=government)
    assert [t["status"] for t in listed.data["apiTokens"]] == ["REVOKED"]
    for status in ("ACTIVE", "SUSPENDED", "REVOKED"):
        assert codes(await set_status(client, government, institution_id, status, "恢复接入")) == [
            ("CONFLICT", "status")
        ]
    [row] = await audit_rows(runtime, "institution.status")
    assert row.details["tokens_revoked"] == 1
    managed = await client.execute(MANAGED, {"status": "REVOKED"}, token=government)
    assert [i["id"] for i in managed.data["managedInstitutions"]] == [institution_id]


async def test_set_status_refuses_unknown_institutions(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    for institution_id in ("abc", "-1", "999999", "99999999999999999999999"):
        # when
        payload = await set_status(client, government, institution_id, "SUSPENDED", "测试暂停")
        # then
        assert codes(payload) == [("NOT_FOUND", "institutionId")]


async def test_institution_staff_see_and_revoke_only_their_own_tokens(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    institution_id, phone, api_token, token_row = await institution_with_token(client, government)
    own_staff = await login(client, phone, GOOD_PASSWORD)
    bank = await login(client, BANK_PHONE)
    bank_institution_id = (await client.execute(ME, token=bank)).data["me"]["institution"]["id"]
    # when another institution's staff try
    other_list = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=bank)
    other_revoke = await client.execute(REVOKE_TOKEN, {"id": token_row["id"]}, token=bank)
    unknown_revoke = await client.execute(REVOKE_TOKEN, {"id": "abc"}, token=bank)
    # then
    assert other_list.error_codes() == ["FORBIDDEN"]
    assert codes(other_revoke.data["revokeApiToken"]) == [("NOT_FOUND", "id")]
    assert codes(unknown_revoke.data["revokeApiToken"]) == [("NOT_FOUND", "id")]
    bank_list = await client.execute(API_TOKENS, {"institutionId": bank_institution_id}, token=bank)
    assert bank_list.errors == [] and bank_list.data["apiTokens"] == []
    bad_id = await client.execute(API_TOKENS, {"institutionId": "x"}, token=government)
    assert bad_id.error_codes() == ["NOT_FOUND"]
    enterprise = await register(client)
    as_enterprise = await client.execute(
        API_TOKENS, {"institutionId": institution_id}, token=enterprise
    )
    assert as_enterprise.error_codes() == ["FORBIDDEN"]
    # an API token cannot manage tokens, not even its own
    by_token = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=api_token)
    assert by_token.error_codes() == ["FORBIDDEN"]

    # when the institution's own staff do
    own_list = await client.execute(API_TOKENS, {"institutionId": institution_id}, token=own_staff)
    own_revoke = await client.execute(REVOKE_TOKEN, {"id": token_row["id"]}, token=own_staff)
    # then
    assert [t["id"] for t in own_list.data["apiTokens"]] == [token_row["id"]]
    assert own_revoke.data["revokeApiToken"]["errors"] == []
    assert own_revoke.data["revokeApiToken"]["apiToken"]["status"] == "REVOKED"
    assert (await client.execute(ME, token=api_token)).error_codes() == ["NOT_AUTHENTICATED"]
    [row] = await audit_rows(runtime, "api_token.revoke")
    assert row.actor_role == "INSTITUTION"
