"""The admin UI's other pages in headless Chromium against a real server (started with --demo):
segments, tokens and the audit log; every page at 1280x800 and at a phone's 390x844. Screenshots
go to test-artifacts/ui/; with VEXIL_DOCS_SCREENSHOTS=1 the README's go to docs/img/.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import Ui
from tests.webhooks.receiver import receiver

pytestmark = pytest.mark.slow

DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """With the demo flags, a segment and more, so that each page has something to show."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", "--demo", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    with admin_client(started) as api:
        staff = [{"field": "email", "operator": "ends_with", "value": "@acme.com", "case_insensitive": True}]
        api.post("/segments", json={"name": "acme_staff", "description": "Acme employees", "conditions": staff})
        rules = [
            {"conditions": [{"operator": "in_segment", "value": "acme_staff"}], "serve": "on"},
            {"conditions": [{"field": "country", "operator": "in", "value": ["NL", "BE"]}], "rollout_percentage": 50},
        ]
        checkout = {
            "name": "new_checkout",
            "description": "One-page checkout",
            "tags": ["checkout", "q3"],
            "rules": rules,
            "allowlist": {"user-42": "on"},
            "environments": {"staging": {"enabled": True}, "production": {"enabled": True, "rollout_percentage": 25}},
        }
        api.post("/flags", json=checkout).raise_for_status()
        api.post("/flags/new_checkout/apps", json={"app_name": "web"}).raise_for_status()
        api.post("/flags", json={"name": "search_v2", "description": "New search", "tags": ["search"]})
        api.post("/tokens", json={"name": "checkout-service", "role": "server"}).raise_for_status()
    yield started
    started.stop(signal.SIGKILL)


def test_segments__create_edit_and_delete__in_use_refused(ui: Ui) -> None:
    ui.sign_in(hash="#/segments", view="segments")
    expect(ui.page.locator("#segments-table tr[data-name='acme_staff']")).to_contain_text("new_checkout")
    ui.console.expect_http(409, "/segments/ui_beta")

    # When a segment is created and given a condition
    ui.page.get_by_label("Name", exact=True).fill("ui_beta")
    ui.page.get_by_label("Description").fill("Beta testers")
    ui.page.get_by_role("button", name="Create segment").click()
    ui.wait_ready("segment")
    ui.page.get_by_role("button", name="Add condition").click()
    ui.page.get_by_label("Condition 1 field").fill("attributes.beta")
    ui.page.get_by_label("Condition 1 value").fill("true")
    ui.page.get_by_role("button", name="Save").click()
    expect(ui.page.locator(".savebar .state")).to_have_text("Saved (version 2).")
    with admin_client(ui.server) as api:
        conditions = api.get("/segments/ui_beta").json()["conditions"]
        assert conditions == [
            {"field": "attributes.beta", "operator": "eq", "value": True, "negate": False, "case_insensitive": False}
        ]
        # ... and a flag uses it
        rule = {"conditions": [{"operator": "in_segment", "value": "ui_beta"}]}
        api.post("/flags", json={"name": "ui_beta_flag", "rules": [rule]}).raise_for_status()
    ui.shot("1-segment")

    # Then deleting it is refused, and said why next to the button
    ui.page.get_by_role("button", name="Delete segment…").click()
    ui.page.get_by_role("button", name="Delete ui_beta").click()
    expect(ui.page.locator(".confirm-host .form-error")).to_contain_text("in use by flag ui_beta_flag")
    ui.shot("2-in-use")

    # Once no flag uses it, it can be deleted
    with admin_client(ui.server) as api:
        api.delete("/flags/ui_beta_flag").raise_for_status()
    ui.page.get_by_role("button", name="Delete ui_beta").click()
    ui.wait_ready("segments")
    expect(ui.page.locator("#segments-table tr[data-name='ui_beta']")).to_have_count(0)


def test_segment_page__unsaved_edit__leaving_asks_and_deleting_does_not(ui: Ui) -> None:
    # Given a segment whose description and conditions are edited, unsaved
    with admin_client(ui.server) as api:
        api.post("/segments", json={"name": "ui_leave", "conditions": []}).raise_for_status()
    ui.sign_in(hash="#/segments/ui_leave", view="segment")
    ui.page.get_by_label("Description").fill("Half done")
    ui.page.get_by_role("button", name="Add condition").click()
    ui.page.get_by_label("Condition 1 field").fill("plan")
    # When a link elsewhere is followed; Then a dialog asks first, naming what would be lost, and
    # the page stays
    lost = "You have unsaved changes to the segment ui_leave (description, conditions)."
    dialog = ui.leave_with_unsaved("flags", lost)
    ui.shot("1-leave-dialog", full_page=False)
    # When staying; Then the edit is still there
    dialog.get_by_role("button", name="Stay on this page").click()
    expect(dialog).to_have_count(0)
    expect(ui.page.get_by_label("Description")).to_have_value("Half done")
    # And leaving the app (reload, closing the tab) would get the browser's own question
    assert ui.page.evaluate(
        "(() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); "
        "return e.defaultPrevented; })()"
    )
    # When the segment is deleted with the edit unsaved; Then the list shows, nothing asked
    ui.page.get_by_role("button", name="Delete segment…").click()
    ui.page.get_by_role("button", name="Delete ui_leave").click()
    ui.wait_ready("segments")
    expect(dialog).to_have_count(0)
    expect(ui.page.locator("#segments-table tr[data-name='ui_leave']")).to_have_count(0)
    # And a segment with nothing edited is left without a question
    ui.go("#/segments/acme_staff", "segment")
    ui.go("#/flags", "flags")
    expect(dialog).to_have_count(0)


