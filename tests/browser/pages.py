"""What every browser test does: sign in or register through the page, find a view by its
heading, and finish with the checks the issue asks of every screen (a screenshot saved, no
console error or failed request, no horizontal scrolling)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Response, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: The narrowest phone the page must fit, and the widest that counts as a phone.
PHONE_WIDTHS = (360, 430)
#: The axe-core rule sets every screen must pass (WCAG 2.0/2.1 levels A and AA).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STRONG_PASSWORD = "Shunda#2026x"
DEMO_PASSWORD = "Demo#2026"
BANK_PHONE = "13900000001"
GOVERNMENT_PHONE = "13700000001"

DEMO_USCC = "91371302MA3CDXY10K"
DEMO_NAME = "临沂沂蒙顺达物流有限公司"
DEMO_REP = "王建国"
DEMO_REP_ID = "371302198001011239"
_FAILED_LOAD = re.compile(r"Failed to load resource: .*status of (\d+)")


@dataclass
class Problems:
    """Console errors, uncaught exceptions, failed requests and HTTP errors seen by a page."""

    seen: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def watch(self, page: Page) -> Problems:
        """Start listening on ``page``."""
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        return self

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium also logs every HTTP error as a console error: not a problem when expected.
        status = _FAILED_LOAD.match(message.text)
        if status and int(status.group(1)) in self.expected_statuses:
            return
        self.seen.append(f"console: {message.text}")

    def _failed(self, request: Request) -> None:
        self.seen.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.seen.append(f"HTTP {response.status}: {response.request.method} {response.url}")


def view(page: Page, title: str) -> Locator:
    """The visible view (a region named by its heading)."""
    return page.get_by_role("region", name=title, exact=True)


def unique_phone() -> str:
    """A phone number no other test uses."""
    return f"187{secrets.randbelow(10**8):08d}"


def sign_in(page: Page, phone: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the page and wait for "我的"."""
    page.goto("/")
    form = view(page, "登录")
    form.get_by_label("手机号").fill(phone)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_role("button", name="登录", exact=True).click()
    expect(view(page, "我的")).to_be_visible()


def register(page: Page, *, phone: str | None = None, password: str = STRONG_PASSWORD) -> str:
    """Register a new enterprise account through the page; returns the phone number used."""
    phone = phone or unique_phone()
    page.goto("/")
    page.get_by_role("link", name="注册企业用户").click()
    form = view(page, "注册企业用户")
    form.get_by_label("手机号").fill(phone)
    form.get_by_label("密码", exact=True).fill(password)
    form.get_by_label("称呼").fill("王经理")
    form.get_by_role("button", name="注册并登录").click()
    return phone


def verify_demo_firm(page: Page) -> None:
    """On the verify view: verify as the demo firm 顺达物流 and wait for "我的"."""
    form = view(page, "企业实名认证")
    expect(form).to_be_visible()
    form.get_by_label("统一社会信用代码").fill(DEMO_USCC)
    form.get_by_label("企业名称").fill(DEMO_NAME)
    form.get_by_label("法定代表人姓名").fill(DEMO_REP)
    form.get_by_label("法定代表人身份证号码").fill(DEMO_REP_ID)
    form.get_by_role("button", name="提交认证").click()
    expect(view(page, "我的").get_by_role("region", name="企业信息")).to_be_visible()


def register_verified_firm(page: Page) -> str:
    """A new account verified as 顺达物流, on "我的"; returns its phone number."""
    phone = register(page)
    verify_demo_firm(page)
    return phone


def open_tile(page: Page, label: str, title: str) -> Locator:
    """Go home ("我的"), tap the tile ``label`` and return the view titled ``title``."""
    page.goto("/#me")
    page.get_by_role("navigation").get_by_role("link", name=label, exact=True).click()
    opened = view(page, title)
    expect(opened).to_be_visible()
    return opened


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core (WCAG 2 A and AA rules, colour contrast included) finds wrong on the page
    as it is now, one line per rule with the elements it names."""
    page.evaluate(AXE_SCRIPT)  # through the DevTools protocol: the page's CSP does not apply
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


def _overflow(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def check_screen(page: Page, name: str, problems: Problems) -> None:
    """Save a full-page screenshot as test-artifacts/<name>-<width>.png, then fail on horizontal
    overflow (at a phone's width, also at the narrowest phone: 360 px), on any WCAG 2 A/AA
    violation axe-core finds, or on any problem seen so far."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    width = size["width"]
    safe = re.sub(r"[^\w.-]+", "-", name)
    page.screenshot(path=str(ARTIFACTS / f"{safe}-{width}.png"), full_page=True)
    assert _overflow(page) <= width, f"{name}: the page overflows {width}px ({_overflow(page)}px)"
    if width <= PHONE_WIDTHS[1]:
        page.set_viewport_size({"width": PHONE_WIDTHS[0], "height": size["height"]})
        narrow = _overflow(page)
        page.set_viewport_size(size)
        assert narrow <= PHONE_WIDTHS[0], f"{name}: the page overflows 360px ({narrow}px)"
    violations = accessibility_violations(page)
    assert violations == [], f"{name}: " + "\n".join(violations)
    assert problems.seen == [], problems.seen
