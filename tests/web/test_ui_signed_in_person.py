"""A person signed in with a password, on a server that requires client tokens for evaluation
(VEXIL_REQUIRE_CLIENT_TOKEN), in headless Chromium: the sign-in returns to the page the person
opened, and the flag page's playground answers for a viewer (docs/people.md). Screenshots go to
test-artifacts/ui/."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, ok, start_server
from tests.people.helpers import PASSWORD
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow

FLAG = {
    "name": "strict_checkout",
    "enabled": True,
    "rollout_percentage": 0,
    "environments": {"production": {"rules": [{"conditions": [], "rollout_percentage": 100}]}},
}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's server requires a client token to evaluate; it has a flag and a viewer."""
    env = {"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN, "VEXIL_REQUIRE_CLIENT_TOKEN": "true"}
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env=env)
    with admin_client(started) as api:
        ok(api.post("/flags", json=FLAG))
        person = {"email": "vera@example.com", "name": "Vera Lind", "password": PASSWORD, "role": "viewer"}
        ok(api.post("/users", json=person))
    yield started
    started.stop(signal.SIGKILL)


def test_password_sign_in__opened_a_flag_while_signed_out__lands_on_that_flag(ui: Ui) -> None:
    # Given a viewer, signed out, who opens a flag's page
    # When she signs in with her password there
    ui.sign_in_person("vera@example.com", PASSWORD, hash="#/flags/strict_checkout", view="flag")
    # Then she is on that flag's page
    assert ui.page.url.endswith("/ui/#/flags/strict_checkout")
    expect(ui.page.locator("h1")).to_contain_text("strict_checkout")


def test_playground__viewer_while_client_tokens_required__shows_the_answer_and_the_rule(ui: Ui) -> None:
    # Given a viewer signed in, on a flag's page
    ui.sign_in_person("vera@example.com", PASSWORD, hash="#/flags/strict_checkout", view="flag")
    # When she asks the playground what user-1 gets in production
    ui.page.get_by_label("Identifier", exact=True).fill("user-1")
    ui.page.locator("#pg-environment").select_option("production")
    ui.page.get_by_role("button", name="Evaluate").click()
    # Then it answers: on, decided by the first rule
    result = ui.page.locator("#pg-result")
    expect(result.locator("[data-result='reason']")).to_have_text("rule_match")
    expect(result.locator("[data-result='active']")).to_have_text("yes")
    expect(result.locator("[data-result='rule']")).to_have_text("Rule 1")
    ui.page.locator("#playground").scroll_into_view_if_needed()
    ui.shot("1-playground", full_page=False)