def test_tokens__created_secret_shown_once__revoked(ui: Ui) -> None:
    ui.sign_in(hash="#/tokens", view="tokens")

    # When a server token is created
    ui.page.get_by_label("Name", exact=True).fill("ui-reader")
    ui.page.get_by_label("Role").select_option("server")
    ui.page.get_by_role("button", name="Create token").click()

    # Then its secret is shown, and it works
    secret = ui.page.locator("#token-secret")
    expect(secret).to_be_visible()
    token = secret.inner_text()
    ui.shot("1-created")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{ui.server.url}/flags", headers=headers).status_code == 200
    row = ui.page.locator("#tokens-table tr[data-name='ui-reader']")
    expect(row).to_contain_text("server")
    expect(row).to_contain_text(token[:6])

    # And it is never shown again
    ui.page.reload()
    ui.wait_ready("tokens")
    expect(secret).to_have_count(0)
    assert token not in ui.page.content()

    # When it is revoked (after confirming), it stops working
    ui.page.get_by_role("button", name="Revoke ui-reader…").click()
    ui.page.get_by_role("button", name="Revoke ui-reader", exact=True).click()
    expect(row).to_contain_text("revoked")
    assert httpx.get(f"{ui.server.url}/flags", headers=headers).status_code == 401


def test_tokens__bound_to_an_environment__listed_and_evaluates_there(ui: Ui) -> None:
    ui.sign_in(hash="#/tokens", view="tokens")

    # When a client token is created for production
    ui.page.get_by_label("Name", exact=True).fill("ui-web-prod")
    ui.page.get_by_label("Role").select_option("client")
    ui.page.get_by_label("Environment").select_option("production")
    ui.page.get_by_role("button", name="Create token").click()

    # Then the secret says so, the list shows it, and it evaluates in production only
    secret = ui.page.locator("#token-secret")
    expect(secret).to_be_visible()
    expect(ui.page.locator(".secret")).to_contain_text("production only")
    row = ui.page.locator("#tokens-table tr[data-name='ui-web-prod']")
    expect(row).to_contain_text("production")
    ui.shot("2-bound")
    headers = {"Authorization": secret.inner_text()}
    staging = httpx.post(f"{ui.server.url}/evaluate", json={"environment": "staging"}, headers=headers)
    assert staging.status_code == 403
    assert "bound to the environment 'production'" in staging.json()["error"]


def test_audit__filters_paging_and_diff(ui: Ui) -> None:
    # Given a flag with 55 toggles after its creation, by the admin
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_audited"}).raise_for_status()
        for _ in range(55):
            api.post("/flags/ui_audited/toggle").raise_for_status()
    ui.sign_in(hash="#/audit", view="audit")

    # When the log is filtered by the flag
    ui.page.get_by_label("Flag").fill("ui_audited")
    ui.page.get_by_role("button", name="Filter").click()
    ui.wait_ready("audit")
    events = ui.page.locator("#audit-events .event")

    # Then the newest 50 show, each with a before/after diff
    expect(events).to_have_count(50)
    newest = events.first
    newest.locator("summary").click()
    expect(newest.locator("tr[data-key='enabled'] .before")).to_have_text("false")  # the 55th toggle
    expect(newest.locator("tr[data-key='enabled'] .after")).to_have_text("true")
    ui.shot("1-audit")

    # And the older page holds the rest, down to the creation
    ui.page.get_by_role("link", name="Older →").click()
    ui.wait_ready("audit")
    expect(events).to_have_count(6)
    expect(events.last).to_have_attribute("data-action", "create")
    expect(ui.page.get_by_role("link", name="Older →")).to_have_count(0)
    ui.page.get_by_role("link", name="← Newest").click()
    ui.wait_ready("audit")
    expect(events).to_have_count(50)

    # Filters by actor and time narrow it down
    ui.page.get_by_label("Actor").fill("somebody-else")
    ui.page.get_by_role("button", name="Filter").click()
    ui.wait_ready("audit")
    expect(ui.page.locator("#audit-events .empty")).to_have_text("No events match.")
    ui.page.get_by_label("Actor").fill("")
    ui.page.get_by_label("Since").fill("2999-01-01T00:00")
    ui.page.get_by_role("button", name="Filter").click()
    ui.wait_ready("audit")
    expect(ui.page.locator("#audit-events .empty")).to_have_text("No events match.")
    assert "since=2999-01-01" in ui.page.url


