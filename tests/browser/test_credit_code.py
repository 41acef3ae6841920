"""The credit code (信用码) in a real browser: the firm turns it on, sees its QR code and link,
the public page shows its name and grade only; turned off, the page is not found.

Each test gets its own live server and database (SQLite and PostgreSQL) with the demo data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.pages import (
    DEMO_NAME,
    DEMO_REP,
    DEMO_USCC,
    Problems,
    check_screen,
    open_tile,
    register_verified_firm,
    view,
)

pytestmark = pytest.mark.browser

PUBLIC_LINK = re.compile(r"^http://127\.0\.0\.1:\d+/c/[A-Za-z0-9_-]{22}$")
GRADE = re.compile(r"^(A\+|A|B|C|D)$")
REFUSAL = "请先完成企业实名认证，再开启信用码"


def test_firm_shows_its_credit_code_and_takes_it_back(any_page: Page) -> None:
    page = any_page
    problems = Problems().watch(page)
    # given a new account verified as the demo firm, on 信用码
    register_verified_firm(page)
    screen = open_tile(page, "信用码", "信用码")

    # then it is told what the code shows and to whom, and that it is off
    about = screen.get_by_role("region", name="信用码是什么")
    expect(about).to_contain_text("企业名称、当前信用评价等级及评价日期")
    expect(about).to_contain_text("统一社会信用代码")
    switch = screen.get_by_role("button", name="公开信用码")
    expect(switch).to_have_attribute("aria-pressed", "false")
    expect(screen.get_by_role("region", name="公开设置")).to_contain_text("未开启")
    expect(screen.get_by_role("region", name="我的信用码")).to_have_count(0)
    check_screen(page, "credit-code-off", problems)

    # when it turns the code on, and confirms having read what that does
    switch.click()
    confirm = screen.get_by_role("group", name="确认开启信用码")
    expect(confirm).to_contain_text("任何拿到二维码或链接的人")
    confirm.get_by_role("button", name="确定开启").click()

    # then the switch is on, with the QR code (a picture with a text alternative) and link
    expect(screen.get_by_role("status").filter(has_text="信用码已开启")).to_be_visible()
    expect(switch).to_have_attribute("aria-pressed", "true")
    code = screen.get_by_role("region", name="我的信用码")
    qr = code.get_by_role("img", name=re.compile("^本企业信用码的二维码"))
    expect(qr).to_be_visible()
    assert qr.locator("path").count() >= 2  # drawn: the white ground and the dark modules
    box = qr.bounding_box()
    assert box is not None and 150 <= box["width"] <= 260 and abs(box["width"] - box["height"]) < 1
    save = code.get_by_role("link", name="保存二维码")
    assert save.get_attribute("href").startswith("data:image/svg+xml;")
    url = code.locator(".credit-code-url").inner_text().strip()
    assert PUBLIC_LINK.match(url), url
    expect(code.get_by_role("link", name="打开公开页面")).to_have_attribute("href", url)
    # and 复制链接 copies it, or says how to copy it by hand
    code.get_by_role("button", name="复制链接").click()
    expect(code.get_by_role("status")).to_contain_text(re.compile("链接已复制|手动复制"))
    check_screen(page, "credit-code-on", problems)

    # when anyone opens the link
    page.goto(urlsplit(url).path)
    # then the page shows the firm's name and its grade, and nothing that identifies more
    expect(page.get_by_role("heading", name="企业信用码", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=DEMO_NAME, level=2)).to_be_visible()
    expect(page.locator(".credit-code-grade-letter")).to_have_text(GRADE)
    expect(page.get_by_text("本页面由该企业自主选择公开")).to_be_visible()
    text = page.locator("main").inner_text()
    assert DEMO_USCC not in text and DEMO_REP not in text
    assert page.locator("script").count() == 0
    check_screen(page, "credit-code-public", problems)

    # when the firm turns the code off again
    page.goto("/#credit-code")
    screen = view(page, "信用码")
    screen.get_by_role("button", name="公开信用码").click()
    confirm = screen.get_by_role("group", name="确认关闭信用码")
    expect(confirm).to_contain_text("现有的链接和二维码立即失效")
    confirm.get_by_role("button", name="确定关闭").click()
    expect(screen.get_by_role("status").filter(has_text="信用码已关闭")).to_be_visible()
    expect(screen.get_by_role("button", name="公开信用码")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(screen.get_by_role("region", name="我的信用码")).to_have_count(0)

    # then the old link is not found
    problems.expected_statuses.add(404)
    response = page.goto(urlsplit(url).path)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="未找到该信用码", level=1)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(DEMO_NAME)
    check_screen(page, "credit-code-gone", problems)


def _fail_once(operation: str, body: dict) -> Callable[[Route], None]:
    """A route handler answering the first request of ``operation`` with ``body``."""
    state = {"done": False}

    def handle(route: Route) -> None:
        sent = route.request.post_data or ""
        if not state["done"] and operation in sent:
            state["done"] = True
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
            return
        route.continue_()

    return handle


def test_a_failed_load_retries_and_a_refusal_is_shown_by_the_switch(page: Page) -> None:
    problems = Problems().watch(page)
    register_verified_firm(page)
    # given the first load of the code fails, and the first switch is refused by the server
    page.route(
        "**/graphql",
        _fail_once("MyCreditCode", {"errors": [{"message": "boom"}]}),
    )
    page.goto("/#credit-code")
    screen = view(page, "信用码")
    # then the failure is said in Chinese with 重试, which loads the view
    expect(screen.get_by_role("alert")).to_contain_text("服务出现问题")
    screen.get_by_role("button", name="重试").click()
    switch = screen.get_by_role("button", name="公开信用码")
    expect(switch).to_have_attribute("aria-pressed", "false")

    # when the firm asks to turn it on but cancels, nothing changes and focus returns
    switch.click()
    screen.get_by_role("button", name="取消").click()
    expect(screen.get_by_role("group", name="确认开启信用码")).to_have_count(0)
    expect(switch).to_be_focused()
    expect(switch).to_have_attribute("aria-pressed", "false")

    # when the server refuses the change, its message shows by the confirmation
    page.unroute("**/graphql")
    error = {"code": "FORBIDDEN", "field": None, "message": REFUSAL}
    refusal = {"data": {"setCreditCode": {"creditCode": None, "errors": [error]}}}
    page.route("**/graphql", _fail_once("SetCreditCode", refusal))
    switch.press("Enter")
    confirm = screen.get_by_role("group", name="确认开启信用码")
    confirm.get_by_role("button", name="确定开启").click()
    expect(confirm.get_by_role("alert")).to_have_text(REFUSAL)
    expect(switch).to_have_attribute("aria-pressed", "false")
    # and a second try goes through
    confirm.get_by_role("button", name="确定开启").click()
    expect(screen.get_by_role("region", name="我的信用码")).to_be_visible()
    check_screen(page, "credit-code-refused-then-on", problems)
