"""Safe changes end to end in headless Chromium against a real server whose production is protected
(docs/change-requests.md, docs/flag-page.md): an editor's edit becomes a change request with its
impact preview, another editor approves and applies it, the audit log names both, the revert goes
the same way; a viewer changes nothing; and the guard rails (unsaved edits, a protected toggle from
the list with its undo, the locks, the last admin). Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog, expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, ok, start_server
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
USERS = 200
PEOPLE = [
    ("alice@example.com", "Alice Editor", "editor"),
    ("bob@example.com", "Bob Reviewer", "editor"),
    ("vera@example.com", "Vera Viewer", "viewer"),
    ("ada@example.com", "Ada Admin", "admin"),
]


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Production protected (one approval), two editors, a viewer, one admin person, and USERS users
    evaluated in production (the impact preview's sample)."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    with admin_client(started) as api:
        ok(api.patch("/environments/production", json={"protected": True, "required_approvals": 1}))
        for email, name, role in PEOPLE:
            ok(api.post("/users", json={"email": email, "name": name, "password": PASSWORD, "role": role}))
        ok(api.post("/flags", json={"name": "checkout", "description": "The new checkout"}))
        for n in range(USERS):
            ok(api.post("/flags/checkout/evaluate", json={"identifier": f"user-{n}", "environment": "production"}))
    yield started
    started.stop(signal.SIGKILL)


def new_flag(server: LiveServer, name: str) -> None:
    with admin_client(server) as api:
        ok(api.post("/flags", json={"name": name, "description": f"The {name}"}))


def flag_doc(server: LiveServer, name: str) -> dict[str, object]:
    with admin_client(server) as api:
        doc: dict[str, object] = ok(api.get(f"/flags/{name}"))
    return doc


def sign_out(ui: Ui) -> None:
    ui.page.get_by_role("button", name="Sign out").click()
    ui.wait_ready("signin")


def approve_and_apply(ui: Ui, request_id: str) -> None:
    ui.go(f"#/changes/{request_id}", "change")
    ui.page.locator("#change-approve").click()
    expect(ui.page.locator(".page-head .badge.state")).to_have_text("Approved")
    ui.page.locator("#change-apply").click()
    expect(ui.page.locator(".page-head .badge.state")).to_have_text("Applied")


def request_id_of(link_href: str | None) -> str:
    assert link_href is not None and link_href.startswith("#/changes/"), link_href
    return link_href.removeprefix("#/changes/")


# --- the acceptance flow ----------------------------------------------------------------------------


def test_safe_change__editor_requests_another_approves_audit_names_both_revert_goes_the_same_way(
    ui: Ui, dark: Ui
) -> None:
    # Given alice, an editor, on the flag's page: production is locked, and saving says it needs approval
    ui.sign_in_person("alice@example.com", PASSWORD, hash="#/flags/checkout", view="flag")
    expect(ui.page.locator(".chip[data-chip='production'] .lock-icon")).to_be_visible()
    expect(ui.page.locator(".chip[data-chip='staging'] .lock-icon")).to_have_count(0)
    expect(ui.page.locator("#save-needs-approval")).to_contain_text("production is protected")
    # When she turns the flag on in production and previews the impact
    ui.page.locator("#env-production-enabled").select_option("on")
    ui.page.locator("#preview-impact").click()
    # Then every user evaluated in production would flip, from off to on
    expect(ui.page.locator("#impact .impact-headline")).to_contain_text(f"{USERS} of {USERS}")
    expect(ui.page.locator("#impact .impact-environments")).to_contain_text(f"production: {USERS} of {USERS}")
    ui.shot("1-editor-preview", full_page=False)
    # When she saves
    ui.page.locator("#save").click()
    # Then the page says a change request was created, links to it, and shows the flag unchanged
    requested = ui.page.locator("#requested")
    expect(requested).to_contain_text("Change request #")
    expect(requested).to_contain_text("production is protected")
    expect(ui.page.locator("#env-production-enabled")).to_have_value("inherit")
    request_id = request_id_of(ui.page.locator("#requested-link").get_attribute("href"))
    assert flag_doc(ui.server, "checkout")["environments"] == {}
    ui.shot("2-editor-requested", full_page=False)

    # When bob, another editor, opens Change requests
    sign_out(ui)
    ui.sign_in_person("bob@example.com", PASSWORD)
    ui.page.get_by_role("link", name="Change requests").click()
    ui.wait_ready("changes")
    row = ui.page.locator(f"#changes-table tr[data-id='{request_id}']")
    expect(row).to_contain_text("alice@example.com")
    ui.shot("3-reviewer-list")
    row.get_by_role("link").click()
    ui.wait_ready("change")
    # Then he sees the diff and the impact
    diff = ui.page.locator(".change-flag[data-flag='checkout'] tr[data-path='environments.production.enabled']")
    expect(diff.locator(".after")).to_contain_text("true")
    expect(ui.page.locator("#change-impact .impact-headline")).to_contain_text(f"{USERS} of {USERS}")
    ui.shot("4-reviewer-change")
    dark.sign_in_person("bob@example.com", PASSWORD, hash=f"#/changes/{request_id}", view="change")
    expect(dark.page.locator("#change-impact")).to_be_visible()
    dark.shot("4-reviewer-change-dark")
    # When he approves and applies it
    approve_and_apply(ui, request_id)
    ui.shot("5-reviewer-applied")
    # Then the flag is on in production, and the audit log names the requester and the approver
    assert flag_doc(ui.server, "checkout")["environments"] == {"production": {"enabled": True}}
    ui.go("#/audit?flag=checkout", "audit")
    applied = ui.page.locator("#audit-events .event").first
    expect(applied).to_contain_text("by alice@example.com")
    expect(applied).to_contain_text(f"through change request #{request_id}, approved by bob@example.com")
    ui.shot("6-audit-names-both")

    # When alice reverts that event: production is protected, so the revert is a change request too
    sign_out(ui)
    ui.sign_in_person("alice@example.com", PASSWORD, hash="#/audit?flag=checkout", view="audit")
    event = ui.page.locator("#audit-events .event").first
    event.get_by_role("button", name="Revert event").click()
    event.locator(".confirm").get_by_role("button", name="Revert").click()
    sent = event.locator(".revert-requested")
    expect(sent).to_contain_text("Revert sent for approval")
    revert_id = request_id_of(sent.get_by_role("link").get_attribute("href"))
    assert flag_doc(ui.server, "checkout")["environments"] == {"production": {"enabled": True}}
    ui.shot("7-revert-requested")
    # And once bob approved and applied it, the flag is back as it was
    sign_out(ui)
    ui.sign_in_person("bob@example.com", PASSWORD)
    approve_and_apply(ui, revert_id)
    assert flag_doc(ui.server, "checkout")["environments"] == {}
    ui.shot("8-revert-applied")
    dark.go(f"#/changes/{revert_id}", "change")
    dark.shot("8-revert-applied-dark")


def test_viewer__flag_changes_and_audit__no_control_and_api_write_refused(ui: Ui) -> None:
    # Given a change request waiting, and vera, a viewer, signed in
    new_flag(ui.server, "viewer_sees")
    with admin_client(ui.server) as api:
        change = [{"kind": "toggle", "flag": "viewer_sees", "environment": "production"}]
        waiting = ok(api.post("/change-requests", json={"title": "Viewer sees this", "changes": change}))
        ok(api.post("/change-requests", json={"title": "And approves nothing", "changes": change}))
    ui.sign_in_person("vera@example.com", PASSWORD)
    # Then the list's toggles are disabled, and the flag page has no Save, Discard or Preview impact
    expect(ui.toggle("viewer_sees", "production")).to_be_disabled()
    ui.go("#/flags/viewer_sees", "flag")
    for control in ("#save", "#discard", "#preview-impact", "#flag-delete", "#flag-archive"):
        expect(ui.page.locator(control)).to_have_count(0)
    expect(ui.page.locator("#env-production-enabled")).to_be_disabled()
    ui.shot("1-viewer-flag", full_page=False)
    # And a change request shows without Approve, Apply, Reject or a comment box
    ui.go(f"#/changes/{waiting['id']}", "change")
    expect(ui.page.locator(".page-head .badge.state")).to_have_text("Waiting for approval")
    expect(ui.page.locator(".change-actions")).to_have_count(0)
    expect(ui.page.locator("#change-comment")).to_have_count(0)
    ui.shot("2-viewer-change")
    # And the audit log shows the events without Revert
    ui.go("#/audit?flag=viewer_sees", "audit")
    expect(ui.page.locator("#audit-events .event")).not_to_have_count(0)
    expect(ui.page.get_by_role("button", name="Revert event")).to_have_count(0)
    # And a write with her session (cookie and CSRF token) is refused by the server
    ui.console.expect_http(403, "/toggle")
    status, text = ui.page.evaluate(
        """async () => {
            const me = await (await fetch('/session', {headers: {Accept: 'application/json'}})).json();
            const r = await fetch('/flags/viewer_sees/toggle?environment=staging',
                {method: 'POST', headers: {'X-CSRF-Token': me.csrf_token}});
            return [r.status, await r.text()];
        }"""
    )
    assert status == 403, text
    assert flag_doc(ui.server, "viewer_sees")["environments"] == {}


# --- guard rails ------------------------------------------------------------------------------------


def test_flag_page__unsaved_edit__leaving_in_app_asks_and_stay_keeps_the_edit(ui: Ui) -> None:
    # Given an edit of the description, unsaved
    new_flag(ui.server, "leave_me")
    ui.sign_in_person("alice@example.com", PASSWORD, hash="#/flags/leave_me", view="flag")
    ui.page.locator("#flag-description").fill("Half done")
    # When a link elsewhere is followed; Then a dialog asks first, naming what would be lost, and
    # the page stays
    dialog = ui.leave_with_unsaved("changes", "unsaved changes to leave_me (description)")
    ui.shot("1-leave-dialog", full_page=False)
    # When she stays; Then her edit is still there
    dialog.get_by_role("button", name="Stay on this page").click()
    expect(dialog).to_have_count(0)
    expect(ui.page.locator("#flag-description")).to_have_value("Half done")
    expect(ui.page.locator("main")).to_have_attribute("data-ready", "flag")
    # And signing out asks the same; staying keeps her signed in, the edit there
    ui.page.get_by_role("button", name="Sign out").click()
    ui.page.locator("dialog#ask").get_by_role("button", name="Stay on this page").click()
    expect(ui.page.locator("#who")).to_have_text("Alice Editor")
    expect(ui.page.locator("#flag-description")).to_have_value("Half done")
    # When she follows it again and leaves without saving; Then the other page shows
    ui.page.locator("#nav a[data-section='changes']").click()
    ui.page.locator("dialog#ask").get_by_role("button", name="Leave without saving").click()
    ui.wait_ready("changes")
    assert ui.page.evaluate("location.hash") == "#/changes"
    # And with nothing edited, leaving asks nothing
    ui.go("#/flags/leave_me", "flag")
    ui.go("#/flags", "flags")
    expect(ui.page.locator("dialog#ask")).to_have_count(0)


def test_flag_page__unsaved_edit__closing_the_tab_asks_the_browser_question(ui: Ui) -> None:
    # Given an unsaved edit
    new_flag(ui.server, "close_me")
    ui.sign_in_person("alice@example.com", PASSWORD, hash="#/flags/close_me", view="flag")
    ui.page.locator("#flag-description").click()
    ui.page.locator("#flag-description").fill("Not saved")
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.accept()

    ui.page.on("dialog", answer)
    # When the tab is closed
    with ui.page.expect_event("close"):
        ui.page.close(run_before_unload=True)
    # Then the browser asked before unloading
    assert asked == ["beforeunload"]


def toggle_and_confirm(ui: Ui, flag: str, env: str) -> None:
    ui.toggle(flag, env).click()
    dialog = ui.page.locator("dialog#confirm-toggle")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-toggle-confirm").click()


def test_flags_list__editor_toggles_in_protected_env__confirms_then_request_withdrawn_from_the_toast(ui: Ui) -> None:
    # Given alice on the flags list: production's column is locked, staging's is not
    new_flag(ui.server, "toggle_editor")
    ui.sign_in_person("alice@example.com", PASSWORD)
    expect(ui.page.locator("#flags-table th[data-env='production'] .lock-icon")).to_be_visible()
    expect(ui.page.locator("#flags-table th[data-env='staging'] .lock-icon")).to_have_count(0)
    # When she toggles it in production, then cancels; Then nothing is asked of the server
    ui.toggle("toggle_editor", "production").click()
    dialog = ui.page.locator("dialog#confirm-toggle")
    expect(dialog).to_contain_text("this creates a change request")
    ui.shot("1-confirm-toggle")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    with admin_client(ui.server) as api:
        requests = ok(api.get("/change-requests"))["change_requests"]
    assert not [r for r in requests if r["changes"][0]["flag"] == "toggle_editor"]
    # When she toggles and confirms
    toggle_and_confirm(ui, "toggle_editor", "production")
    # Then a toast says a change request holds it, and the flag is unchanged
    toast = ui.page.locator("#toast")
    expect(toast).to_contain_text("Change request #")
    expect(ui.toggle("toggle_editor", "production")).to_have_attribute("aria-pressed", "false")
    request_id = request_id_of(toast.locator("#toast-view").get_attribute("href"))
    ui.shot("2-toast-requested")
    # When she withdraws it from the toast; Then the request is rejected
    toast.locator("#toast-undo").click()
    expect(toast).to_contain_text(f"Withdrawn: change request #{request_id} is rejected")
    with admin_client(ui.server) as api:
        assert ok(api.get(f"/change-requests/{request_id}"))["state"] == "rejected"
    assert flag_doc(ui.server, "toggle_editor")["environments"] == {}
    # And a toggle in staging (not protected) applies at once, without asking
    ui.toggle("toggle_editor", "staging").click()
    expect(ui.toggle("toggle_editor", "staging")).to_have_attribute("aria-pressed", "true")
    expect(ui.page.locator("dialog#confirm-toggle")).to_have_count(0)


def test_flags_list__admin_toggles_in_protected_env__confirms_applies_and_undo_switches_back(dark: Ui) -> None:
    # Given an admin on the flags list
    new_flag(dark.server, "toggle_admin")
    dark.sign_in()
    # When she toggles it in production and confirms
    dark.toggle("toggle_admin", "production").click()
    expect(dark.page.locator("dialog#confirm-toggle")).to_contain_text("As an admin you change it at once")
    dark.shot("1-confirm-toggle-dark")
    dark.page.locator("#confirm-toggle-confirm").click()
    # Then it is on at once, and a toast offers to undo it
    expect(dark.toggle("toggle_admin", "production")).to_have_attribute("aria-pressed", "true")
    toast = dark.page.locator("#toast")
    expect(toast).to_contain_text("toggle_admin is now on in production")
    dark.shot("2-toast-undo-dark")
    # When she undoes it; Then it is off again
    toast.locator("#toast-undo").click()
    expect(toast).to_contain_text("Undone: toggle_admin is off in production again")
    expect(dark.toggle("toggle_admin", "production")).to_have_attribute("aria-pressed", "false")
    assert flag_doc(dark.server, "toggle_admin")["environments"] == {"production": {"enabled": False}}


def test_flag_page__admin__no_approval_note(ui: Ui) -> None:
    # Given an admin on a flag's page; Then production is locked, but saving needs no approval
    ui.sign_in_person("ada@example.com", PASSWORD, hash="#/flags/checkout", view="flag")
    expect(ui.page.locator(".chip[data-chip='production'] .lock-icon")).to_be_visible()
    expect(ui.page.locator("#save-needs-approval")).to_have_count(0)
    expect(ui.page.locator("#save")).to_have_text("Save")


def test_people_page__last_admin__disable_and_remove_refused_in_plain_words(ui: Ui) -> None:
    # Given ada, the only admin person, on People
    ui.sign_in_person("ada@example.com", PASSWORD, hash="#/people", view="people")
    me = ui.page.locator("#people-table tr[data-email='ada@example.com']")
    ui.console.expect_http(409, "/users/")
    # When she disables herself; Then it is refused, saying why and what to do
    me.get_by_role("button", name="Disable").click()
    expect(ui.page.locator("#people-status")).to_contain_text(
        "ada@example.com is the last admin: make another person admin first"
    )
    expect(me.locator(".badge")).to_have_text("active")
    # When she removes herself; Then refused the same way, beside the button
    me.get_by_role("button", name="Remove ada@example.com…").click()
    me.get_by_role("button", name="Remove ada@example.com", exact=True).click()
    expect(me.locator(".form-error")).to_contain_text("is the last admin")
    ui.shot("1-last-admin")
    with admin_client(ui.server) as api:
        people = {p["email"]: p for p in ok(api.get("/users"))["people"]}
    assert people["ada@example.com"]["role"] == "admin" and not people["ada@example.com"]["disabled"]


def test_flags_list__phone__protected_toggle_dialog_and_toast_fit(phone: Ui) -> None:
    # Given an editor on a phone
    new_flag(phone.server, "toggle_phone")
    phone.sign_in_person("alice@example.com", PASSWORD)
    # Then the production cell of each card says it is protected
    expect(phone.row("toggle_phone").locator("td[data-env='production']")).to_have_attribute(
        "data-label", "production (protected)"
    )
    # When she toggles it in production; Then the question fits the screen
    phone.toggle("toggle_phone", "production").click()
    expect(phone.page.locator("dialog#confirm-toggle")).to_be_visible()
    assert phone.overflow_x() == 0
    phone.shot("1-confirm-toggle-phone", full_page=False)
    # And once confirmed, the toast does too
    phone.page.locator("#confirm-toggle-confirm").click()
    expect(phone.page.locator("#toast")).to_contain_text("Change request #")
    assert phone.overflow_x() == 0
    phone.shot("2-toast-phone", full_page=False)


def test_flags_list__editor_toggles_the_default_production_inherits__asks_naming_production(ui: Ui) -> None:
    # Given a flag whose production inherits the flag's own switch, and one where production has its own
    new_flag(ui.server, "toggle_default")
    new_flag(ui.server, "toggle_default_own")
    with admin_client(ui.server) as api:
        ok(api.post("/flags/toggle_default_own/environments", json={"environment": "production", "enabled": False}))
    ui.sign_in_person("alice@example.com", PASSWORD)
    # When she toggles the first one's default; Then she is asked, production named
    ui.toggle("toggle_default", "").click()
    dialog = ui.page.locator("dialog#confirm-toggle")
    expect(dialog).to_contain_text("Turn toggle_default on by default?")
    expect(dialog).to_contain_text("production is protected")
    dialog.get_by_role("button", name="Cancel").click()
    # When she toggles the second one's default; Then it applies at once (production keeps its own)
    ui.toggle("toggle_default_own", "").click()
    expect(ui.toggle("toggle_default_own", "")).to_have_attribute("aria-pressed", "true")
    expect(ui.page.locator("dialog#confirm-toggle")).to_have_count(0)
    assert flag_doc(ui.server, "toggle_default_own")["enabled"] is True


def test_flag_page__editor_in_protected_setting__archive_and_delete_left_to_an_admin(ui: Ui) -> None:
    # Given alice, an editor, on a flag's page while production is protected
    new_flag(ui.server, "admin_only")
    ui.sign_in_person("alice@example.com", PASSWORD, hash="#/flags/admin_only", view="flag")
    # Then archiving and deleting say only an admin can, and their buttons are disabled
    note = ui.page.locator("#danger-admin-only")
    expect(note).to_contain_text("production is protected: only an admin can archive or delete this flag")
    expect(ui.page.locator("#flag-archive")).to_be_disabled()
    expect(ui.page.locator("#flag-delete")).to_be_disabled()
    note.scroll_into_view_if_needed()
    ui.shot("1-editor-danger", full_page=False)
    # And ada, an admin, may do both
    sign_out(ui)
    ui.sign_in_person("ada@example.com", PASSWORD, hash="#/flags/admin_only", view="flag")
    expect(ui.page.locator("#danger-admin-only")).to_have_count(0)
    expect(ui.page.locator("#flag-delete")).to_be_enabled()