def test_tokens__server_token__says_admin_needed(ui: Ui) -> None:
    with admin_client(ui.server) as api:
        secret = api.post("/tokens", json={"name": "ui-pages-server", "role": "server"}).json()["token"]
    ui.sign_in(secret, hash="#/tokens", view="tokens")
    expect(ui.page.locator("main .notice")).to_contain_text("admin token")
    ui.go("#/segments/acme_staff", "segment")
    expect(ui.page.get_by_label("Description")).to_be_disabled()
    expect(ui.page.get_by_role("button", name="Delete segment…")).to_be_hidden()


# Every page of the navigation, and a flag's and a segment's page (app.js's ROUTES).
PAGES = [
    ("flags", "#/flags", "flags"),
    ("flag", "#/flags/new_checkout", "flag"),
    ("cleanup", "#/cleanup", "cleanup"),
    ("segments", "#/segments", "segments"),
    ("segment", "#/segments/acme_staff", "segment"),
    ("changes", "#/changes", "changes"),
    ("environments", "#/environments", "environments"),
    ("tokens", "#/tokens", "tokens"),
    ("people", "#/people", "people"),
    ("sdks", "#/sdks", "sdks"),
    ("audit", "#/audit", "audit"),
    ("webhooks", "#/webhooks", "webhooks"),
]


@pytest.mark.parametrize("tab", ["ui", "phone"])
def test_every_page__desktop_and_phone__readable_without_sideways_scrolling(
    tab: str, request: pytest.FixtureRequest
) -> None:
    ui: Ui = request.getfixturevalue(tab)
    ui.sign_in()
    for name, hash, view in PAGES:
        ui.go(hash, view)
        assert ui.overflow_x() == 0, f"{name} scrolls sideways at {ui.page.viewport_size}"
        ui.shot(name)


def something_on_every_page(server: LiveServer, hook_url: str) -> int:
    """A flag marked stale, a change request, a person, a connected SDK and a webhook (sent a test
    event): what the pages that the module's server leaves empty show in the docs' pictures. The
    webhook's id."""
    with admin_client(server) as api:
        version = api.get("/flags/search_v2").json()["version"]
        api.patch("/flags/search_v2", json={"stale": True, "version": version}).raise_for_status()
        change = [{"kind": "toggle", "flag": "search_v2", "environment": "production"}]
        api.post("/change-requests", json={"title": "Search v2 in production", "changes": change}).raise_for_status()
        person = {"email": "ann@acme.com", "name": "Ann Editor", "role": "editor", "password": "correct horse"}
        api.post("/users", json=person).raise_for_status()
        sdk = {
            "appName": "checkout-service",
            "instanceId": "checkout-7f9c",
            "sdkVersion": "unleash-node-sdk:6.12.2",
            "environment": "production",
            "started": "2026-12-04T20:10:00Z",
            "interval": 60000,
        }
        api.post("/api/client/register", json=sdk).raise_for_status()
        webhook = {"url": hook_url, "secret": "docs-secret-123", "events": {"environments": ["production"]}}
        created: int = api.post("/webhooks", json=webhook).json()["id"]
        api.post(f"/webhooks/{created}/test").raise_for_status()
        return created


@pytest.mark.skipif(not os.environ.get("VEXIL_DOCS_SCREENSHOTS"), reason="set VEXIL_DOCS_SCREENSHOTS=1 to refresh")
def test_docs_screenshots(ui: Ui) -> None:
    """The README's pictures (the flags list and a flag's page), and one of every other page for the
    doc that describes it (docs/img/)."""
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    with receiver() as hook:
        webhook = something_on_every_page(ui.server, hook.url)
        ui.sign_in()
        ui.page.screenshot(path=DOCS_IMG / "flags-list.png")
        ui.go("#/flags/new_checkout", "flag")
        ui.page.get_by_label("Identifier", exact=True).fill("ann")
        ui.page.locator("#pg-environment").select_option("production")
        ui.page.get_by_label("App", exact=True).fill("web")
        ui.page.get_by_label("Attributes (JSON object)").fill('{"email": "ann@acme.com"}')
        ui.page.get_by_role("button", name="Evaluate").click()
        expect(ui.page.locator("[data-result='reason']")).to_have_text("rule_match")
        ui.whole_page_screenshot(DOCS_IMG / "flag-page.png")
        for name, hash, view in PAGES:
            if name in ("flags", "flag"):
                continue
            ui.go(hash, view)
            if name == "webhooks":  # its delivery log, the test event delivered
                ui.page.locator(f"#log-webhook-{webhook}").click()
                expect(ui.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("Delivered")
            ui.page.screenshot(path=DOCS_IMG / f"{name}-page.png")
