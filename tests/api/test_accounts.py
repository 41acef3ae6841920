"""Sign-up, sign-in, lock-out, throttling, sessions and role checks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from backend.db.base import utcnow
from backend.identity.models import Account, AuthSession
from backend.institutions.models import Institution
from tests.support.builders import (
    BANK_PHONE,
    DEMO_PASSWORD,
    GOOD_PASSWORD,
    GOVERNMENT_PHONE,
    LOGIN,
    PROVIDER_PHONE,
    REGISTER,
    load_demo,
    login,
    new_phone,
    register,
)

ME = (
    "query { me { id role phoneMasked displayName enterprise { uscc } institution { name kind } } }"
)
LOGOUT = "mutation { logout { errors { code message } } }"
CREATE_STAFF = """
mutation Create($input: CreateStaffAccountInput!) {
  createStaffAccount(input: $input) {
    account { id role phoneMasked }
    errors { code field message }
  }
}
"""


def register_input(**overrides: str) -> dict[str, dict[str, str]]:
    values = {"phone": new_phone(), "password": GOOD_PASSWORD, "displayName": "张三"}
    values.update(overrides)
    return {"input": values}


async def account_count(runtime) -> int:
    async with runtime.sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(Account))).scalar_one()


async def test_register_signs_in_an_enterprise_account(client):
    # given
    phone = new_phone()
    # when
    result = await client.execute(REGISTER, register_input(phone=f"+86 {phone[:3]} {phone[3:]}"))
    # then
    payload = result.data["registerAccount"]
    assert payload["errors"] == []
    assert payload["account"]["role"] == "ENTERPRISE"
    assert payload["account"]["phoneMasked"] == f"{phone[:3]}****{phone[-4:]}"
    me = await client.execute(ME, token=payload["token"])
    assert me.data["me"]["role"] == "ENTERPRISE"
    assert me.data["me"]["enterprise"] is None


async def test_register_refuses_bad_input_without_writing(client, runtime):
    # given
    taken = new_phone()
    await register(client, phone=taken)
    before = await account_count(runtime)
    cases = [
        (register_input(phone="12345"), "INVALID_PHONE", "phone"),
        (register_input(password="short1A"), "WEAK_PASSWORD", "password"),
        (register_input(password="alllowercaseletters"), "WEAK_PASSWORD", "password"),
        (register_input(password="Password123!"), "WEAK_PASSWORD", "password"),
        (register_input(displayName="   "), "VALIDATION_ERROR", "displayName"),
        (register_input(phone=taken), "PHONE_TAKEN", "phone"),
    ]
    for variables, code, field in cases:
        # when
        result = await client.execute(REGISTER, variables)
        # then
        payload = result.data["registerAccount"]
        assert payload["token"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
        assert payload["errors"][0]["message"]
    assert await account_count(runtime) == before


async def test_register_reports_every_bad_field_at_once(client):
    # when
    result = await client.execute(
        REGISTER, register_input(phone="12345", password="weak", displayName="")
    )
    # then
    errors = result.data["registerAccount"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_PHONE", "phone"),
        ("VALIDATION_ERROR", "displayName"),
        ("WEAK_PASSWORD", "password"),
    ]


async def test_staff_see_their_organisation(client, runtime):
    # given
    await load_demo(runtime)
    query = "{ me { role department dataProvider { name } institution { name } } }"
    # when
    government = await client.execute(query, token=await login(client, GOVERNMENT_PHONE))
    provider = await client.execute(query, token=await login(client, PROVIDER_PHONE))
    # then
    assert government.data["me"]["department"] == "临沂市发展改革委员会 信用建设科"
    assert government.data["me"]["dataProvider"] is None
    assert provider.data["me"]["dataProvider"] == {"name": "市场监督管理局（登记注册）"}


async def test_password_containing_the_phone_is_weak(client):
    phone = new_phone()
    result = await client.execute(REGISTER, register_input(phone=phone, password=f"Ab#{phone}"))
    assert result.data["registerAccount"]["errors"][0]["code"] == "WEAK_PASSWORD"


async def test_login_and_wrong_credentials(client):
    # given
    phone = new_phone()
    await register(client, phone=phone)
    # when
    good = await client.execute(LOGIN, {"input": {"phone": phone, "password": GOOD_PASSWORD}})
    wrong = await client.execute(LOGIN, {"input": {"phone": phone, "password": "Wrong#2026x"}})
    unknown = await client.execute(
        LOGIN, {"input": {"phone": new_phone(), "password": GOOD_PASSWORD}}
    )
    malformed = await client.execute(LOGIN, {"input": {"phone": "abc", "password": "x"}})
    # then
    assert good.data["login"]["token"] and good.data["login"]["errors"] == []
    for result in (wrong, unknown, malformed):
        assert [e["code"] for e in result.data["login"]["errors"]] == ["INVALID_CREDENTIALS"]
        assert result.data["login"]["token"] is None
    # the same message whether the phone exists or not
    assert (
        wrong.data["login"]["errors"][0]["message"] == unknown.data["login"]["errors"][0]["message"]
    )


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, runtime):
    # given
    phone = new_phone()
    await register(client, phone=phone)
    bad = {"input": {"phone": phone, "password": "Wrong#2026x"}}
    good = {"input": {"phone": phone, "password": GOOD_PASSWORD}}
    # when
    codes = []
    for _ in range(5):
        result = await client.execute(LOGIN, bad)
        codes.append(result.data["login"]["errors"][0]["code"])
    locked = await client.execute(LOGIN, good)
    # then
    assert codes == ["INVALID_CREDENTIALS"] * 4 + ["ACCOUNT_LOCKED"]
    assert locked.data["login"]["errors"][0]["code"] == "ACCOUNT_LOCKED"
    assert locked.data["login"]["token"] is None
    async with runtime.sessionmaker() as session:
        account = (
            await session.execute(select(Account).where(Account.phone == phone))
        ).scalar_one()
        remaining = account.locked_until - utcnow()
        assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
        # when the 15 minutes have passed
        account.locked_until = utcnow() - timedelta(seconds=1)
        await session.commit()
    unlocked = await client.execute(LOGIN, good)
    assert unlocked.data["login"]["errors"] == []


def aliased_logins(count: int, phone_of) -> str:
    fields = "\n".join(
        f'a{i}: login(input: {{phone: "{phone_of(i)}", password: "Wrong#2026x"}}) '
        "{ token errors { code } }"
        for i in range(count)
    )
    return f"mutation {{ {fields} }}"


async def test_aliased_login_attempts_are_throttled_per_address(client, runtime):
    # given 30 failed attempts from one address, sent 15 at a time as aliases
    for _ in range(2):
        result = await client.execute(aliased_logins(15, lambda _i: new_phone()))
        assert all(v["errors"][0]["code"] == "INVALID_CREDENTIALS" for v in result.data.values())
    phone = new_phone()
    await register(client, phone=phone)
    # when the right password comes next from the same address
    result = await client.execute(LOGIN, {"input": {"phone": phone, "password": GOOD_PASSWORD}})
    # then it is refused without being checked
    assert result.data["login"]["errors"][0]["code"] == "RATE_LIMITED"
    # and another address is not affected
    other = await client.execute(
        LOGIN,
        {"input": {"phone": phone, "password": GOOD_PASSWORD}},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert other.data["login"]["errors"][0]["code"] == "RATE_LIMITED"  # proxy header not trusted


async def test_throttle_applies_inside_one_aliased_request(client):
    # given 20 failures already
    await client.execute(aliased_logins(10, lambda _i: new_phone()))
    await client.execute(aliased_logins(10, lambda _i: new_phone()))
    # when 15 more arrive in one request
    result = await client.execute(aliased_logins(15, lambda _i: new_phone()))
    # then the first 10 are checked and the rest refused
    codes = [result.data[f"a{i}"]["errors"][0]["code"] for i in range(15)]
    assert codes == ["INVALID_CREDENTIALS"] * 10 + ["RATE_LIMITED"] * 5


async def test_too_many_aliases_and_batches_are_refused(client):
    # when
    aliased = await client.execute(aliased_logins(16, lambda _i: new_phone()))
    batch = await client.http.post(
        "/graphql", json=[{"query": "{ passwordRule }"}, {"query": "{ passwordRule }"}]
    )
    # then
    assert aliased.data is None and aliased.errors
    assert batch.status_code == 400


async def test_logout_revokes_the_token(client):
    # given
    token = await register(client)
    # when
    result = await client.execute(LOGOUT, token=token)
    after = await client.execute(ME, token=token)
    # then
    assert result.data["logout"]["errors"] == []
    assert after.data["me"] is None
    assert after.error_codes() == ["NOT_AUTHENTICATED"]


async def test_expired_and_unknown_tokens_are_refused(client, runtime):
    # given
    token = await register(client)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    # when
    expired = await client.execute(ME, token=token)
    unknown = await client.execute(ME, token="xrs_not-a-real-token")
    anonymous = await client.execute(ME)
    # then
    for result in (expired, unknown, anonymous):
        assert result.error_codes() == ["NOT_AUTHENTICATED"]
        assert result.data["me"] is None


async def test_tokens_are_stored_hashed(client, runtime):
    token = await register(client)
    async with runtime.sessionmaker() as session:
        stored = (await session.execute(select(AuthSession.token_hash))).scalars().all()
        hashes = (await session.execute(select(Account.password_hash))).scalars().all()
    assert token not in stored and len(stored[0]) == 64
    assert all(h.startswith("$argon2id$") for h in hashes)


async def test_staff_accounts_only_by_government(client, runtime):
    # given
    await load_demo(runtime)
    government = await login(client, GOVERNMENT_PHONE)
    enterprise = await register(client)
    async with runtime.sessionmaker() as session:
        bank_id = (
            await session.execute(
                select(Institution.id).where(Institution.uscc == "91371300MA3DEM0B1A")
            )
        ).scalar_one()
    staff = {
        "input": {
            "phone": new_phone(),
            "password": GOOD_PASSWORD,
            "displayName": "信贷员乙",
            "role": "INSTITUTION",
            "institutionId": str(bank_id),
        }
    }
    # when
    as_enterprise = await client.execute(CREATE_STAFF, staff, token=enterprise)
    anonymous = await client.execute(CREATE_STAFF, staff)
    as_government = await client.execute(CREATE_STAFF, staff, token=government)
    missing_institution = await client.execute(
        CREATE_STAFF,
        {"input": {**staff["input"], "phone": new_phone(), "institutionId": "999999"}},
        token=government,
    )
    enterprise_role = await client.execute(
        CREATE_STAFF,
        {"input": {**staff["input"], "phone": new_phone(), "role": "ENTERPRISE"}},
        token=government,
    )
    # then
    assert as_enterprise.error_codes() == ["FORBIDDEN"] and as_enterprise.data is None
    assert anonymous.error_codes() == ["NOT_AUTHENTICATED"]
    assert as_government.data["createStaffAccount"]["errors"] == []
    assert as_government.data["createStaffAccount"]["account"]["role"] == "INSTITUTION"
    assert missing_institution.data["createStaffAccount"]["errors"][0]["code"] == "NOT_FOUND"
    assert enterprise_role.data["createStaffAccount"]["errors"][0]["code"] == "VALIDATION_ERROR"
    new_staff = await login(client, staff["input"]["phone"], GOOD_PASSWORD)
    me = await client.execute(ME, token=new_staff)
    assert me.data["me"]["institution"] == {"name": "临沂示范银行", "kind": "BANK"}


async def test_suspending_an_institution_stops_its_sessions_at_once(client, runtime):
    # given
    await load_demo(runtime)
    token = await login(client, BANK_PHONE)
    assert (await client.execute(ME, token=token)).data["me"]["role"] == "INSTITUTION"
    # when
    async with runtime.sessionmaker() as session:
        await session.execute(update(Institution).values(status="SUSPENDED"))
        await session.commit()
    # then
    assert (await client.execute(ME, token=token)).error_codes() == ["NOT_AUTHENTICATED"]
    relogin = await client.execute(
        LOGIN, {"input": {"phone": BANK_PHONE, "password": DEMO_PASSWORD}}
    )
    assert relogin.data["login"]["errors"][0]["code"] == "FORBIDDEN"
