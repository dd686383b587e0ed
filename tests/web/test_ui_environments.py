"""The Environments page (docs/environments.md), in headless Chromium against a real server: the list
with what overrides each, rename, move, delete with a confirmation that names what goes, compare two
side by side and promote the chosen flags. Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer, admin_client, ok
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow


def given(server: LiveServer) -> None:
    """qa (overridden by two flags) and flags that differ between staging and production."""
    with admin_client(server) as api:
        if api.get("/environments/qa/usage").status_code == 404:
            ok(api.post("/environments", json={"name": "qa"}))
        for name, environments in (
            ("env-checkout", {"staging": {"enabled": True, "rollout_percentage": 25}, "qa": {"enabled": True}}),
            ("env-search", {"staging": {"enabled": True}, "qa": {"rollout_percentage": 5}}),
            ("env-banner", {}),
        ):
            if api.get(f"/flags/{name}").status_code == 404:
                ok(api.post("/flags", json={"name": name, "environments": environments}))


def test_environments_page__list_compare_promote(ui: Ui, dark: Ui) -> None:
    # Given environments and flags that differ between staging and production
    given(ui.server)
    for tab, mode in ((ui, "light"), (dark, "dark")):
        tab.sign_in(hash="#/environments", view="environments")
        # Then every environment is listed with how many flags override it
        table = tab.page.locator("#environments-table")
        expect(table.locator("tr[data-name='qa'] td[data-label='Overrides']")).to_have_text("2 flags")
        # When staging is compared with production
        tab.page.locator("#compare-from").select_option("staging")
        tab.page.locator("#compare-to").select_option("production")
        tab.page.locator("#compare-go").click()
        # Then the differing flags are listed side by side, setting by setting
        expect(tab.page.locator("#compare-table tr[data-flag='env-checkout']")).to_have_count(2)
        expect(tab.page.locator("#compare-table tr[data-flag='env-banner']")).to_have_count(0)
        tab.shot(f"1-compare-{mode}")
    # When only env-checkout is promoted
    ui.page.get_by_label("Promote env-search").uncheck()
    ui.page.locator("#promote-go").click()
    # Then it is said, and only env-search still differs
    expect(ui.page.locator("#env-status")).to_contain_text("Promoted 1 flag from staging to production: env-checkout")
    expect(ui.page.locator("#compare-table tr[data-flag='env-checkout']")).to_have_count(0)
    expect(ui.page.locator("#compare-table tr[data-flag='env-search']")).to_have_count(1)
    production = ui.page.locator("#environments-table tr[data-name='production'] td[data-label='Overrides']")
    expect(production).to_have_text("1 flag")
    ui.shot("2-promoted")


def test_environments_page__rename_then_delete_naming_what_goes(ui: Ui) -> None:
    # Given qa, overridden by two flags
    given(ui.server)
    ui.sign_in(hash="#/environments", view="environments")
    # When qa is renamed testing
    ui.page.locator("#rename-qa").click()
    ui.page.get_by_label("New name for qa").fill("testing")
    ui.page.get_by_role("button", name="Rename", exact=True).click()
    # Then it is listed under its new name, its overrides with it
    row = ui.page.locator("#environments-table tr[data-name='testing']")
    expect(row.locator("td[data-label='Overrides']")).to_have_text("2 flags")
    # When it is deleted
    ui.page.locator("#delete-testing").click()
    # Then the confirmation names the flags whose overrides go, and wants the name typed
    expect(ui.page.locator(".confirm")).to_contain_text("env-checkout, env-search")
    expect(ui.page.locator("#delete-testing-go")).to_be_disabled()
    ui.page.get_by_label("Type testing to confirm").fill("testing")
    ui.shot("1-delete-confirm")
    ui.page.locator("#delete-testing-go").click()
    # Then it is gone, and the flags no longer override it
    expect(ui.page.locator("#env-status")).to_contain_text(
        "Deleted testing and its overrides in env-checkout, env-search"
    )
    expect(ui.page.locator("#environments-table tr[data-name='testing']")).to_have_count(0)
    with admin_client(ui.server) as api:
        assert "testing" not in ok(api.get("/flags/env-checkout"))["environments"]
    ui.shot("2-deleted")


def test_environments_page__editor_promotes_to_protected__change_request(ui: Ui, phone: Ui) -> None:
    # Given production protected, a flag that differs there, and an editor token
    given(ui.server)
    with admin_client(ui.server) as api:
        ok(api.patch("/environments/production", json={"protected": True}))
        if api.get("/flags/env-guarded").status_code == 404:
            ok(api.post("/flags", json={"name": "env-guarded", "environments": {"staging": {"enabled": True}}}))
        editor = ok(api.post("/tokens", json={"name": "env-editor", "role": "editor"}))["token"]
    try:
        phone.sign_in(editor, hash="#/environments", view="environments")
        # Then an editor sees no rename, move or delete, and production's padlock
        expect(phone.page.locator("#rename-staging")).to_have_count(0)
        expect(phone.page.locator("#environments-table tr[data-name='production'] .lock-icon")).to_have_count(1)
        # When the editor compares staging with production and asks to promote env-guarded only
        phone.page.locator("#compare-from").select_option("staging")
        phone.page.locator("#compare-to").select_option("production")
        phone.page.locator("#compare-go").click()
        expect(phone.page.get_by_label("Promote env-guarded")).to_be_checked()
        for other in ("env-checkout", "env-search"):  # those of the other tests that still differ
            box = phone.page.get_by_label(f"Promote {other}")
            if box.count():
                box.uncheck()
                expect(box).not_to_be_checked()
        expect(phone.page.locator("#promote-go")).to_have_text("Request promotion to production")
        phone.page.locator("#promote-go").click()
        # Then nothing changed yet: a change request holds it, linked
        expect(phone.page.locator("#promote-outcome")).to_contain_text("waits for approval in change request #")
        phone.shot("1-requested")
        with admin_client(ui.server) as api:
            assert "production" not in ok(api.get("/flags/env-guarded"))["environments"]
            requests = ok(api.get("/change-requests"))["change_requests"]
            assert [change["flag"] for change in requests[0]["changes"]] == ["env-guarded"]
    finally:
        with admin_client(ui.server) as api:
            ok(api.patch("/environments/production", json={"protected": False}))
