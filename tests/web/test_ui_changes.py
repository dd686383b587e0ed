"""The admin UI's change requests in headless Chromium against a real server whose production is
protected: the list by state, a request's diff, approve and apply by a second admin, the requester
refused, and the page on a phone and in dark mode (screenshots in test-artifacts/ui/)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, ok, start_server
from tests.web.conftest import DESKTOP, Ui, _tab

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Production protected; flags checkout and search; change requests in each state but applied."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    with admin_client(started) as api:
        ok(api.patch("/environments/production", json={"protected": True, "required_approvals": 1}))
        for name in ("checkout", "search", "banner"):
            ok(api.post("/flags", json={"name": name, "description": f"The {name}"}))
        launch = [
            {"kind": "toggle", "flag": "checkout", "environment": "production"},
            {"kind": "override", "flag": "checkout", "fields": {"environment": "production", "rollout_percentage": 20}},
            {"kind": "patch", "flag": "search", "fields": {"rollout_percentage": 50}},
        ]
        ok(api.post("/change-requests", json={"title": "Launch the new checkout", "changes": launch}))
        banner = [{"kind": "toggle", "flag": "banner", "environment": "production"}]
        ok(api.post("/change-requests", json={"title": "Holiday banner", "changes": banner, "draft": True}))
        ok(api.post("/change-requests", json={"title": "Banner everywhere", "changes": banner}))
    yield started
    started.stop(signal.SIGKILL)


@pytest.fixture(scope="module")
def reviewer(ui_server: LiveServer) -> str:
    """The secret of a second admin, `reviewer`, who rejected "Banner everywhere" (#3)."""
    with admin_client(ui_server) as api:
        secret: str = ok(api.post("/tokens", json={"name": "reviewer", "role": "admin"}))["token"]
    with httpx.Client(base_url=ui_server.url, headers={"Authorization": f"Bearer {secret}"}) as http:
        ok(http.post("/change-requests/3/reject", json={"text": "Not before December"}))
    return secret


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    yield from _tab(browser, ui_server, request, DESKTOP, color_scheme="dark")


def test_changes_page__list__one_row_each_filtered_by_state(ui: Ui, reviewer: str) -> None:
    # When an admin opens Change requests from the navigation
    ui.sign_in()
    ui.page.get_by_role("link", name="Change requests").click()
    ui.wait_ready("changes")
    # Then each request has its row with its state, requester and environments
    expect(ui.page.locator("#changes-table tbody tr")).to_have_count(3)
    launch = ui.page.locator("#changes-table tr[data-id='1']")
    expect(launch).to_contain_text("Launch the new checkout")
    expect(launch).to_contain_text("Waiting for approval")
    expect(launch).to_contain_text("production")
    expect(ui.page.locator("#nav a[data-section='changes']")).to_have_attribute("aria-current", "page")
    ui.shot("changes")
    # When filtered to the rejected ones; Then only that one
    ui.page.locator(".tabs a[data-state='rejected']").click()
    ui.wait_ready("changes")
    expect(ui.page.locator("#changes-table tbody tr")).to_have_count(1)
    expect(ui.page.locator("#changes-table tbody tr")).to_contain_text("Banner everywhere")


def test_change_page__requester_refused_then_reviewer_approves_and_applies(
    ui: Ui, ui_server: LiveServer, reviewer: str
) -> None:
    # Given the requester (the admin) on the launch request: its diff against the flags as they are
    ui.sign_in(hash="#/changes/1", view="change")
    checkout = ui.page.locator(".change-flag[data-flag='checkout']")
    expect(checkout.locator("tr[data-path='environments.production.rollout_percentage']")).to_contain_text("20")
    expect(ui.page.locator(".change-flag[data-flag='search'] tr[data-path='rollout_percentage']")).to_contain_text("50")
    ui.shot("change-open")
    # When the requester approves; Then refused, saying why
    ui.console.expect_http(403, "/change-requests/1/approve")
    ui.page.locator("#change-approve").click()
    expect(ui.page.locator("#change-error")).to_contain_text("someone else must approve it")
    # When the reviewer signs in, comments, approves and applies
    ui.page.get_by_role("button", name="Sign out").click()
    ui.sign_in(token=reviewer, hash="#/changes/1", view="change")
    ui.page.get_by_label("Comment").fill("20 % first: good.")
    ui.page.get_by_role("button", name="Comment").click()
    expect(ui.page.locator("#change-timeline li[data-kind='comment']")).to_contain_text("20 % first: good.")
    ui.page.locator("#change-approve").click()
    expect(ui.page.locator(".page-head .badge.state")).to_have_text("Approved")
    ui.page.locator("#change-apply").click()
    # Then it is applied, and the timeline tells who did what
    expect(ui.page.locator(".page-head .badge.state")).to_have_text("Applied")
    expect(ui.page.locator("#change-timeline li")).to_have_count(3)
    expect(ui.page.locator(".change-meta")).to_contain_text("applied by reviewer")
    ui.shot("change-applied")
    # And the audit log names the requester and says who approved and applied it
    ui.go("#/audit?flag=checkout", "audit")
    applied = ui.page.locator("#audit-events .event").first
    expect(applied).to_contain_text("by admin")
    expect(applied).to_contain_text("through change request #1, approved by reviewer, applied by reviewer")
    ui.shot("audit-via")
    # And the flag is on at 20 % in production
    with admin_client(ui_server) as api:
        assert ok(api.get("/flags/checkout"))["environments"] == {
            "production": {"enabled": True, "rollout_percentage": 20}
        }


def test_change_page__rejected_in_dark_mode__no_actions(dark: Ui, reviewer: str) -> None:
    dark.sign_in(hash="#/changes/3", view="change")
    expect(dark.page.locator(".page-head .badge.state")).to_have_text("Rejected")
    expect(dark.page.locator(".change-actions")).to_have_count(0)
    expect(dark.page.locator("#change-timeline")).to_contain_text("Not before December")
    dark.shot("change-rejected-dark")
    dark.go("#/changes", "changes")
    dark.shot("changes-dark")


def test_changes_page__phone__cards_without_sideways_scrolling(phone: Ui) -> None:
    phone.sign_in(hash="#/changes", view="changes")
    expect(phone.page.locator("#changes-table tbody tr")).to_have_count(3)
    assert phone.overflow_x() == 0
    phone.shot("changes-phone")
    phone.go("#/changes/2", "change")
    assert phone.overflow_x() == 0
    phone.shot("change-phone")
