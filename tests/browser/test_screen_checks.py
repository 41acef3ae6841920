"""The checks every browser test ends with can fail: overflow at the narrowest phone, WCAG
violations found by axe-core, and problems seen by the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.pages import Problems, accessibility_violations, check_screen

pytestmark = pytest.mark.browser

ACCESSIBLE = (
    '<html lang="zh-CN"><head><meta name="viewport" content="width=device-width">'
    "<title>检查</title></head><body><main>"
    '<h1>标题</h1><label for="q">名称</label><input id="q" type="text">{extra}</main></body></html>'
)


def test_a_clean_screen_passes_and_each_kind_of_fault_is_caught(page: Page) -> None:
    # given a screen that is accessible and fits 360 px
    problems = Problems().watch(page)
    page.set_content(ACCESSIBLE.format(extra=""))
    check_screen(page, "screen-check-clean", problems)

    # when an element is 380 px wide: fits the 390 px phone, not the 360 px one
    page.set_content(ACCESSIBLE.format(extra='<div id="wide">宽</div>'))
    page.evaluate("() => document.getElementById('wide').style.setProperty('width', '380px')")
    with pytest.raises(AssertionError, match="overflows 360px"):
        check_screen(page, "screen-check-narrow", problems)

    # when text is pale grey and an input has no label
    page.set_content(ACCESSIBLE.format(extra='<p id="pale">浅色</p><input type="text">'))
    page.evaluate("() => document.getElementById('pale').style.setProperty('color', '#ccc')")
    found = " ".join(accessibility_violations(page))
    assert "color-contrast" in found and "label" in found
    with pytest.raises(AssertionError, match="color-contrast"):
        check_screen(page, "screen-check-a11y", problems)

    # when the page logs an error
    page.set_content(ACCESSIBLE.format(extra=""))
    page.evaluate("() => console.error('出错了')")
    with pytest.raises(AssertionError, match="出错了"):
        check_screen(page, "screen-check-console", problems)
