"""`/docs` in Chromium with the network closed to everything but the server: Swagger UI's files come
from Vexil itself, the page renders, and "Authorize" takes a token that "Try it out" then sends."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.conftest import ADMIN_ENV, ADMIN_TOKEN, LiveServer
from tests.web.conftest import ARTIFACTS, TIMEOUT_MS, Console

SHOTS = ARTIFACTS / "docs"


@pytest.fixture
def offline(browser: Browser, live_server: Callable[..., LiveServer]) -> Iterator[tuple[Page, LiveServer, list[str]]]:
    """A tab on a real server, every request to another origin refused (and recorded)."""
    server = live_server(env=ADMIN_ENV)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", only_the_server)
    console = Console.watch(page)
    yield page, server, elsewhere
    context.close()
    assert console.unexpected() == []


def test_docs__network_closed__swagger_ui_renders_from_the_server(offline: tuple[Page, LiveServer, list[str]]) -> None:
    page, server, elsewhere = offline
    # When /docs is opened with no network beyond the server
    page.goto(f"{server.url}/docs")
    # Then Swagger UI renders Vexil's document, with its operations
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Vexil", timeout=TIMEOUT_MS)
    expect(page.locator(".opblock-summary-path", has_text="/flags/{name}/evaluate").first).to_be_visible()
    # And nothing was asked of another host
    assert elsewhere == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "docs--offline.png")


def test_docs__authorize__the_token_is_sent_by_try_it_out(offline: tuple[Page, LiveServer, list[str]]) -> None:
    page, server, elsewhere = offline
    page.goto(f"{server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Vexil", timeout=TIMEOUT_MS)
    # When the admin token is entered under "Authorize" as a bearer token
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    expect(dialog).to_contain_text("bearer")
    expect(dialog).to_contain_text("X-API-Key")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "docs--authorize.png")
    dialog.locator("input").first.fill(ADMIN_TOKEN)
    dialog.locator("button.authorize").first.click()
    # the bearer one now offers "Logout"; X-API-Key and the session cookie still offer "Authorize"
    expect(dialog.locator("button.authorize")).to_have_count(2)
    dialog.locator("button.btn-done").first.click()
    # And GET /whoami is tried out (the page opens with "Try it out" on)
    path = page.locator(".opblock-summary-path", has_text=re.compile(r"^/whoami$"))
    operation = page.locator(".opblock", has=path)
    operation.locator(".opblock-summary").click()
    with page.expect_response(f"{server.url}/whoami") as answered:
        operation.get_by_role("button", name="Execute").click()
    # Then the server saw the token: the admin answered, not a 401
    response = answered.value
    assert response.status == 200, response.text()
    assert response.json()["role"] == "admin"
    assert response.request.headers["authorization"] == f"Bearer {ADMIN_TOKEN}"
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_contain_text("200")
    page.screenshot(path=SHOTS / "docs--tried-whoami.png", full_page=False)
    assert elsewhere == []
