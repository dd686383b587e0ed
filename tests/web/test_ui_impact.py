"""The impact preview of a pending edit on the flag page, in headless Chromium against a real server
whose sample holds users evaluated over HTTP. Screenshots, light and dark, go to test-artifacts/ui/."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok, start_server
from tests.web.conftest import DESKTOP, Ui, _tab
from tests.web.test_ui_flag import open_flag, save
from vexil.engine import bucket

pytestmark = pytest.mark.slow


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of each test's own: its sample holds only the users that test evaluated."""
    started = start_server(tmp_path / "data", env=ADMIN_ENV)
    yield started
    started.stop(signal.SIGKILL)


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    yield from _tab(browser, ui_server, request, DESKTOP, "dark")


def evaluated(ui: Ui, flag: str, users: int, environment: str) -> list[str]:
    """`users` users evaluated for `flag` through the server, in `environment`; their identifiers."""
    identifiers = [f"{flag}-user-{i}" for i in range(users)]
    with httpx.Client(base_url=ui.server.url, timeout=10) as http:
        for identifier in identifiers:
            ok(http.get(f"/flags/{flag}/evaluate", params={"identifier": identifier, "environment": environment}))
    return identifiers


def test_flag_page__rollout_edited__preview_counts_the_users_it_flips(ui: Ui) -> None:
    # Given a flag at 10 %, evaluated for 300 users in production
    open_flag(ui, "ui_impact", enabled=True, rollout_percentage=10)
    identifiers = evaluated(ui, "ui_impact", 300, "production")
    flips = sum(1 for identifier in identifiers if 1000 <= bucket("ui_impact", identifier) < 3000)
    # When the rollout is edited to 30 % and the impact previewed
    ui.page.get_by_label("Default rollout percentage").fill("30")
    ui.page.get_by_role("button", name="Preview impact").click()
    # Then the panel says how many of the recent users would flip, from off to on, and where
    panel = ui.page.locator("#impact")
    expect(panel.locator(".impact-headline")).to_have_text(f"{flips} of 300 recent users would get a different answer.")
    expect(panel.locator(".impact-changes li")).to_have_text(f"off → on{flips}")
    expect(panel.locator(".impact-environments")).to_contain_text(f"production: {flips} of 300")
    ui.shot("1-preview", full_page=False)
    # And a further edit makes the counts stale, and saving works as before
    ui.page.get_by_label("Default rollout percentage").fill("40")
    expect(panel).to_be_hidden()
    save(ui, 2)


def test_flag_page__two_environments__counted_apart_in_dark_mode(dark: Ui) -> None:
    # Given a flag at 20 %, evaluated for 100 users in production and 100 in staging
    open_flag(dark, "ui_impact_dark", enabled=True, rollout_percentage=20)
    production = evaluated(dark, "ui_impact_dark", 100, "production")
    with httpx.Client(base_url=dark.server.url, timeout=10) as http:
        staging = [f"staging-{i}" for i in range(100)]
        for identifier in staging:
            ok(http.get("/flags/ui_impact_dark/evaluate", params={"identifier": identifier, "environment": "staging"}))
    # When the rollout is edited to 60 % and the impact previewed
    dark.page.get_by_label("Default rollout percentage").fill("60")
    dark.page.get_by_role("button", name="Preview impact").click()

    # Then each environment's users are counted apart (the whole sample is this server's recent users)
    def flipped(identifiers: list[str]) -> int:
        return sum(1 for identifier in identifiers if 2000 <= bucket("ui_impact_dark", identifier) < 6000)

    environments = dark.page.locator("#impact .impact-environments")
    expect(environments).to_contain_text(f"production: {flipped(production)} of 100")
    expect(environments).to_contain_text(f"staging: {flipped(staging)} of 100")
    dark.shot("1-preview-dark", full_page=False)


def test_segment_page__conditions_edited__preview_counts_the_users_of_its_flags(ui: Ui) -> None:
    # Given a flag served to a segment of pro users, and users on two plans evaluated
    pros = [{"field": "plan", "operator": "eq", "value": "pro"}]
    rule = {"conditions": [{"operator": "in_segment", "value": "pros"}], "serve": "on"}
    with httpx.Client(base_url=ui.server.url, timeout=10, headers=ADMIN) as api:
        ok(api.post("/segments", json={"name": "pros", "conditions": pros}))
        ok(api.post("/flags", json={"name": "pro_only", "enabled": True, "rollout_percentage": 0, "rules": [rule]}))
        for index in range(12):
            plan = "pro" if index < 4 else "free"
            ok(api.get("/flags/pro_only/evaluate", params={"identifier": f"u{index}", "plan": plan}))
    ui.sign_in(hash="#/segments/pros", view="segment")
    # When the segment's condition is changed to the free plan and the impact previewed
    ui.page.locator("#seg-cond-0-value").fill("free")
    ui.page.get_by_role("button", name="Preview impact").click()
    # Then all twelve flip: four pros lose the flag, eight free users get it
    expect(ui.page.locator("#impact .impact-headline")).to_have_text(
        "12 of 12 recent users would get a different answer."
    )
    expect(ui.page.locator("#impact .impact-changes li")).to_have_text(["pro_only: off → on8", "pro_only: on → off4"])
    ui.shot("1-segment-preview", full_page=False)
