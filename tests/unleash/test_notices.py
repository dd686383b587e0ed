"""Where a flag is left out of the Unleash client API, people are told: on the flag's page in the
admin UI (a notice, in headless Chromium) and by `vexil flag get` (one line), against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.cli.harness import ServerProcess, Vexil, start_server
from tests.conftest import admin_client
from tests.web.conftest import Ui, browser, ui, ui_server

__all__ = ["browser", "ui", "ui_server"]  # the admin UI's fixtures, used here as in tests/web

pytestmark = pytest.mark.slow

REGEX_RULE = {"conditions": [{"field": "email", "operator": "matches", "value": "^a"}], "serve": "on"}


@pytest.fixture(scope="module")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("unleash-cli") / "data")
    yield server
    server.stop()


def test_flag_get__left_out_of_unleash__one_line_says_where_and_why(cli_server: ServerProcess) -> None:
    # Given a flag whose rule in production uses `matches`, and a plain one
    with cli_server.http() as api:
        api.post("/flags", json={"name": "plain", "enabled": True}).raise_for_status()
        api.post("/flags", json={"name": "regex", "enabled": True}).raise_for_status()
        override = {"environment": "production", "rules": [REGEX_RULE]}
        api.post("/flags/regex/environments", json=override).raise_for_status()
    vexil = Vexil(cli_server.url, cli_server.token)
    # When
    regex = vexil.ok("flag", "get", "regex").stdout
    plain = vexil.ok("flag", "get", "plain").stdout
    # Then
    line = next(line for line in regex.splitlines() if line.startswith("unleash"))
    assert "left out in production: rule 1 uses `matches`" in " ".join(regex.split())
    assert "left out in staging" not in regex and line
    assert "served to Unleash SDKs" in plain


def test_flag_page__left_out_of_unleash__notice_names_environment_and_reason(ui: Ui) -> None:
    # Given a flag rolled out to 12.5 % in staging only
    with admin_client(ui.server) as api:
        override = {"staging": {"rollout_percentage": 12.5}}
        api.post("/flags", json={"name": "fine-grained", "enabled": True, "environments": override}).raise_for_status()
        api.post("/flags", json={"name": "coarse", "enabled": True}).raise_for_status()
    # When its page is opened
    ui.sign_in(hash="#/flags/fine-grained", view="flag")
    # Then a notice says where Unleash SDKs do not get it, and why
    note = ui.page.locator("#unleash-note")
    expect(note).to_contain_text("Left out of the Unleash client API")
    expect(note).to_contain_text("in staging: the rollout rolls out to 12.5 %")
    expect(note).not_to_contain_text("production")
    ui.shot("unleash-left-out")
    # And a flag that every Unleash SDK gets has no notice
    ui.page.goto(ui.server.url + "/ui/#/flags/coarse")
    ui.wait_ready("flag")
    expect(ui.page.locator("h1.flag-name")).to_have_text("coarse")
    expect(ui.page.locator("#unleash-note")).to_have_count(0)
