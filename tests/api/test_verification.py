"""Real-name verification of enterprises against the registration records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.identity.id_number import id_check_character
from tests.support.builders import (
    BANK_PHONE,
    DEMO_ENTERPRISES,
    VERIFY,
    load_demo,
    login,
    register,
    verified_enterprise_user,
    verify_input,
)

ME_ENTERPRISE = """
query { me { verifiedAt enterprise { uscc name entityType entityTypeLabel regionCode regionName
  legalRepName legalRepIdNumberMasked legalRepIdNumber registrationStatus } } }
"""
VALIDATE = """
query Validate($code: String!) {
  validateUscc(code: $code) { valid code entityType entityTypeLabel regionCode regionName
    errors { code field message } }
}
"""


@pytest.fixture
async def demo(runtime):
    await load_demo(runtime)


async def verify(client, token, **overrides):
    result = await client.execute(
        VERIFY, verify_input(DEMO_ENTERPRISES[0], **overrides), token=token
    )
    return result.data["verifyEnterprise"]


@pytest.mark.parametrize("index", range(4))
async def test_each_demo_enterprise_can_be_verified(client, demo, index):
    # given
    enterprise = DEMO_ENTERPRISES[index]
    token = await register(client)
    # when
    result = await client.execute(VERIFY, verify_input(enterprise), token=token)
    # then
    payload = result.data["verifyEnterprise"]
    assert payload["errors"] == []
    assert payload["enterprise"]["uscc"] == enterprise.uscc
    assert (
        payload["enterprise"]["entityType"]
        == ["enterprise", "individual_business", "farmer_coop", "enterprise"][index]
    )
    me = (await client.execute(ME_ENTERPRISE, token=token)).data["me"]
    assert me["enterprise"]["name"] == enterprise.name
    assert (
        me["enterprise"]["entityTypeLabel"]
        == ["企业", "个体工商户", "农民专业合作社", "企业"][index]
    )
    assert me["verifiedAt"] is not None


async def test_verification_is_forgiving_about_case_spaces_and_brackets(client, demo):
    token = await register(client)
    payload = await verify(
        client,
        token,
        uscc=" 91371302ma3cdxy10k ",
        name="临沂沂蒙顺达物流有限公司 ",
        legalRepName="王 建国",
    )
    assert payload["errors"] == []


async def test_the_enterprise_sees_its_own_id_number_and_the_read_is_audited(client, runtime, demo):
    # given
    token = await verified_enterprise_user(client)
    # when
    me = (await client.execute(ME_ENTERPRISE, token=token)).data["me"]
    # then
    assert me["enterprise"]["legalRepIdNumber"] == "371302198001011239"
    assert me["enterprise"]["legalRepIdNumberMasked"] == "371302********1239"
    async with runtime.sessionmaker() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "enterprise.read_legal_rep_id" in actions


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"uscc": "91371302MA3CDXY10L"}, "INVALID_USCC", "uscc"),
        ({"uscc": "91371302MA3CDXY1"}, "INVALID_USCC", "uscc"),
        ({"legalRepIdNumber": "371302198001011238"}, "INVALID_ID_NUMBER", "legalRepIdNumber"),
        ({"legalRepIdNumber": "371302198002301234"}, "INVALID_ID_NUMBER", "legalRepIdNumber"),
        ({"uscc": "91440300708461136T"}, "ENTERPRISE_NOT_FOUND", "uscc"),
        ({"name": "临沂沂蒙顺达物流股份有限公司"}, "IDENTITY_MISMATCH", None),
        ({"legalRepName": "王建军"}, "IDENTITY_MISMATCH", None),
        ({"legalRepIdNumber": "11010519491231002X"}, "IDENTITY_MISMATCH", None),
    ],
)
async def test_bad_verification_input(client, demo, overrides, code, field):
    # given
    token = await register(client)
    # when
    payload = await verify(client, token, **overrides)
    # then
    assert payload["enterprise"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]


async def test_mismatch_never_tells_which_fact_differed(client, demo):
    messages = set()
    for overrides in (
        {"name": "别的公司"},
        {"legalRepName": "别人"},
        {"legalRepIdNumber": "11010519491231002X"},
    ):
        token = await register(client)
        messages.add((await verify(client, token, **overrides))["errors"][0]["message"])
    assert len(messages) == 1


async def test_already_verified(client, demo):
    # given
    token = await verified_enterprise_user(client)
    other = await register(client)
    # when
    again = await verify(client, token)
    claimed = await verify(client, other)
    # then
    assert again["errors"][0]["code"] == "ALREADY_VERIFIED"
    assert claimed["errors"][0]["code"] == "ALREADY_VERIFIED"


async def test_verification_attempts_are_throttled_per_account(client, demo):
    # given
    token = await register(client)
    for _ in range(5):
        assert (await verify(client, token, legalRepName="猜测"))["errors"][0]["code"] == (
            "IDENTITY_MISMATCH"
        )
    # when even the right facts come next
    payload = await verify(client, token)
    # then
    assert payload["errors"][0]["code"] == "RATE_LIMITED"


async def test_verification_attempts_are_throttled_per_address(client, demo):
    # 20 attempts an hour from one address, whichever accounts make them
    codes = []
    for _ in range(7):
        token = await register(client)
        for _ in range(3):
            codes.append((await verify(client, token, legalRepName="猜测"))["errors"][0]["code"])
    assert codes[:20] == ["IDENTITY_MISMATCH"] * 20
    assert codes[20] == "RATE_LIMITED"


async def test_every_attempt_is_audited(client, runtime, demo):
    token = await register(client)
    await verify(client, token, legalRepName="猜测")
    await verify(client, token, uscc="91440300708461136T")
    await verify(client, token)
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(AuditEntry.outcome, AuditEntry.details)
                .where(AuditEntry.action == "enterprise.verify")
                .order_by(AuditEntry.seq)
            )
        ).all()
    assert [(o, d.get("code")) for o, d in rows] == [
        ("failure", "IDENTITY_MISMATCH"),
        ("failure", "ENTERPRISE_NOT_FOUND"),
        ("success", None),
    ]


async def test_only_enterprise_accounts_verify(client, demo):
    bank = await login(client, BANK_PHONE)
    as_bank = await client.execute(VERIFY, verify_input(DEMO_ENTERPRISES[0]), token=bank)
    anonymous = await client.execute(VERIFY, verify_input(DEMO_ENTERPRISES[0]))
    assert as_bank.error_codes() == ["FORBIDDEN"]
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]


async def test_validate_uscc_needs_no_sign_in(client):
    # when
    good = (await client.execute(VALIDATE, {"code": "91320505MA1DXY4036"})).data["validateUscc"]
    bad = (await client.execute(VALIDATE, {"code": "91320505MA1DXY4037"})).data["validateUscc"]
    # then
    assert good["valid"] is True and good["errors"] == []
    assert (good["entityType"], good["regionCode"], good["regionName"]) == (
        "enterprise",
        "320505",
        "江苏省苏州市虎丘区",
    )
    assert bad["valid"] is False
    assert bad["errors"][0]["code"] == "INVALID_USCC" and "校验" in bad["errors"][0]["message"]


def test_demo_id_numbers_have_correct_check_characters():
    for enterprise in DEMO_ENTERPRISES:
        assert id_check_character(enterprise.id_number[:17]) == enterprise.id_number[17]
