"""Browser fixtures: a live server on a private database with the demo data, and headless
Chromium (Debian's package) driven by Playwright on a phone-sized, touch, zh-CN page."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from backend.app import create_app
from backend.runtime import Runtime
from backend.settings import Settings, load_settings
from tests.support.builders import load_demo

# Playwright's 5 s default for expect() was exceeded once in CI (stop 15: 企业实名认证 on
# PostgreSQL while two pytest workers, Chromium and two clusters shared 2 cores). A slow answer is
# not a broken page: wait longer, still fail on a page that never gets there.
expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


async def _seed_demo(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    try:
        await load_demo(runtime)
    finally:
        await runtime.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(settings_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """Serve the app with the demo data on a free loopback port; yields its base URL."""
    settings = load_settings(settings_env, workdir=tmp_path)
    asyncio.run(_seed_demo(settings))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(live_server: str) -> Iterator[object]:
    """Headless Chromium for one test, started after the live server and stopped before it.

    Not session-wide on purpose: while sync Playwright is started it keeps an asyncio loop marked
    as running in this thread, which would break every later ``asyncio.run`` (database fixtures,
    ``live_server``) and pytest-asyncio's own runner. Launching costs about half a second.
    Skipped only when Chromium is not installed and ``XINRONG_REQUIRE_BROWSER`` is not 1.
    """
    path = _chromium_path()
    if path is None:
        if os.environ.get("XINRONG_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (XINRONG_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False},
}


def _open_page(browser: object, live_server: str, kind: str) -> tuple[object, object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server, **VIEWPORTS[kind]
    )
    return context, context.new_page()


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    """A phone-sized page (390×844, touch, zh-CN) opened on the live server."""
    context, opened = _open_page(browser, live_server, "phone")
    yield opened
    context.close()  # type: ignore[attr-defined]


@pytest.fixture(params=list(VIEWPORTS))
def any_page(request: pytest.FixtureRequest, browser: object, live_server: str) -> Iterator[object]:
    """The page at a 390×844 phone viewport, then (a second run) at 1280×800 on a desktop."""
    context, opened = _open_page(browser, live_server, request.param)
    yield opened
    context.close()  # type: ignore[attr-defined]
