"""The admin UI at /ui in headless Chromium against a real server: sign-in, the flags list, live
updates and read-only use. Screenshots go to test-artifacts/ui/.

One server serves the whole module (`ui_server`); each test works on flags of its own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import admin_client
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow


def test_signin__wrong_token__error_next_to_the_field(ui: Ui) -> None:
    # Given the sign-in page
    ui.open()
    ui.wait_ready("signin")
    ui.console.expect_http(401, "/whoami")

    # When a wrong token is entered (after choosing to sign in with a token)
    ui.page.locator("#use-token").click()
    ui.page.get_by_label("Token").fill("vx_not_a_token")
    ui.page.get_by_role("button", name="Sign in with the token").click()

    # Then the error is shown next to the token field, and the page stays signed out
    error = ui.page.locator("[data-path='token'] .error-msg")
    expect(error).to_contain_text("not valid")
    expect(ui.page.get_by_label("Token")).to_have_attribute("aria-invalid", "true")
    expect(ui.page.locator("#nav")).to_be_hidden()
    ui.shot("1-error")


def test_flags__create_then_toggle_inline__saved_and_shown(ui: Ui) -> None:
    # Given a signed-in admin on the flags list
    ui.sign_in()
    ui.shot("1-list")

    # When a flag is created from the list
    ui.page.get_by_label("Name", exact=True).fill("ui_create")
    ui.page.get_by_label("Description").fill("Made in the browser")
    ui.page.get_by_role("button", name="Create flag").click()

    # Then its page opens, and the server has it
    ui.wait_ready("flag")
    expect(ui.page).to_have_url(f"{ui.server.url}/ui/#/flags/ui_create")
    with admin_client(ui.server) as api:
        assert api.get("/flags/ui_create").json()["description"] == "Made in the browser"

    # When it is toggled on in production from the list
    ui.go("#/flags", "flags")
    expect(ui.toggle("ui_create", "production")).to_have_attribute("aria-pressed", "false")
    ui.toggle("ui_create", "production").click()

    # Then production shows it on as an override, the other environments still off (inherited)
    expect(ui.toggle("ui_create", "production")).to_have_attribute("aria-pressed", "true")
    expect(ui.toggle("ui_create", "production")).not_to_have_class("inherited")
    expect(ui.toggle("ui_create", "staging")).to_have_attribute("aria-pressed", "false")
    expect(ui.toggle("ui_create", "staging")).to_have_class("toggle off inherited")
    with admin_client(ui.server) as api:
        doc = api.get("/flags/ui_create").json()
    assert doc["enabled"] is False
    assert doc["environments"]["production"] == {"enabled": True}
    ui.shot("2-toggled")


def test_flags__create_invalid_name__error_next_to_name(ui: Ui) -> None:
    ui.sign_in()
    ui.console.expect_http(400, "/flags")
    ui.console.expect_http(409, "/flags")
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_taken"}).raise_for_status()

    ui.page.get_by_label("Name", exact=True).fill("Not Valid!")
    ui.page.get_by_role("button", name="Create flag").click()
    expect(ui.page.locator("[data-path='name'] .error-msg")).to_contain_text("name")
    expect(ui.page.get_by_label("Name", exact=True)).to_be_focused()

    ui.page.get_by_label("Name", exact=True).fill("ui_taken")
    ui.page.get_by_role("button", name="Create flag").click()
    expect(ui.page.locator("[data-path='name'] .error-msg")).to_contain_text("already exists")
    ui.shot("1-errors")


def test_flags__search_and_filters__narrow_the_list(ui: Ui) -> None:
    # Given flags with tags, apps and states of their own
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_filter_alpha", "tags": ["ui-f"], "description": "Pink"}).raise_for_status()
        api.post("/flags", json={"name": "ui_filter_beta", "tags": ["ui-f"], "apps": ["ui-app"]}).raise_for_status()
        api.post("/flags", json={"name": "ui_filter_gamma", "enabled": True, "apps": ["other-app"]}).raise_for_status()
        api.post("/flags/ui_filter_beta/toggle?environment=staging").raise_for_status()
    ui.sign_in()

    # When searching by a word of the description
    ui.page.get_by_label("Search", exact=True).fill("pink")
    # Then only that flag shows, and the address keeps the filter
    expect(ui.row("ui_filter_alpha")).to_be_visible()
    expect(ui.row("ui_filter_beta")).to_be_hidden()
    assert "q=pink" in ui.page.url

    # When filtering by tag, then by tag and state in staging
    ui.page.get_by_label("Search", exact=True).fill("ui_filter")
    ui.page.get_by_label("Tag", exact=True).select_option("ui-f")
    expect(ui.row("ui_filter_alpha")).to_be_visible()
    expect(ui.row("ui_filter_beta")).to_be_visible()
    expect(ui.row("ui_filter_gamma")).to_be_hidden()
    ui.page.get_by_label("Environment", exact=True).select_option("staging")
    ui.page.get_by_label("State", exact=True).select_option("on")
    expect(ui.row("ui_filter_alpha")).to_be_hidden()
    expect(ui.row("ui_filter_beta")).to_be_visible()
    # (an environment narrows the columns to it)
    expect(ui.toggle("ui_filter_beta", "production")).to_be_hidden()
    ui.shot("1-filtered")

    # When filtering by app: flags scoped to it and flags for every app
    ui.page.get_by_label("Tag", exact=True).select_option("")
    ui.page.get_by_label("State", exact=True).select_option("")
    ui.page.get_by_label("App", exact=True).select_option("ui-app")
    expect(ui.row("ui_filter_beta")).to_be_visible()
    expect(ui.row("ui_filter_alpha")).to_be_visible()
    expect(ui.row("ui_filter_gamma")).to_be_hidden()

    # And a reload keeps the filters
    ui.page.reload()
    ui.wait_ready("flags")
    expect(ui.page.get_by_label("App", exact=True)).to_have_value("ui-app")
    expect(ui.row("ui_filter_gamma")).to_be_hidden()


def test_flags__changed_by_another_client__list_follows_live(ui: Ui) -> None:
    # Given a signed-in admin on the list, connected to the change stream
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_live"}).raise_for_status()
        ui.sign_in()
        expect(ui.toggle("ui_live", "")).to_have_attribute("aria-pressed", "false")

        # When someone else toggles it, creates a flag and deletes another
        api.post("/flags/ui_live/toggle").raise_for_status()
        api.post("/flags", json={"name": "ui_live_new", "description": "from elsewhere"}).raise_for_status()

        # Then the list follows without a reload
        expect(ui.toggle("ui_live", "")).to_have_attribute("aria-pressed", "true")
        expect(ui.toggle("ui_live", "production")).to_have_attribute("aria-pressed", "true")
        expect(ui.row("ui_live_new")).to_contain_text("from elsewhere")
        ui.shot("1-followed")
        api.delete("/flags/ui_live_new").raise_for_status()
        expect(ui.row("ui_live_new")).to_have_count(0)


def test_flags__keyboard_only__toggle_with_enter(ui: Ui) -> None:
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_keys", "description": "keyboard"}).raise_for_status()
    ui.sign_in()
    ui.page.get_by_label("Search", exact=True).fill("ui_keys")

    # Tab from the search box reaches the flag's link, then its toggles, in order
    ui.page.get_by_label("Search", exact=True).focus()
    for _ in range(30):
        ui.page.keyboard.press("Tab")
        if ui.page.evaluate("document.activeElement.dataset.toggle === 'development'"):
            break
    expect(ui.toggle("ui_keys", "development")).to_be_focused()
    ui.page.keyboard.press("Enter")

    # The toggle flips and keeps the focus; the focus ring is visible
    expect(ui.toggle("ui_keys", "development")).to_have_attribute("aria-pressed", "true")
    expect(ui.toggle("ui_keys", "development")).to_be_focused()
    outline = ui.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    ui.page.keyboard.press("Space")
    expect(ui.toggle("ui_keys", "development")).to_have_attribute("aria-pressed", "false")


def test_flags__server_token__read_only(ui: Ui) -> None:
    # Given a server token
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_readonly"}).raise_for_status()
        secret = api.post("/tokens", json={"name": "ui-server", "role": "server"}).json()["token"]

    # When signing in with it
    ui.sign_in(secret)

    # Then everything shows, nothing can be changed, and the page says so
    expect(ui.page.locator("#readonly")).to_be_visible()
    expect(ui.page.locator("#readonly")).to_contain_text("Read-only")
    expect(ui.toggle("ui_readonly", "production")).to_be_disabled()
    expect(ui.page.get_by_role("button", name="Create flag")).to_be_hidden()
    ui.shot("1-read-only")


def test_signout__back_to_signin__token_forgotten(ui: Ui) -> None:
    ui.sign_in()
    ui.page.get_by_role("button", name="Sign out").click()
    ui.wait_ready("signin")
    assert ui.page.evaluate("sessionStorage.getItem('vexil.session')") is None
    ui.page.reload()
    ui.wait_ready("signin")


def test_flags__phone_viewport__one_card_per_flag_no_sideways_scroll(phone: Ui) -> None:
    with admin_client(phone.server) as api:
        api.post("/flags", json={"name": "ui_phone", "description": "Seen on a phone", "tags": ["mobile"]})
    phone.sign_in()
    assert phone.overflow_x() == 0
    expect(phone.toggle("ui_phone", "production")).to_be_visible()
    phone.shot("1-list")


def test_modules__pure_functions__as_specified(ui: Ui) -> None:
    """The UI's pure helpers, run in the browser: error paths, condition values, diffs, drafts."""
    ui.open()
    ui.wait_ready("signin")
    result = ui.page.evaluate(
        """async () => {
            const {errorPath, createApi} = await import('./api.js');
            const {parseValue, formatValue, loadOperators} = await import('./conditions.js');
            await loadOperators(createApi({token: null}));
            const {diff} = await import('./views/audit.js');
            const {fromDoc, toFields, changedFields} = await import('./flagdraft.js');
            const paths = [
                'rules[0].conditions[1]: in needs a list', 'variants.0.payload: bad',
                "default_variant 'x' is not one of the variants", "allowlist['u-1'] names unknown variant 'z'",
                'environments.production.rules[2].serve names unknown variant', 'a message',
                'rules[0].conditions[1].value: gt compares numbers; "abc" is not a number',
                'allowlist["u-1"]: "z" is not one of the variants; use off, on',
                'environments["Bad"]: this key is not accepted; use lowercase letters',
            ].map(errorPath);
            const parsed = [
                ['in', 'a, b'], ['in', '["a", 1]'], ['not_in', '["a", '], ['eq', '42'], ['eq', '"42"'],
                ['eq', 'pro'], ['neq', 'true'], ['gt', '1.5'], ['exists', 'ignored'], ['starts_with', ' 42 '],
                ['in_cidr', '10.0.0.0/8'], ['in_cidr', '["10.0.0.0/8", "::1"]'], ['in_segment', 'beta'],
            ].map(([op, text]) => parseValue(op, text));
            const values = [
                ['eq', 'pro'], ['eq', '42'], ['eq', 42], ['eq', true], ['eq', {a: [1]}], ['neq', ''],
                ['in', ['a', 'b']], ['in', ['a,b', 'c']], ['in', [1, 'x']], ['not_in', [' padded ']],
                ['matches', '^a+$'], ['in_cidr', ['10.0.0.0/8']], ['before', '2026-01-01T00:00:00Z'],
            ];
            const roundTrips = values.map(([op, v]) =>
                JSON.stringify(parseValue(op, formatValue(op, v)).value) === JSON.stringify(v));
            const diffs = [
                diff({a: 1, b: {x: 1}, gone: 0}, {a: 1, b: {x: 2}, c: 3}).map(r => r.key),
                diff(null, {a: 1}).map(r => r.key),
                diff({a: 1}, null).map(r => r.key),
                diff({a: {x: 1, y: 2}}, {a: {y: 2, x: 1}}).map(r => r.key),
            ];
            const doc = {
                name: 'f', description: 'd', tags: ['a', 'b'], enabled: true, rollout_percentage: 12.5,
                variants: [{name: 'off', payload: null, weight: 0}, {name: 'on', payload: {k: [1, 'x']}, weight: 2}],
                default_variant: 'off', prerequisites: [], allowlist: {'user-1': 'on'},
                rules: [{conditions: [{field: 'plan', operator: 'in', value: ['pro', 'x,y'], negate: true,
                         case_insensitive: false}], rollout_percentage: 50, serve: 'on'}],
                apps: ['web'], salt: 'f', version: 3,
                environments: {production: {enabled: false, rules: []}, staging: {}},
            };
            const {fields, errors} = toFields(fromDoc(doc, ['development', 'production']));
            return {paths, parsed, roundTrips, diffs, fields, errors,
                    unchanged: changedFields(fields, toFields(fromDoc(doc, [])).fields)};
        }"""
    )
    assert result["paths"] == [
        "rules.0.conditions.1",
        "variants.0.payload",
        "default_variant",
        "allowlist",
        "environments.production.rules.2.serve",
        "a",
        "rules.0.conditions.1.value",
        "allowlist",
        "environments",
    ]
    assert result["parsed"] == [
        {"value": ["a", "b"]},
        {"value": ["a", 1]},
        {"error": 'Not a JSON list: write ["a", "b"] or a, b'},
        {"value": 42},
        {"value": "42"},
        {"value": "pro"},
        {"value": True},
        {"value": 1.5},
        {"value": None},
        {"value": " 42 "},
        {"value": "10.0.0.0/8"},
        {"value": ["10.0.0.0/8", "::1"]},
        {"value": "beta"},
    ]
    assert all(result["roundTrips"]), result["roundTrips"]
    assert result["diffs"] == [["b", "c", "gone"], ["a"], ["a"], []]
    assert result["errors"] == []
    fields = result["fields"]
    assert fields["environments"] == {"production": {"enabled": False, "rules": []}, "staging": {}}
    assert fields["variants"][1] == {"name": "on", "payload": {"k": [1, "x"]}, "weight": 2}
    assert fields["rules"][0]["conditions"][0]["value"] == ["pro", "x,y"]
    assert fields["rollout_percentage"] == 12.5
    assert fields["tags"] == ["a", "b"]
    assert result["unchanged"] == []
