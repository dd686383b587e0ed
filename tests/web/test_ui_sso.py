"""Single sign-on in the admin UI (docs/people.md, Single sign-on), in headless Chromium: a real
Vexil server and a real OpenID Connect provider (`oidc-provider`, tests/people/oidc.py), the
provider's own login and consent pages filled in as a person would. Screenshots go to
test-artifacts/ui/.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, free_port, ok, start_server
from tests.people.oidc import Provider, start_provider
from tests.web.conftest import TIMEOUT_MS, Ui

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def port() -> int:
    """The port of this module's Vexil server, known before it starts: the provider registers its callback."""
    return free_port()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory, port: int) -> Iterator[Provider]:
    yield from start_provider(tmp_path_factory.mktemp("oidc"), [f"http://127.0.0.1:{port}/sso/callback"])


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory, provider: Provider, port: int) -> Iterator[LiveServer]:
    """This module's server signs people in through `provider`."""
    env = {"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN, **provider.env()}
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env=env, port=port)
    yield started
    started.stop(signal.SIGKILL)


def sign_in_at_the_provider(ui: Ui, login: str) -> None:
    """From Vexil's sign-in page, through the provider's login and consent pages (whose stylesheet
    asks for a web font from outside: answered here, empty, so that nothing leaves the machine)."""
    ui.page.route("https://fonts.googleapis.com/**", lambda route: route.fulfill(content_type="text/css", body=""))
    ui.page.get_by_role("link", name="Sign in with SSO").click()
    ui.page.locator("input[name='login']").fill(login)
    ui.page.locator("input[name='password']").fill("any password")
    ui.page.get_by_role("button", name="Sign-in").click()
    ui.page.get_by_role("button", name="Continue").click()


def test_signin__sso_configured__offers_sign_in_with_sso_first(ui: Ui, dark: Ui) -> None:
    # Given a server with single sign-on, its sign-in page in light and dark mode
    for tab, mode in ((ui, "light"), (dark, "dark")):
        tab.open()
        tab.wait_ready("signin")
        # Then the single sign-on button comes first, then email and password
        button = tab.page.get_by_role("link", name="Sign in with SSO")
        expect(button).to_have_attribute("href", "/sso/login")
        expect(tab.page.locator(".signin-or")).to_have_text("or with email and password")
        expect(tab.page.get_by_label("Email")).to_be_visible()
        tab.shot(f"1-signin-sso-{mode}")


def test_sso__editor_at_the_provider__signed_in_with_the_role_and_audited_by_email(ui: Ui) -> None:
    # Given a flag, and alice in the provider's group vexil-editors
    with admin_client(ui.server) as api:
        ok(api.post("/flags", json={"name": "sso_ui_flag", "description": "Toggled by a person signed in by SSO"}))
    ui.open()
    ui.wait_ready("signin")
    # When she signs in with SSO at the provider
    sign_in_at_the_provider(ui, "alice")
    # Then she is back in Vexil, signed in as herself, an editor
    ui.wait_ready("flags")
    expect(ui.page.locator("#who")).to_have_text("Alice Martin")
    expect(ui.page.locator("#role")).to_have_text("Editor")
    expect(ui.page.locator("#live")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    ui.shot("1-signed-in")
    # And her toggle is audited under her email
    toggle = ui.toggle("sso_ui_flag", "production")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    with admin_client(ui.server) as api:
        events = ok(api.get("/audit", params={"flag": "sso_ui_flag"}))["events"]
    assert (events[0]["actor"], events[0]["action"]) == ("alice@example.com", "toggle")


def test_sso__no_role_at_the_provider__the_sign_in_page_says_why(ui: Ui) -> None:
    # Given sam, in no group that maps to a Vexil role
    ui.open()
    ui.wait_ready("signin")
    # When he signs in with SSO
    sign_in_at_the_provider(ui, "sam")
    # Then he is back on the sign-in page, told why, and signed out
    ui.wait_ready("signin")
    expect(ui.page.locator("#sso-error")).to_contain_text("sam@example.com has no Vexil role")
    expect(ui.page.locator("#nav")).to_be_hidden()
    assert "sso_error" not in ui.page.url
    ui.shot("1-refused")


def test_sso__flag_page_opened_while_signed_out__signed_in_on_that_page(ui: Ui) -> None:
    # Given a flag, and olga, signed out, who opens its page from a link
    with admin_client(ui.server) as api:
        ok(api.post("/flags", json={"name": "sso_return_flag", "description": "Opened from a link"}))
    ui.open("#/flags/sso_return_flag")
    ui.wait_ready("signin")
    # When she signs in with SSO at the provider
    sign_in_at_the_provider(ui, "olga")
    # Then she is back on that flag's page, signed in
    ui.wait_ready("flag")
    assert ui.page.url == f"{ui.server.url}/ui/#/flags/sso_return_flag"
    expect(ui.page.locator("h1")).to_contain_text("sso_return_flag")
    expect(ui.page.locator("#who")).to_have_text("Olga Admin")
    ui.shot("1-back-on-the-flag")
