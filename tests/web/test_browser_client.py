"""The browser client (`/web/client.js`) in headless Chromium against real Vexil servers.

The test page (tests/web/page.html) is served from another origin than Vexil, as an application's
would be: it imports the client from the server and shows each flag's state. Changes are made
through the admin API and must reach the page without a reload. Screenshots go to
test-artifacts/browser/. Chromium (`browser`, skipped or failed when missing) comes from conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from tests.conftest import ADMIN_ENV, LiveServer, admin_client, free_port, start_server

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "browser"
TIMEOUT_MS = 10_000
# Reconnection delays for the restart test: short, so that the test does not wait out a long backoff.
FAST_RETRY = {"minRetryMs": 100, "maxRetryMs": 500}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """The application's origin: a static server on loopback, another port than Vexil's."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HERE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@dataclass
class Tab:
    """A page with what it logged: console errors, uncaught exceptions, and the /stream URLs it opened."""

    page: Page
    origin: str
    name: str
    errors: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)

    def open(self, server: LiveServer, flags: dict[str, Any], **options: Any) -> None:
        query = {"vexil": server.url, "flags": json.dumps(flags)}
        query |= {key: json.dumps(value) for key, value in options.items()}
        self.page.goto(f"{self.origin}/page.html?{urlencode(query)}")

    def expect_flag(self, name: str, timeout: float = TIMEOUT_MS, **shown: Any) -> None:
        item = self.page.locator(f"#flag-{name}")
        for key, value in shown.items():
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            expect(item).to_have_attribute(f"data-{key}", text, timeout=timeout)

    def expect_status(self, status: str) -> None:
        expect(self.page.locator("#status")).to_have_text(status, timeout=TIMEOUT_MS)

    def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{self.name}--{step}.png")


