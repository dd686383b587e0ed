"""Revert from the audit log in headless Chromium against a real server: the button, its
confirmation, "Revert anyway" after a refusal, and none for a reader. Screenshots, light and dark,
go to test-artifacts/ui/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import LiveServer, admin_client, ok
from tests.web.conftest import DESKTOP, Ui, _tab

pytestmark = pytest.mark.slow


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A tab at 1280x800 in dark mode."""
    yield from _tab(browser, ui_server, request, DESKTOP, "dark")


def changed_flag(ui: Ui, name: str) -> None:
    """A flag created, then given a description and a rollout of 30 % in one change."""
    with admin_client(ui.server) as api:
        ok(api.post("/flags", json={"name": name, "enabled": True, "tags": ["checkout"]}))
        ok(api.patch(f"/flags/{name}", json={"description": "Half the users", "rollout_percentage": 30}))


def open_log(ui: Ui, name: str) -> None:
    ui.sign_in(hash=f"#/audit?flag={name}", view="audit")


def test_revert__confirmed__flag_back_and_the_revert_on_top(ui: Ui) -> None:
    # Given a changed flag, and its log open
    changed_flag(ui, "ui_revert")
    open_log(ui, "ui_revert")
    events = ui.page.locator("#audit-events .event")
    expect(events).to_have_count(2)
    newest = events.first
    # When Revert is pressed on the change, a confirmation asks first
    newest.get_by_role("button", name="Revert event").click()
    expect(newest.locator(".confirm")).to_contain_text("Put flag ui_revert back as it was before this change?")
    ui.shot("1-confirm")
    newest.locator(".confirm").get_by_role("button", name="Revert").click()
    # Then the log shows the revert on top, naming the event it reverts, and the flag is back
    ui.wait_ready("audit")
    expect(events).to_have_count(3)
    expect(events.first).to_have_attribute("data-action", "revert")
    expect(events.first.locator(".reverts")).to_contain_text("reverts #")
    with admin_client(ui.server) as api:
        flag = ok(api.get("/flags/ui_revert"))
    assert (flag["rollout_percentage"], flag["description"]) == (100, "")
    ui.shot("2-reverted")


def test_revert__changed_since__says_so_and_reverts_anyway(dark: Ui) -> None:
    # Given a flag changed twice
    changed_flag(dark, "ui_revert_twice")
    with admin_client(dark.server) as api:
        ok(api.patch("/flags/ui_revert_twice", json={"description": "Everyone"}))
    open_log(dark, "ui_revert_twice")
    dark.console.expect_http(409, "/revert")
    first_change = dark.page.locator("#audit-events .event").nth(1)
    # When the older change is reverted
    first_change.get_by_role("button", name="Revert event").click()
    first_change.locator(".confirm").get_by_role("button", name="Revert").click()
    # Then the server's refusal shows, and the button offers to revert anyway
    expect(first_change.locator(".form-error")).to_contain_text("changed after audit event")
    anyway = first_change.get_by_role("button", name="Revert anyway")
    expect(anyway).to_be_visible()
    dark.shot("1-changed-since-dark")
    anyway.click()
    dark.wait_ready("audit")
    expect(dark.page.locator("#audit-events .event").first).to_have_attribute("data-action", "revert")
    dark.shot("2-reverted-dark")
    with admin_client(dark.server) as api:
        assert ok(api.get("/flags/ui_revert_twice"))["rollout_percentage"] == 100


def test_revert__reader__no_button(ui: Ui) -> None:
    # Given a changed flag, and a server token
    changed_flag(ui, "ui_revert_reader")
    with admin_client(ui.server) as api:
        secret = ok(api.post("/tokens", json={"name": "ui-revert-reader", "role": "server"}))["token"]
    # When a reader opens the log
    ui.sign_in(secret, hash="#/audit?flag=ui_revert_reader", view="audit")
    # Then the events show, without Revert
    expect(ui.page.locator("#audit-events .event")).to_have_count(2)
    expect(ui.page.get_by_role("button", name="Revert event")).to_have_count(0)
