"""`useFeatureFlag` of @vexil/client/solid and @vexil/client/react in headless Chromium, each in a page
built from the packed npm tarball with the real framework (conftest.py, build.mjs, apps/), against a
real Vexil server. Every test runs on both pages, which show the same thing: the flag "banner"'s
variant, payload, enabled and reason. Screenshots go to test-artifacts/bindings/.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.bindings.conftest import FRAMEWORKS, ROOT
from tests.conftest import ADMIN_ENV, LiveServer, admin_client, start_server

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "bindings"
TIMEOUT_MS = 10_000
VARIANTS = [
    {"name": "blue", "payload": {"text": "Hello", "hex": "#00f"}, "weight": 0},
    {"name": "green", "payload": {"text": "Welcome", "hex": "#0a0"}, "weight": 1},
]
FALLBACK = {"enabled": True, "variant": "grey", "payload": {"text": "…"}}
# Long enough that real time never reaches it during a test: only the page's fake clock does.
TTL_MS = 60_000


@dataclass
class App:
    """One test app in a tab: its console errors, and what it shows."""

    page: Page
    origin: str
    framework: str
    name: str
    errors: list[str] = field(default_factory=list)

    def open(self, server: LiveServer, **options: Any) -> None:
        query = {"vexil": server.url} | {key: json.dumps(value) for key, value in options.items()}
        self.page.goto(f"{self.origin}/{self.framework}/index.html?{urlencode(query)}")

    def expect_banner(self, variant: str, payload: Any, **shown: str) -> None:
        expect(self.page.locator("#variant")).to_have_text(variant, timeout=TIMEOUT_MS)
        expect(self.page.locator("#payload")).to_have_text(
            json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        )
        for key, text in shown.items():
            expect(self.page.locator(f"#{key}")).to_have_text(text)

    def watching(self) -> list[str]:
        """The flags the page's client follows for a reader (VexilClient.watching())."""
        watched: list[str] = self.page.evaluate("window.vexil.watching()")
        return watched

    def show_banner(self, shown: bool) -> None:
        self.page.evaluate("shown => window.showBanner(shown)", shown)

    def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{self.name}--{step}.png")


@pytest.fixture(params=FRAMEWORKS)
def app(browser: Browser, app_origin: str, request: pytest.FixtureRequest) -> Iterator[App]:
    context = browser.new_context(viewport={"width": 800, "height": 360})
    page = context.new_page()
    tab = App(page, app_origin, request.param, re.sub(r"\W+", "-", request.node.name))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    yield tab
    context.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One Vexil server for this module; each test works on flags of its own context."""
    started = start_server(tmp_path_factory.mktemp("vexil") / "data", env=ADMIN_ENV)
    yield started
    started.stop(signal.SIGKILL)


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    """The admin API, with the flag "banner" (blue/green, green served) created fresh for each test."""
    with admin_client(server) as client:
        client.delete("/flags/banner")
        client.post("/flags", json={"name": "banner", "enabled": True, "variants": VARIANTS}).raise_for_status()
        yield client


def test_use_feature_flag__flag_changed_through_admin_api__page_follows_without_reload(
    app: App, server: LiveServer, api: httpx.Client
) -> None:
    # Given the page showing what the server serves user-7: green
    app.open(server, context={"identifier": "user-7"}, fallback=FALLBACK)
    app.expect_banner("green", VARIANTS[1]["payload"], enabled="true", reason="enabled")
    app.page.evaluate("window.loadedOnce = true")
    app.shot("1-green")

    # When the served variant's payload changes, then user-7 is allowlisted to blue, through the admin API
    payload = {"text": "Welcome back", "hex": "#0b0", "sizes": [1, 2]}
    api.patch("/flags/banner", json={"variants": [VARIANTS[0], {**VARIANTS[1], "payload": payload}]}).raise_for_status()
    app.expect_banner("green", payload)
    api.patch("/flags/banner", json={"allowlist": {"user-7": "blue"}}).raise_for_status()

    # Then the page shows each in place, without a reload
    app.expect_banner("blue", VARIANTS[0]["payload"], enabled="false", reason="allowlist")
    app.shot("2-blue")
    # When the flag is deleted, then it reads as its fallback again
    api.delete("/flags/banner").raise_for_status()
    app.expect_banner("grey", FALLBACK["payload"], enabled="true", reason="fallback")
    assert app.page.evaluate("window.loadedOnce") is True
    assert app.errors == []


def test_use_feature_flag__before_first_answer__fallback_shown(app: App, server: LiveServer, api: httpx.Client) -> None:
    # Given a stream held back before it reaches the server
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    app.page.route(re.compile(r"/stream\?"), hold)

    # When the page loads
    app.open(server, context={"identifier": "user-7"}, fallback=FALLBACK)

    # Then the component shows the fallback until the server answers, then the served variant
    app.expect_banner("grey", FALLBACK["payload"], enabled="true", reason="fallback")
    app.shot("1-fallback")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:
        app.page.wait_for_timeout(20)  # lets Playwright dispatch the route event
    assert len(held) == 1
    held[0].continue_()
    app.expect_banner("green", VARIANTS[1]["payload"], enabled="true", reason="enabled")
    app.shot("2-answered")
    assert app.errors == []


def test_use_feature_flag__component_unmounted__subscription_ends_after_ttl(
    app: App, server: LiveServer, api: httpx.Client
) -> None:
    # Given a page whose timers run on a clock the test moves, reading the flag with a ttl
    app.page.clock.install()
    app.open(server, context={"identifier": "user-7"}, fallback=FALLBACK, ttl=TTL_MS)
    app.expect_banner("green", VARIANTS[1]["payload"])
    assert app.watching() == ["banner"]

    # When the component unmounts, then its subscription outlives it until the ttl has passed
    app.show_banner(False)
    expect(app.page.locator("#banner")).to_have_count(0)
    assert app.watching() == ["banner"]
    app.page.clock.run_for(TTL_MS - 1_000)
    assert app.watching() == ["banner"]
    app.page.clock.run_for(2_000)
    assert app.watching() == []

    # When it mounts again, then unmounts and mounts again within the ttl
    app.show_banner(True)
    app.expect_banner("green", VARIANTS[1]["payload"])
    app.show_banner(False)
    app.page.clock.run_for(TTL_MS // 2)
    app.show_banner(True)
    app.page.clock.run_for(TTL_MS * 2)

    # Then the subscription was kept for the new reader, and still delivers changes
    assert app.watching() == ["banner"]
    api.patch("/flags/banner", json={"allowlist": {"user-7": "blue"}}).raise_for_status()
    app.expect_banner("blue", VARIANTS[0]["payload"], reason="allowlist")
    app.shot("remounted")
    assert app.errors == []