@pytest.fixture
def tab(browser: Browser, page_origin: str, request: pytest.FixtureRequest) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1000, "height": 360})
    page = context.new_page()
    tab = Tab(page, page_origin, request.node.name)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    page.on("request", lambda req: tab.streams.append(req.url) if "/stream?" in req.url else None)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the tests that need nothing special of it (each uses flags of its own)."""
    started = start_server(tmp_path_factory.mktemp("vexil") / "data", env=ADMIN_ENV)
    yield started
    started.stop(signal.SIGKILL)


def test_page__flag_toggled_through_admin_api__page_changes_without_reload(tab: Tab, server: LiveServer) -> None:
    # Given a disabled flag shown on a page
    with admin_client(server) as api:
        api.post("/flags", json={"name": "new_checkout"}).raise_for_status()
        tab.open(server, {"new_checkout": False}, context={"identifier": "user-7", "environment": "production"})
        tab.expect_status("ready")
        tab.expect_flag("new_checkout", enabled="false", reason="disabled", changes="1")
        tab.page.evaluate("window.loadedOnce = true")
        tab.shot("1-off")

        # When it is toggled on, then off again
        api.post("/flags/new_checkout/toggle").raise_for_status()
        tab.expect_flag("new_checkout", enabled="true", variant="on", reason="enabled", changes="2")
        tab.shot("2-on")
        api.post("/flags/new_checkout/toggle").raise_for_status()

    # Then the page followed each change in place, one notification per change, without errors
    tab.expect_flag("new_checkout", enabled="false", variant="off", reason="disabled", changes="3")
    tab.shot("3-off-again")
    assert tab.page.evaluate("window.loadedOnce") is True
    assert len(tab.streams) == 1
    assert tab.errors == []


def test_page__before_first_answer__fallback_shown(tab: Tab, server: LiveServer) -> None:
    # Given a flag the server resolves to "green", and a stream held back before it reaches the server
    with admin_client(server) as api:
        variants = [
            {"name": "blue", "payload": {"hex": "#00f"}, "weight": 0},
            {"name": "green", "payload": {"hex": "#0a0"}, "weight": 1},
        ]
        api.post("/flags", json={"name": "banner", "enabled": True, "variants": variants}).raise_for_status()
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    tab.page.route(re.compile(r"/stream\?"), hold)
    fallback = {"enabled": True, "variant": "blue", "payload": {"hex": "#00f"}}

    # When the page loads
    tab.open(server, {"banner": fallback, "unknown_flag": True})

    # Then, until the server answers, flags read as their fallbacks and the client is not ready
    tab.expect_status("waiting")
    tab.expect_flag("banner", enabled="true", variant="blue", payload={"hex": "#00f"}, reason="fallback")
    tab.expect_flag("unknown_flag", enabled="true", variant="on", reason="fallback")
    tab.shot("1-fallback")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not held and time.monotonic() < deadline:
        tab.page.wait_for_timeout(20)  # lets Playwright dispatch the route event
    assert len(held) == 1
    held[0].continue_()
    tab.expect_status("ready")
    tab.expect_flag("banner", variant="green", payload={"hex": "#0a0"}, changes="1")
    tab.expect_flag("unknown_flag", enabled="true", reason="fallback", changes="0")
    tab.shot("2-answered")
    assert tab.errors == []


def test_page__variant_and_payload__shown_and_followed(tab: Tab, server: LiveServer) -> None:
    # Given a multivariate flag that serves "dark" to user-42 (allowlist) and to the pro plan (rule)
    with admin_client(server) as api:
        variants = [
            {"name": "light", "payload": {"background": "#fff"}},
            {"name": "dark", "payload": {"background": "#111", "contrast": [4.5, 7]}},
        ]
        pro = {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "dark"}
        body = {
            "name": "theme",
            "enabled": True,
            "variants": variants,
            "allowlist": {"user-42": "dark"},
            "rules": [pro],
        }
        api.post("/flags", json={**body, "rollout_percentage": 0, "default_variant": "light"}).raise_for_status()
        tab.open(server, {"theme": {"variant": "none"}}, context={"identifier": "user-42", "app": "web"})

        # Then the page shows the variant and payload resolved for user-42
        tab.expect_flag("theme", enabled="true", variant="dark", payload={"background": "#111", "contrast": [4.5, 7]})
        tab.expect_flag("theme", reason="allowlist")
        tab.shot("1-dark")

        # When the served variant's payload changes on the server
        variants[1]["payload"] = {"background": "#000", "contrast": [21]}
        api.patch("/flags/theme", json={"variants": variants}).raise_for_status()

        # Then the page shows the new payload
        tab.expect_flag("theme", variant="dark", payload={"background": "#000", "contrast": [21]}, changes="2")

    # When the page switches to another user, then the value is resolved for that user
    tab.page.evaluate("window.vexil.setContext({identifier: 'user-7', app: 'web'})")
    tab.expect_flag(
        "theme", enabled="false", variant="light", payload={"background": "#fff"}, reason="rollout_excluded"
    )
    tab.shot("2-other-user")

    # When that user's attributes match a rule, then the rule's variant is served
    tab.page.evaluate("window.vexil.setContext({identifier: 'user-7', app: 'web', attributes: {plan: 'pro'}})")
    tab.expect_flag("theme", enabled="true", variant="dark", reason="rule_match")
    assert tab.errors == []


def test_page__flag_deleted__falls_back(tab: Tab, server: LiveServer) -> None:
    # Given an enabled flag shown on a page, with another flag beside it
    with admin_client(server) as api:
        api.post("/flags", json={"name": "promo", "enabled": True}).raise_for_status()
        api.post("/flags", json={"name": "search_v2", "enabled": True}).raise_for_status()
        tab.open(server, {"promo": {"enabled": False, "variant": "none"}, "search_v2": False})
        tab.expect_flag("promo", enabled="true", variant="on", reason="enabled")
        tab.expect_flag("search_v2", enabled="true")
        tab.shot("1-present")

        # When it is deleted
        api.delete("/flags/promo").raise_for_status()

    # Then it reads as its fallback again, and the other flag is untouched
    tab.expect_flag("promo", enabled="false", variant="none", payload=None, reason="fallback", changes="2")
    tab.expect_flag("search_v2", enabled="true", changes="1")
    tab.shot("2-deleted")
    assert tab.errors == []


def test_page__server_restarted__reconnects_and_catches_up(tab: Tab, tmp_path: Path) -> None:
    # Given a page connected to a server on a fixed port
    port, data = free_port(), tmp_path / "data"
    servers = [start_server(data, env=ADMIN_ENV, port=port)]
    try:
        with admin_client(servers[0]) as api:
            api.post("/flags", json={"name": "kill_switch"}).raise_for_status()
        tab.open(servers[0], {"kill_switch": False}, **FAST_RETRY)
        tab.expect_status("ready")
        tab.expect_flag("kill_switch", enabled="false")

        # When that server stops, the flag changes meanwhile (through another server on the same
        # database), and the server comes back on the same port
        servers[0].stop()
        servers.append(start_server(data, env=ADMIN_ENV))
        with admin_client(servers[1]) as api:
            api.post("/flags/kill_switch/toggle").raise_for_status()
        servers[1].stop()
        servers.append(start_server(data, env=ADMIN_ENV, port=port))

        # Then the page reconnects by itself and catches up, and changes flow again
        tab.expect_flag("kill_switch", enabled="true", changes="2", timeout=20_000)
        with admin_client(servers[2]) as api:
            api.post("/flags/kill_switch/toggle").raise_for_status()
        tab.expect_flag("kill_switch", enabled="false", changes="3")
        tab.shot("1-reconnected")
    finally:
        for server in servers:
            server.stop()

    # Reconnections resume from the last event seen; while the server was down, only refused
    # connections were logged
    assert len(tab.streams) >= 2
    assert all("last_event_id=" in url for url in tab.streams[1:])
    unexpected = [error for error in tab.errors if not ("ERR_CONNECTION_REFUSED" in error and "/stream?" in error)]
    assert unexpected == []


def test_page__client_tokens_required__token_in_query_accepted(
    tab: Tab, live_server: Callable[..., LiveServer]
) -> None:
    # Given a server that requires client tokens, and a client token
    server = live_server(env={**ADMIN_ENV, "VEXIL_REQUIRE_CLIENT_TOKEN": "true"})
    with admin_client(server) as api:
        api.post("/flags", json={"name": "beta", "enabled": True}).raise_for_status()
        secret = api.post("/tokens", json={"name": "web", "role": "client"}).json()["token"]
    with httpx.stream("GET", server.url + "/stream", timeout=5) as refused:
        assert refused.status_code == 401

    # When the page connects with it
    tab.open(server, {"beta": False}, token=secret)

    # Then it gets the flags
    tab.expect_status("ready")
    tab.expect_flag("beta", enabled="true", reason="enabled")
    assert tab.errors == []


# --- the values read, reported for the usage counts (docs/usage.md) -------------------------------

THEME = {"name": "theme", "enabled": True, "variants": [{"name": "light", "weight": 0}, {"name": "dark", "weight": 1}]}
# Three reads of `theme`, which the page does not show (so the page itself reads it none).
READ_THEME = "() => { const theme = window.vexil.feature('theme'); theme.enabled(); theme.variant(); theme.value(); }"


def usage(server: LiveServer, flag: str) -> dict[str, Any]:
    with admin_client(server) as api:
        found: dict[str, Any] = api.get(f"/flags/{flag}/usage").json()
        return found


def reads_of(server: LiveServer, flag: str) -> int:
    count: int = usage(server, flag)["by_source"].get("client", 0)
    return count


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT_MS / 1000) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_page__values_read__posted_after_the_interval(tab: Tab, live_server: Callable[..., LiveServer]) -> None:
    # Given a page of the app `web` in production, posting what it read every 300 ms
    server = live_server(env=ADMIN_ENV)
    with admin_client(server) as api:
        api.post("/flags", json=THEME).raise_for_status()
    context = {"identifier": "user-7", "environment": "production", "app": "web"}
    tab.open(server, {}, context=context, metricsIntervalMs=300)
    tab.expect_status("ready")
    # When the page reads the flag three times
    tab.page.evaluate(READ_THEME)
    # Then the reads arrive as the source `client`, with the page's variant, environment and app,
    # apart from the stream's own evaluation
    assert wait_until(lambda: reads_of(server, "theme") == 3), usage(server, "theme")
    found = usage(server, "theme")
    assert found["by_source"] == {"client": 3, "stream": 1}
    assert found["by_variant"] == {"dark": 4}
    assert (found["by_environment"], found["by_app"]) == ({"production": 4}, {"web": 4})
    assert tab.errors == []


def test_page__hidden__values_read_posted_at_once(tab: Tab, live_server: Callable[..., LiveServer]) -> None:
    # Given a page that would post what it read only once an hour
    server = live_server(env=ADMIN_ENV)
    with admin_client(server) as api:
        api.post("/flags", json=THEME).raise_for_status()
    tab.open(server, {}, context={"identifier": "user-7"}, metricsIntervalMs=3_600_000)
    tab.expect_status("ready")
    tab.page.evaluate(READ_THEME)
    # When the user leaves the page (it is hidden, then unloaded)
    tab.page.goto("about:blank")
    # Then the reads were posted as it went (by sendBeacon), under the app `default`
    assert wait_until(lambda: reads_of(server, "theme") == 3), usage(server, "theme")
    assert usage(server, "theme")["by_app"] == {"": 1, "default": 3}


def test_page__server_down_at_a_post__reads_posted_with_the_next(tab: Tab, tmp_path: Path) -> None:
    # Given a page posting every 300 ms, that read the flag three times while its server was down
    port, data = free_port(), tmp_path / "data"
    servers = [start_server(data, env=ADMIN_ENV, port=port)]
    try:
        with admin_client(servers[0]) as api:
            api.post("/flags", json=THEME).raise_for_status()
        tab.open(servers[0], {}, context={"identifier": "user-7"}, metricsIntervalMs=300, **FAST_RETRY)
        tab.expect_status("ready")
        servers[0].stop()
        # When a post fails, and the server comes back
        with tab.page.expect_event("requestfailed", lambda request: "/usage/reads" in request.url):
            tab.page.evaluate(READ_THEME)
        servers.append(start_server(data, env=ADMIN_ENV, port=port))
        # Then the reads arrive with a later post
        assert wait_until(lambda: reads_of(servers[1], "theme") == 3), usage(servers[1], "theme")
    finally:
        for server in servers:
            server.stop()
