"""The enterprise web page, driven as a person on a phone would: register, verify the
enterprise, sign in and out, and see the server's Chinese messages where they belong.

Each test gets its own live server and database (SQLite and PostgreSQL) with the demo data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    ConsoleMessage,
    Locator,
    Page,
    Route,
    expect,
)

from tests.browser.pages import (
    ARTIFACTS,
    DEMO_NAME,
    DEMO_REP,
    DEMO_REP_ID,
    DEMO_USCC,
    STRONG_PASSWORD,
    register,
    unique_phone,
    view,
)

pytestmark = pytest.mark.browser

#: The standard's example ID number: a valid check character, but not the legal representative.
OTHER_PERSON_ID = "11010519491231002X"
IDENTITY_MISMATCH = "企业名称、法定代表人姓名或身份证号码与登记信息不一致"


@pytest.fixture
def problems(page: Page) -> Iterator[list[str]]:
    """Console errors and uncaught exceptions of the page (CSP violations included)."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def fill_verify_form(page: Page, *, id_number: str) -> Locator:
    form = view(page, "企业实名认证")
    expect(form).to_be_visible()
    form.get_by_label("统一社会信用代码").fill(DEMO_USCC)
    form.get_by_label("企业名称").fill(DEMO_NAME)
    form.get_by_label("法定代表人姓名").fill(DEMO_REP)
    form.get_by_label("法定代表人身份证号码").fill(id_number)
    return form


def sign_in(page: Page, phone: str, password: str) -> None:
    page.goto("/")
    form = view(page, "登录")
    form.get_by_label("手机号").fill(phone)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_role("button", name="登录", exact=True).click()


def test_register_then_verify_shows_enterprise_card(page: Page, problems: list[str]) -> None:
    register(page)
    expect(page.get_by_role("status")).to_contain_text("注册成功")
    form = fill_verify_form(page, id_number=DEMO_REP_ID)
    form.get_by_role("button", name="提交认证").click()

    me = view(page, "我的")
    expect(me).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("企业实名认证成功。")
    card = me.get_by_role("region", name="企业信息")
    expect(card).to_contain_text(DEMO_NAME)
    expect(card).to_contain_text("已实名认证")
    expect(card).to_contain_text(DEMO_USCC)
    expect(card).to_contain_text("山东省临沂市兰山区")
    expect(card).to_contain_text("371302********1239")
    expect(card).not_to_contain_text(DEMO_REP_ID)
    expect(me.get_by_role("region", name="账户信息")).to_contain_text("企业用户")

    # The session token lives in sessionStorage, never in the address.
    token = page.evaluate("() => sessionStorage.getItem('xinrong.sessionToken')")
    assert token
    assert token not in page.url

    # The card survives a reload (the account is loaded again with the stored token).
    page.reload()
    expect(view(page, "我的").get_by_role("region", name="企业信息")).to_contain_text(
        "371302********1239"
    )

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "enterprise-verified.png"), full_page=True)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 390, f"the page overflows the phone's width ({scroll_width}px)"
    assert problems == []


def test_wrong_id_number_is_refused_without_naming_the_field(
    page: Page, problems: list[str]
) -> None:
    register(page)
    form = fill_verify_form(page, id_number=OTHER_PERSON_ID)
    form.get_by_role("button", name="提交认证").click()

    alert = form.get_by_role("alert").filter(has_text=IDENTITY_MISMATCH)
    expect(alert).to_be_visible()
    # The mismatch is not pinned on any one field.
    for name in ("统一社会信用代码", "企业名称", "法定代表人姓名", "法定代表人身份证号码"):
        expect(form.get_by_label(name)).not_to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("button", name="提交认证")).to_be_enabled()
    expect(page.get_by_role("region", name="企业信息")).to_have_count(0)

    # The account is still unverified: "我的" asks to verify.
    page.get_by_role("link", name="返回“我的”").click()
    me = view(page, "我的")
    expect(me.get_by_role("region", name="尚未完成企业实名认证")).to_be_visible()
    expect(me.get_by_role("region", name="企业信息")).to_have_count(0)
    me.get_by_role("link", name="去认证").click()
    expect(view(page, "企业实名认证")).to_be_visible()
    assert problems == []


