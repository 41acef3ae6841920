"""The credit code (信用码): switching it on and off, its QR code, and the public page /c/{slug}
that shows the firm's name and grade only."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import segno
from sqlalchemy import select, update

from backend.app import create_app
from backend.audit.models import AuditEntry
from backend.audit.service import verify_chain
from backend.enterprises.credit_code_page import chinese_date
from backend.enterprises.models import CreditCode, Enterprise
from backend.identity.models import Role
from backend.runtime import Runtime
from backend.settings import SettingsError, load_settings
from tests.support.builders import (
    BANK_PHONE,
    DEMO_ENTERPRISES,
    load_demo,
    login,
    register,
    staff_token,
    verified_enterprise_user,
)
from tests.support.graphql import GraphQLClient

FIRM = DEMO_ENTERPRISES[0]  # 临沂沂蒙顺达物流有限公司
MY_CODE = "query { myCreditCode { enabled url qrSvgDataUri enabledAt } }"
SET_CODE = """
mutation SetCode($enabled: Boolean!) {
  setCreditCode(enabled: $enabled) {
    creditCode { enabled url qrSvgDataUri enabledAt }
    errors { code field message }
  }
}
"""
EVALUATION = "query { myCreditProfile { evaluation { score grade } } }"
SLUG = re.compile(r"[A-Za-z0-9_-]{22}")


async def set_code(client: GraphQLClient, token: str, enabled: bool) -> dict:
    """Switch the code; returns the creditCode of a clean payload."""
    result = await client.execute(SET_CODE, {"enabled": enabled}, token=token)
    assert result.errors == [], result.errors
    payload = result.data["setCreditCode"]
    assert payload["errors"] == [], payload["errors"]
    return payload["creditCode"]


def segno_qr(url: str) -> str:
    """segno's own SVG data URI of the QR code of ``url`` (the parameters the service uses)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(
        scale=8, border=4, dark="#000", light="#fff", title="信用码", omitsize=True
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


async def audit_actions(runtime: Runtime) -> list[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("credit_code.%"))
            .order_by(AuditEntry.seq)
        )
        return list(rows.scalars())


@pytest.fixture
async def firm(client, runtime) -> str:
    """A new account verified as the demo firm 顺达物流; its token."""
    await load_demo(runtime)
    return await verified_enterprise_user(client, FIRM)


async def test_turned_on_the_public_page_shows_the_name_and_grade_only(client, runtime, firm):
    # given the firm's own evaluation
    evaluation = (await client.execute(EVALUATION, token=firm)).data["myCreditProfile"][
        "evaluation"
    ]
    # when it turns its credit code on
    code = await set_code(client, firm, True)

    # then it gets an absolute link to an unguessable page, and the QR code of exactly that link
    assert code["enabled"] is True and code["enabledAt"]
    assert code["url"].startswith("http://testserver/c/")
    assert SLUG.fullmatch(path_of(code["url"]).removeprefix("/c/"))
    assert code["qrSvgDataUri"] == segno_qr(code["url"])
    assert code["qrSvgDataUri"].startswith("data:image/svg+xml;")
    assert unquote(code["qrSvgDataUri"].split(",", 1)[1]).startswith("<svg")
    assert segno.make(code["url"] + "x", error="m").svg_data_uri() != code["qrSvgDataUri"]
    assert (await client.execute(MY_CODE, token=firm)).data["myCreditCode"] == code

    # and anyone opening the link sees the firm's name and grade, and nothing else about it
    page = await client.http.get(path_of(code["url"]))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "noindex" in page.headers["x-robots-tag"]
    html = page.text
    assert FIRM.name in html
    assert f'credit-code-grade-letter">{evaluation["grade"]}<' in html
    assert "企业自主选择公开" in html
    assert "<script" not in html.lower()
    for secret in (FIRM.uscc, FIRM.legal_rep_name, FIRM.id_number, FIRM.id_number[-4:]):
        assert secret not in html
    without_dates = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日", "", html)
    assert not re.search(rf"(?<![\d.]){evaluation['score']}(?![\d.])", without_dates)


async def test_switching_off_kills_the_link_and_on_again_draws_a_new_one(client, runtime, firm):
    # given a code that is on
    first = await set_code(client, firm, True)
    # when it is switched on again: nothing changes
    again = await set_code(client, firm, True)
    assert again == first

    # when it is switched off
    off = await set_code(client, firm, False)
    # then no link is left, and the old link is not found at once
    assert off == {"enabled": False, "url": None, "qrSvgDataUri": None, "enabledAt": None}
    gone = await client.http.get(path_of(first["url"]))
    assert gone.status_code == 404
    assert "未找到该信用码" in gone.text
    assert gone.headers["cache-control"] == "no-store"
    assert await set_code(client, firm, False) == off

    # when it is switched on again: a new link, and the old one stays dead
    second = await set_code(client, firm, True)
    assert second["url"] != first["url"] and second["qrSvgDataUri"] != first["qrSvgDataUri"]
    assert (await client.http.get(path_of(first["url"]))).status_code == 404
    assert (await client.http.get(path_of(second["url"]))).status_code == 200

    # and every change, only the changes, is in the audit log (the chain still holds)
    assert await audit_actions(runtime) == [
        "credit_code.enable",
        "credit_code.disable",
        "credit_code.enable",
    ]
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(select(AuditEntry).where(AuditEntry.action.like("credit_code.%")))
        ).scalars()
        assert {(r.subject_id, r.actor_role, r.outcome) for r in rows} == {
            (FIRM.uscc, "ENTERPRISE", "success")
        }
        assert (await verify_chain(session, keyring=runtime.keyring)).ok


