"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright, and a page's console.

Chromium is /usr/bin/chromium (`apt-get install chromium`; make test and .ci/run install it as
root). Without it the browser tests are skipped with that message, except under CI=true, where
they fail.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, ViewportSize, expect, sync_playwright

from tests.conftest import ADMIN_TOKEN, LiveServer, start_server

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google, which the test
# machines' closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
_HTTP_STATUS = re.compile(r"status of (\d{3})")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module; each test opens its own context."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: `apt-get install chromium` (make test and .ci/run do it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Console:
    """What a page logged as an error: console errors and uncaught exceptions.

    Chromium logs every HTTP error response as a console error ("Failed to load resource: the
    server responded with a status of 409"); a test that provokes one on purpose says so with
    `expect_http(409, "/flags/x")`, and only those are forgiven.
    """

    errors: list[str] = field(default_factory=list)
    expected_http: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def watch(cls, page: Page) -> Console:
        console = cls()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                console.errors.append(f"{message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
        return console

    def expect_http(self, status: int, url_part: str) -> None:
        self.expected_http.append((status, url_part))

    def unexpected(self) -> list[str]:
        return [error for error in self.errors if not self._expected(error)]

    def _expected(self, error: str) -> bool:
        match = _HTTP_STATUS.search(error)
        if match is None:
            return False
        status = int(match.group(1))
        return any(status == code and part in error for code, part in self.expected_http)


# --- the admin UI -------------------------------------------------------------------------------

TIMEOUT_MS = 10_000
UI_SHOTS = ARTIFACTS / "ui"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass
class Ui:
    """The admin UI (`/ui`) in a tab: its console and its screenshots (test-artifacts/ui/)."""

    page: Page
    server: LiveServer
    console: Console
    name: str

    def open(self, hash: str = "") -> None:
        self.page.goto(f"{self.server.url}/ui/{hash}")

    def sign_in(self, token: str = ADMIN_TOKEN, hash: str = "#/flags", view: str = "flags") -> None:
        """Sign in with a token (the sign-in page's secondary way)."""
        self.open(hash)
        self.page.locator("#use-token").click()
        self.page.get_by_label("Token").fill(token)
        self.page.get_by_label("Token").press("Enter")
        self.wait_ready(view)
        expect(self.page.locator("#live")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)

    def sign_in_person(self, email: str, password: str, hash: str = "#/flags", view: str = "flags") -> None:
        """Sign in with email and password (the session cookie; docs/people.md)."""
        self.open(hash)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_label("Password").press("Enter")
        self.wait_ready(view)
        expect(self.page.locator("#live")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)

    def go(self, hash: str, view: str) -> None:
        """Navigate inside the app, as a link would, and wait until the view is interactive."""
        script = """hash => {
            if (location.hash === hash) return;
            delete document.getElementById('main').dataset.ready;
            location.hash = hash;
        }"""
        self.page.evaluate(script, hash)
        self.wait_ready(view)

    def wait_ready(self, view: str) -> None:
        expect(self.page.locator("main")).to_have_attribute("data-ready", view, timeout=TIMEOUT_MS)

    def row(self, flag: str) -> Locator:
        return self.page.locator(f"#flags-table tr[data-name='{flag}']")

    def leave_with_unsaved(self, section: str, lost: str) -> Locator:
        """Follow the navigation's link to `section` from a page with unsaved edits: asked first, in
        a dialog naming what would be `lost`, the address kept. The dialog."""
        here = self.page.evaluate("location.hash")
        self.page.locator(f"#nav a[data-section='{section}']").click()
        dialog = self.page.locator("dialog#ask")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(lost)
        assert self.page.evaluate("location.hash") == here
        return dialog

    def toggle(self, flag: str, env: str = "") -> Locator:
        return self.row(flag).locator(f"button[data-toggle='{env}']")

    def shot(self, step: str, *, full_page: bool = True) -> None:
        UI_SHOTS.mkdir(parents=True, exist_ok=True)
        if full_page:
            self.whole_page_screenshot(UI_SHOTS / f"{self.name}--{step}.png")
        else:
            self.page.screenshot(path=UI_SHOTS / f"{self.name}--{step}.png")

    def whole_page_screenshot(self, path: Path) -> None:
        """The whole page, taken with a viewport as tall as the page (so that the sticky save bar
        sits at the end, where it would be, not across the middle of a full-page capture)."""
        viewport = self.page.viewport_size
        assert viewport is not None
        height: int = self.page.evaluate("document.documentElement.scrollHeight")
        self.page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
        self.page.screenshot(path=path)
        self.page.set_viewport_size(viewport)

    def overflow_x(self) -> int:
        """How far the page is wider than the viewport (0: no horizontal scrolling)."""
        width: Any = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        return int(width)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per UI test module; the tests of a module work on flags of their own."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    yield started
    started.stop(signal.SIGKILL)


def _tab(
    browser: Browser,
    server: LiveServer,
    request: pytest.FixtureRequest,
    viewport: ViewportSize,
    color_scheme: Literal["light", "dark"] = "light",
) -> Iterator[Ui]:
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    ui = Ui(page, server, Console.watch(page), request.node.name)
    yield ui
    context.close()
    assert ui.console.unexpected() == [], "the page logged errors"


@pytest.fixture
def ui(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A fresh tab at 1280x800 on the module's server; at the end, the page must have logged no error."""
    yield from _tab(browser, ui_server, request, DESKTOP)


@pytest.fixture
def phone(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """The same at a phone's 390x844."""
    yield from _tab(browser, ui_server, request, PHONE)


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """The same at 1280x800 in dark mode."""
    yield from _tab(browser, ui_server, request, DESKTOP, "dark")
