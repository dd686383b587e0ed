"""People in the admin UI (docs/people.md), in headless Chromium against a real server: sign-in with
email and password, what each role is offered, the People page, sign-out. Screenshots go to
test-artifacts/ui/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer, admin_client, ok
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"


def person(server: LiveServer, email: str, role: str, name: str) -> int:
    with admin_client(server) as api:
        found = [p for p in ok(api.get("/users"))["people"] if p["email"] == email]
        if found:
            return int(found[0]["id"])
        body = {"email": email, "name": name, "password": PASSWORD, "role": role}
        return int(ok(api.post("/users", json=body))["id"])


def flag(server: LiveServer, name: str) -> None:
    with admin_client(server) as api:
        if api.get(f"/flags/{name}").status_code == 404:
            ok(api.post("/flags", json={"name": name, "description": "Shown to people in the UI tests"}))


def test_signin__email_and_password__is_the_first_way_offered(ui: Ui, dark: Ui) -> None:
    # Given the sign-in page, in light and dark mode
    for tab, mode in ((ui, "light"), (dark, "dark")):
        tab.open()
        tab.wait_ready("signin")
        # Then it asks for email and password, and offers a token as the other way
        expect(tab.page.get_by_label("Email")).to_be_focused()
        expect(tab.page.get_by_label("Password")).to_be_visible()
        expect(tab.page.locator("#use-token")).to_have_text("Sign in with a token instead")
        tab.shot(f"1-signin-{mode}")


def test_signin__wrong_password__says_so_next_to_the_password(ui: Ui) -> None:
    # Given a person
    person(ui.server, "wrong@example.com", "viewer", "Wendy Wrong")
    ui.open()
    ui.wait_ready("signin")
    ui.console.expect_http(401, "/session")
    # When she types a wrong password
    ui.page.get_by_label("Email").fill("wrong@example.com")
    ui.page.get_by_label("Password").fill("not the password")
    ui.page.get_by_role("button", name="Sign in", exact=True).click()
    # Then it says so, and she stays signed out
    expect(ui.page.locator("[data-path='password'] .error-msg")).to_have_text("The email or the password is wrong.")
    expect(ui.page.locator("#nav")).to_be_hidden()
    ui.shot("1-wrong-password")


def test_editor__signs_in_toggles_and_signs_out__no_admin_pages(ui: Ui) -> None:
    # Given an editor and a flag
    person(ui.server, "eddie@example.com", "editor", "Eddie Editor")
    flag(ui.server, "people_editor_flag")
    # When he signs in with email and password
    ui.sign_in_person("eddie@example.com", PASSWORD)
    # Then he is named in the header, sees no read-only banner, and no Tokens or People
    expect(ui.page.locator("#who")).to_have_text("Eddie Editor")
    expect(ui.page.locator("#role")).to_have_text("Editor")
    expect(ui.page.locator("#readonly")).to_be_hidden()
    expect(ui.page.locator("#nav a[data-section='tokens']")).to_be_hidden()
    expect(ui.page.locator("#nav a[data-section='people']")).to_be_hidden()
    # And his toggle is saved (a cookie write with the CSRF header), his email in the audit log
    toggle = ui.toggle("people_editor_flag", "production")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    with admin_client(ui.server) as api:
        events = ok(api.get("/audit", params={"flag": "people_editor_flag"}))["events"]
    assert events[0]["actor"] == "eddie@example.com"
    ui.shot("1-editor")
    # And the people page is not for him
    ui.go("#/people", "people")
    expect(ui.page.locator("main .notice")).to_contain_text("only be listed and added by an admin")
    # When he signs out
    ui.go("#/flags", "flags")
    ui.page.get_by_role("button", name="Sign out").click()
    ui.wait_ready("signin")
    # Then a reload finds him signed out (the session ended on the server)
    ui.page.reload()
    ui.wait_ready("signin")


def test_viewer__sees_everything__no_control_that_changes_anything(ui: Ui, dark: Ui) -> None:
    # Given a viewer and a flag
    person(ui.server, "vera@example.com", "viewer", "Vera Viewer")
    flag(ui.server, "people_viewer_flag")
    for tab, mode in ((ui, "light"), (dark, "dark")):
        # When she signs in
        tab.sign_in_person("vera@example.com", PASSWORD)
        # Then the flags show, read-only, and the page says why
        expect(tab.page.locator("#readonly")).to_contain_text("you are a viewer")
        expect(tab.toggle("people_viewer_flag", "production")).to_be_disabled()
        expect(tab.page.get_by_role("button", name="Create flag")).to_be_hidden()
        tab.shot(f"1-viewer-flags-{mode}")
        # And a flag's page offers no delete and no save
        tab.go("#/flags/people_viewer_flag", "flag")
        expect(tab.page.get_by_role("button", name="Delete flag…")).to_be_hidden()
        expect(tab.page.locator(".savebar .state")).to_contain_text("Read-only")
        tab.shot(f"2-viewer-flag-{mode}")
        tab.go("#/flags", "flags")
        # And a reload keeps her signed in (the cookie)
        tab.page.reload()
        tab.wait_ready("flags")
        expect(tab.page.locator("#who")).to_have_text("Vera Viewer")


def test_people_page__admin_adds_promotes_and_disables__last_admin_kept(ui: Ui, dark: Ui) -> None:
    # Given an admin person (the only one)
    person(ui.server, "ada@example.com", "admin", "Ada Admin")
    person(ui.server, "vera@example.com", "viewer", "Vera Viewer")
    ui.sign_in_person("ada@example.com", PASSWORD, hash="#/people", view="people")
    # When she adds a person
    ui.page.get_by_label("Email").fill("newbie@example.com")
    ui.page.get_by_label("Name").fill("Nora Newbie")
    ui.page.get_by_label("Password").fill("a good long password")
    ui.page.get_by_label("Role", exact=True).select_option("viewer")
    ui.page.get_by_role("button", name="Add person").click()
    # Then the person is listed
    row = ui.page.locator("#people-table tr[data-email='newbie@example.com']")
    expect(row).to_contain_text("Nora Newbie")
    # When she makes the person an editor, then disables them
    row.get_by_label("Role of newbie@example.com").select_option("editor")
    expect(ui.page.locator("#people-status")).to_have_text("newbie@example.com: editor, active.")
    row.get_by_role("button", name="Disable").click()
    expect(row.locator(".badge")).to_have_text("disabled")
    # And when she tries to demote herself, the last admin, it is refused in words
    ui.console.expect_http(409, "/users/")
    me = ui.page.locator("#people-table tr[data-email='ada@example.com']")
    me.get_by_label("Role of ada@example.com").select_option("viewer")
    expect(ui.page.locator("#people-status")).to_contain_text("is the last admin")
    expect(me.get_by_label("Role of ada@example.com")).to_have_value("admin")
    ui.shot("1-people")
    dark.sign_in_person("ada@example.com", PASSWORD, hash="#/people", view="people")
    dark.shot("1-people-dark")


def test_people_page__phone_viewport__no_sideways_scroll(phone: Ui) -> None:
    person(phone.server, "ada@example.com", "admin", "Ada Admin")
    phone.sign_in_person("ada@example.com", PASSWORD, hash="#/people", view="people")
    assert phone.overflow_x() == 0
    phone.shot("1-people-phone")


def test_audit_log__a_persons_change__names_the_person(ui: Ui) -> None:
    # Given an editor who changed a flag, and a flag the admin token made
    person(ui.server, "eddie@example.com", "editor", "Eddie Editor")
    flag(ui.server, "people_audit_flag")
    ui.sign_in_person("eddie@example.com", PASSWORD)
    ui.toggle("people_audit_flag", "production").click()
    expect(ui.toggle("people_audit_flag", "production")).to_have_attribute("aria-pressed", "true")
    # When the audit log of that flag is shown
    ui.go("#/audit?flag=people_audit_flag", "audit")
    # Then the toggle names him as a person, and the creation the admin token
    events = ui.page.locator("article.event")
    expect(events.first.locator(".actor")).to_contain_text("by eddie@example.com")
    expect(events.first.locator(".badge.actor-person")).to_have_text("person")
    expect(events.last.locator(".badge.actor-token")).to_have_text("token")
    ui.shot("1-audit")