def test_uscc_is_checked_while_typing(page: Page, problems: list[str]) -> None:
    register(page)
    form = view(page, "企业实名认证")
    uscc = form.get_by_label("统一社会信用代码")

    # One character changed (Y → U): the check character no longer fits.
    uscc.press_sequentially("91371302MA3CDXU10K")
    expect(uscc).to_have_accessible_description(re.compile("统一社会信用代码校验位不正确"))
    expect(form.get_by_role("alert").filter(has_text="校验位不正确")).to_be_visible()
    expect(uscc).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_text("山东省临沂市兰山区")).to_have_count(0)

    uscc.fill("")
    uscc.press_sequentially(DEMO_USCC.lower())
    info = form.get_by_text(re.compile("登记地"))
    expect(info).to_contain_text("山东省临沂市兰山区")
    expect(info).to_contain_text("主体类型：企业")
    expect(form.get_by_role("alert").filter(has_text="校验位不正确")).to_have_count(0)
    expect(uscc).not_to_have_attribute("aria-invalid", "true")

    # A letter where the region code needs digits is flagged at once, before any request.
    uscc.fill("91AB")
    expect(form.get_by_role("alert").filter(has_text="第3位“A”无效")).to_be_visible()

    # The ID number's check character is checked as it is typed, too.
    id_number = form.get_by_label("法定代表人身份证号码")
    id_number.press_sequentially(DEMO_REP_ID[:-1] + "8")
    expect(id_number).to_have_accessible_description(re.compile("身份证号码校验码不正确"))
    id_number.press("Backspace")
    id_number.press_sequentially(DEMO_REP_ID[-1])
    expect(id_number).not_to_have_attribute("aria-invalid", "true")
    assert problems == []


def test_weak_password_is_explained_next_to_the_field(page: Page, problems: list[str]) -> None:
    page.goto("/")
    page.get_by_role("link", name="注册企业用户").click()
    form = view(page, "注册企业用户")
    password = form.get_by_label("密码", exact=True)
    # The rule comes from the server (passwordRule) and describes the field.
    expect(password).to_have_accessible_description(re.compile("不能包含手机号码"))

    form.get_by_label("手机号").fill(unique_phone())
    password.fill("abcdefgh")
    form.get_by_label("称呼").fill("王经理")
    form.get_by_role("button", name="注册并登录").click()

    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("当前只有1类"))
    expect(form.get_by_role("alert").filter(has_text="密码须包含")).to_be_visible()
    expect(form.get_by_label("手机号")).not_to_have_attribute("aria-invalid", "true")
    expect(view(page, "注册企业用户")).to_be_visible()

    # A strong password then goes through, straight on to verification.
    password.fill(STRONG_PASSWORD)
    form.get_by_role("button", name="注册并登录").click()
    expect(view(page, "企业实名认证")).to_be_visible()
    assert problems == []


def test_bank_staff_signs_in_and_out(page: Page, problems: list[str]) -> None:
    sign_in(page, "13900000001", "Demo#2026")
    me = view(page, "我的")
    account = me.get_by_role("region", name="账户信息")
    expect(account).to_contain_text("临沂示范银行")
    expect(account).to_contain_text("机构用户")
    expect(account).to_contain_text("139****0001")
    expect(me.get_by_role("region", name="尚未完成企业实名认证")).to_have_count(0)

    # Staff have nothing to verify: the verify view sends them back to "我的".
    page.goto("/#verify")
    expect(view(page, "我的")).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    expect(view(page, "登录")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    expect(page.get_by_role("button", name="退出登录")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.getItem('xinrong.sessionToken')") is None
    page.goto("/#me")
    expect(view(page, "登录")).to_be_visible()
    assert problems == []


def test_government_staff_see_their_department(page: Page, problems: list[str]) -> None:
    sign_in(page, "13700000001", "Demo#2026")
    account = view(page, "我的").get_by_role("region", name="账户信息")
    expect(account).to_contain_text("政府工作人员")
    expect(account).to_contain_text("临沂市发展改革委员会 信用建设科")
    assert problems == []


def test_wrong_password_is_refused(page: Page) -> None:
    sign_in(page, "13900000001", "Wrong#2026")
    form = view(page, "登录")
    expect(form.get_by_role("alert").filter(has_text="手机号或密码不正确")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_hidden()


def test_expired_session_returns_to_sign_in(page: Page) -> None:
    sign_in(page, "13900000001", "Demo#2026")
    expect(view(page, "我的")).to_be_visible()
    page.evaluate("() => sessionStorage.setItem('xinrong.sessionToken', 'xrs_revoked')")
    page.reload()
    expect(view(page, "登录")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("登录已失效，请重新登录")
    assert page.evaluate("() => sessionStorage.getItem('xinrong.sessionToken')") is None


def test_submit_button_is_busy_while_the_request_runs(page: Page) -> None:
    held: list[Route] = []
    # Hold the login request until the busy state has been seen.
    page.route("**/graphql", lambda route: held.append(route), times=1)
    page.goto("/")
    form = view(page, "登录")
    form.get_by_label("手机号").fill("13900000001")
    form.get_by_label("密码", exact=True).fill("Demo#2026")
    form.get_by_role("button", name="登录", exact=True).click()

    busy = form.get_by_role("button", name="正在登录…")
    expect(busy).to_be_disabled()
    expect(busy).to_have_attribute("aria-busy", "true")
    # The route handler runs when Playwright next reads its messages: let it, for a moment.
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "the login request was not intercepted"
    expect(busy).to_be_disabled()
    held[0].continue_()
    expect(view(page, "我的")).to_be_visible()