async def test_two_switches_at_once_leave_one_link(client, runtime, firm):
    # when the firm turns its code on twice at the same moment
    results = await asyncio.gather(*(set_code(client, firm, True) for _ in range(2)))
    # then both answers name the same link, written once
    assert results[0]["url"] == results[1]["url"]
    assert await audit_actions(runtime) == ["credit_code.enable"]


async def test_only_a_verified_enterprise_has_a_credit_code(client, runtime):
    await load_demo(runtime)
    unverified = await register(client)
    government = await staff_token(client, runtime)
    bank = await login(client, BANK_PHONE)
    auditor = await staff_token(client, runtime, Role.AUDITOR)

    # an unverified account is told to verify first (query: GraphQL error; mutation: payload)
    read = await client.execute(MY_CODE, token=unverified)
    assert read.error_codes() == ["FORBIDDEN"]
    assert "实名认证" in read.errors[0]["message"]
    changed = await client.execute(SET_CODE, {"enabled": True}, token=unverified)
    payload = changed.data["setCreditCode"]
    assert payload["creditCode"] is None
    assert [(e["code"], e["message"]) for e in payload["errors"]] == [
        ("FORBIDDEN", "请先完成企业实名认证，再开启信用码")
    ]
    # staff accounts are refused outright, and anonymous callers must sign in
    for token in (government, bank, auditor):
        for document, variables in ((MY_CODE, None), (SET_CODE, {"enabled": True})):
            result = await client.execute(document, variables, token=token)
            assert result.status == 200
            assert result.error_codes() == ["FORBIDDEN"], result.errors
            assert result.errors[0]["message"] == "当前账户无权进行此操作"
    assert (await client.execute(MY_CODE)).error_codes() == ["NOT_AUTHENTICATED"]
    # and nothing was switched on
    async with runtime.sessionmaker() as session:
        assert (await session.execute(select(CreditCode))).first() is None
    assert await audit_actions(runtime) == []


ODD_PATHS = [
    "/c/",
    "/c/" + "A" * 22,  # well formed, but no such code
    "/c/" + "a" * 5000,
    "/c/信用码",
    "/c/%E4%BF%A1%E7%94%A8",
    "/c/' OR 1=1 --",
    "/c/x'; DROP TABLE credit_codes; --",
    "/c/%00",
    "/c/%25%27%22%3Cscript%3E",
    "/c/a/b/c",
    "/c/..%2F..%2Fetc%2Fpasswd",
    "/c/abcdefghijklmnopqrstu%0A",
]


async def test_the_public_page_of_an_odd_slug_is_a_plain_404(client, runtime, firm):
    # given a code that is on (so a real slug exists beside the odd ones)
    code = await set_code(client, firm, True)
    real = path_of(code["url"]).removeprefix("/c/")
    for path in [*ODD_PATHS, f"/c/{real[:-1]}", f"/c/{real}x", f"/c/{real.lower()}x"]:
        # when anyone asks for it
        response = await client.http.get(path)
        # then the answer is the Chinese not-found page, never an error
        assert response.status_code == 404, path
        assert "未找到该信用码" in response.text, path
        assert response.headers["cache-control"] == "no-store"
    assert (await client.http.get(f"/c/{real}")).status_code == 200


async def test_every_value_on_the_public_page_is_escaped(client, runtime, firm):
    # given a firm whose registered name holds markup
    code = await set_code(client, firm, True)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Enterprise)
            .where(Enterprise.uscc == FIRM.uscc)
            .values(name='顺达<script>alert("x")</script>&<b>物流</b>')
        )
        await session.commit()
    # when its page is opened
    html = (await client.http.get(path_of(code["url"]))).text
    # then the markup is shown as text
    assert "<script" not in html and "<b>" not in html
    assert "顺达&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;物流" in html


async def test_the_link_uses_the_configured_public_base_url(
    settings_env: dict[str, str], tmp_path: Path
):
    # given a platform whose public address is configured
    settings = load_settings(
        {**settings_env, "XINRONG_PUBLIC_BASE_URL": "https://xinrong.example.cn/"},
        workdir=tmp_path,
    )
    runtime = Runtime.build(settings)
    try:
        await load_demo(runtime)
        transport = httpx.ASGITransport(app=create_app(runtime=runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as http:
            client = GraphQLClient(http)
            token = await verified_enterprise_user(client, FIRM)
            # when the firm turns its code on
            code = await set_code(client, token, True)
            # then the link (and its QR code) name the public address
            assert code["url"].startswith("https://xinrong.example.cn/c/")
            assert code["qrSvgDataUri"] == segno_qr(code["url"])
            assert (await http.get(path_of(code["url"]))).status_code == 200
    finally:
        await runtime.close()


@pytest.mark.parametrize(
    "value", ["xinrong.example.cn", "ftp://xinrong.example.cn", "https://", "https://h/?a=1"]
)
def test_a_public_base_url_that_is_not_an_address_is_refused(value, tmp_path):
    with pytest.raises(SettingsError):
        load_settings(
            {"XINRONG_PUBLIC_BASE_URL": value, "XINRONG_SECRET_KEY": "k" * 40},
            workdir=tmp_path,
        )


def test_the_public_page_renders_dates_in_chinese():
    assert chinese_date(date(2026, 11, 1)) == "2026年11月1日"
