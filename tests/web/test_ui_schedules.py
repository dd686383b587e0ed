"""A flag's Schedule section in headless Chromium against a real server (docs/schedules.md): the
timeline of scheduled changes and plan steps around "now", scheduling a change and planning a
rollout from the page, pausing a plan and cancelling a change. Screenshots, light and dark, in
test-artifacts/ui/."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import TIMEOUT_MS, UI_SHOTS, Ui

pytestmark = pytest.mark.slow


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def section_shot(ui: Ui, step: str) -> None:
    """The Schedule section alone (test-artifacts/ui/), to look at without the whole page."""
    UI_SHOTS.mkdir(parents=True, exist_ok=True)
    ui.page.locator("#schedule").screenshot(path=UI_SHOTS / f"{ui.name}--{step}.png")


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A flag `launch` with one change already applied by the executor (which runs every 0.2 s here)
    and one release plan; a flag `quiet` with nothing scheduled."""
    env = {"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN, "VEXIL_SCHEDULE_SECONDS": "0.2"}
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env=env)
    with admin_client(started) as api:
        api.post("/flags", json={"name": "launch", "rollout_percentage": 0}).raise_for_status()
        api.post("/flags", json={"name": "quiet"}).raise_for_status()
        change = {"kind": "enable", "flag": "launch", "enabled": True}
        made = api.post("/schedules", json={"at": soon(seconds=1), "changes": [change], "title": "Turn launch on"})
        made.raise_for_status()
        steps = [{"after_hours": 24, "rollout_percentage": p} for p in (10, 50, 100)]
        api.post(
            "/release-plans", json={"flag": "launch", "environment": "production", "steps": steps}
        ).raise_for_status()
        deadline = time.monotonic() + 30  # the executor applies the first change within a second or so
        while api.get(f"/schedules/{made.json()['id']}").json()["state"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)
    yield started
    started.stop(signal.SIGKILL)


def test_flag_schedule__timeline__applied_before_now_and_plan_steps_after(ui: Ui) -> None:
    # When an admin opens a flag with an applied change and a plan
    ui.sign_in(hash="#/flags/launch", view="flag")
    timeline = ui.page.locator("#timeline")
    # Then the applied change comes before "now", the plan's three steps after it
    expect(timeline.locator(".timeline-item")).to_have_count(4)
    items = timeline.locator("li")
    expect(items.nth(0)).to_have_attribute("data-state", "applied")
    expect(items.nth(0)).to_contain_text("Turn launch on")
    expect(items.nth(1)).to_have_class("timeline-now")
    expect(items.nth(2)).to_contain_text("Step 1: rollout 10 % in production")
    expect(ui.page.locator(".plan-head")).to_contain_text("0 of 3 steps applied")
    ui.page.locator("#schedule").scroll_into_view_if_needed()
    ui.shot("timeline")
    section_shot(ui, "timeline-section")


def test_flag_schedule__on_a_phone__fits_the_width(phone: Ui) -> None:
    # When the flag's page is opened on a phone
    phone.sign_in(hash="#/flags/launch", view="flag")
    expect(phone.page.locator("#timeline .timeline-item")).to_have_count(4)
    # Then the Schedule section fits, nothing scrolls sideways
    assert phone.overflow_x() == 0
    section_shot(phone, "timeline-phone")


def test_flag_schedule__step_applies_while_the_page_is_open__timeline_and_flag_follow(ui: Ui) -> None:
    # Given the page of a flag open, with a change scheduled for a moment later
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "watched"}).raise_for_status()
        ui.sign_in(hash="#/flags/watched", view="flag")
        change = {"kind": "enable", "flag": "watched", "enabled": True}
        api.post("/schedules", json={"at": soon(seconds=2), "changes": [change]}).raise_for_status()
    # When the server applies it; Then the page shows the flag on and the change applied, unreloaded
    expect(ui.page.locator("#timeline .timeline-item").first).to_have_attribute("data-state", "applied", timeout=20_000)
    expect(ui.page.locator("#timeline .timeline-item").first).to_contain_text("Turn watched on")


def test_flag_schedule__schedule_and_cancel_a_change_from_the_page(ui: Ui) -> None:
    # Given the page of a flag with nothing scheduled
    ui.sign_in(hash="#/flags/quiet", view="flag")
    expect(ui.page.locator("#timeline-empty")).to_be_visible()
    # When a change is scheduled: turn on in production, at the form's default (in an hour)
    ui.page.locator("#schedule-env").select_option("production")
    ui.page.locator("#schedule-submit").click()
    # Then it shows as pending on the timeline
    item = ui.page.locator("#timeline .timeline-item")
    expect(item).to_have_count(1, timeout=TIMEOUT_MS)
    expect(item).to_have_attribute("data-state", "pending")
    # When it is cancelled; Then it shows cancelled, with nothing left to cancel
    item.locator("button", has_text="Cancel").click()
    expect(item.first).to_have_attribute("data-state", "cancelled")
    expect(ui.page.locator("#timeline button", has_text="Cancel")).to_have_count(0)


def test_flag_schedule__plan_a_rollout_then_pause_it(ui: Ui, dark: Ui) -> None:
    # Given the page of a flag
    ui.sign_in(hash="#/flags/quiet", view="flag")
    # When a rollout of 5, 25 and 100 % a day apart is planned in staging
    ui.page.locator("#plan-steps").fill("5, 25, 100")
    ui.page.locator("#plan-env").select_option("staging")
    ui.page.locator("#plan-submit").click()
    # Then the plan shows with its three steps on the timeline
    plan = ui.page.locator(".plan-head").first
    expect(plan).to_contain_text("Release of quiet in staging")
    expect(ui.page.locator("#timeline .timeline-item", has_text="in staging")).to_have_count(3)
    # When it is paused; Then it says so, and offers to resume
    plan.locator("button", has_text="Pause").click()
    expect(ui.page.locator(".plan-head").first).to_have_attribute("data-state", "paused")
    expect(ui.page.locator(".plan-head").first.locator("button", has_text="Resume")).to_be_visible()
    section_shot(ui, "plan-paused")
    # And in dark mode the section reads as well
    dark.sign_in(hash="#/flags/launch", view="flag")
    expect(dark.page.locator("#timeline .timeline-item")).to_have_count(4)
    section_shot(dark, "timeline-section-dark")
