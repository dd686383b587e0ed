"""A flag's page in the admin UI, in headless Chromium against a real server: overrides, rules,
variants, allowlist, apps, the playground, saving with a version, live changes and deletion.
Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import admin_client
from tests.web.conftest import Ui
from vexil.engine import Operator

pytestmark = pytest.mark.slow


def open_flag(ui: Ui, name: str, **fields: Any) -> None:
    """Create `name` through the API and open its page, signed in as admin."""
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": name, **fields}).raise_for_status()
    ui.sign_in(hash=f"#/flags/{name}", view="flag")


def stored(ui: Ui, name: str) -> dict[str, Any]:
    with admin_client(ui.server) as api:
        doc: dict[str, Any] = api.get(f"/flags/{name}").json()
        return doc


def save(ui: Ui, version: int) -> None:
    ui.page.get_by_role("button", name="Save", exact=True).click()
    expect(ui.page.locator(".savebar .state")).to_have_text(f"Saved (version {version}).")


def evaluate(ui: Ui, reason: str, **shown: str) -> None:
    ui.page.get_by_role("button", name="Evaluate").click()
    answer(ui, reason, **shown)


def answer(ui: Ui, reason: str, **shown: str) -> None:
    expect(ui.page.locator("[data-result='reason']")).to_have_text(reason)
    for key, value in shown.items():
        expect(ui.page.locator(f"[data-result='{key}']")).to_have_text(value)


def test_flag_page__override_rule_playground_toggle__each_step_changes_the_answer(ui: Ui) -> None:
    # Given a flag created in the list, and a context in the playground
    ui.sign_in()
    ui.page.get_by_label("Name", exact=True).fill("ui_flow")
    ui.page.get_by_role("button", name="Create flag").click()
    ui.wait_ready("flag")
    ui.page.get_by_label("Identifier", exact=True).fill("user-1")
    ui.page.locator("#pg-environment").select_option("production")
    ui.page.get_by_label("Attributes (JSON object)").fill('{"plan": "pro"}')
    evaluate(ui, "disabled", variant="off", active="no", rule="—")
    ui.shot("1-created")

    # When production is switched on by an override
    ui.page.get_by_label("production: enabled").select_option("on")
    expect(ui.page.locator("[data-env='production'] .badge")).to_have_text("override: enabled")
    save(ui, 2)

    # Then the playground follows: on in production, off by default
    answer(ui, "enabled", variant="on", active="yes")
    expect(ui.page.locator("[data-env='staging'] .badge")).to_have_text("inherited")

    # When production's rollout is set to 0 %, the user is excluded
    ui.page.get_by_label("production: rollout percentage").fill("0")
    save(ui, 3)
    answer(ui, "rollout_excluded", variant="off")

    # When a rule lets the pro plan in
    ui.page.get_by_role("button", name="Add rule").click()
    expect(ui.page.get_by_label("Condition 1 field")).to_be_focused()
    ui.page.get_by_label("Condition 1 field").fill("plan")
    ui.page.get_by_label("Condition 1 value").fill("pro")
    ui.page.get_by_label("Rule 1 serves").select_option("on")
    save(ui, 4)

    # Then the rule decides, and the page shows which
    answer(ui, "rule_match", variant="on", rule="Rule 1")
    expect(ui.page.locator(".rule.decided")).to_have_count(1)
    ui.shot("2-rule")
    doc = stored(ui, "ui_flow")
    assert doc["environments"] == {"production": {"enabled": True, "rollout_percentage": 0}}
    condition = {"field": "plan", "operator": "eq", "value": "pro", "negate": False, "case_insensitive": False}
    assert doc["rules"] == [{"conditions": [condition], "rollout_percentage": 100, "serve": "on"}]

    # When production is toggled off from the list
    ui.go("#/flags", "flags")
    ui.toggle("ui_flow", "production").click()
    expect(ui.toggle("ui_flow", "production")).to_have_attribute("aria-pressed", "false")

    # Then the flag's page answers "disabled" again
    ui.go("#/flags/ui_flow", "flag")
    ui.page.get_by_label("Identifier", exact=True).fill("user-1")
    ui.page.locator("#pg-environment").select_option("production")
    evaluate(ui, "disabled")

    # And the flag's history shows the toggle, by the admin, with what it changed
    ui.page.get_by_role("link", name="Full history").click()
    ui.wait_ready("audit")
    events = ui.page.locator("#audit-events .event")
    expect(events).to_have_count(5)
    toggle = events.first
    expect(toggle).to_have_attribute("data-action", "toggle")
    expect(toggle).to_contain_text("by admin")
    toggle.locator("summary").click()
    expect(toggle.locator("summary")).to_have_text("Changed: environments")
    change = toggle.locator("tr[data-key='environments']")
    expect(change.locator(".before")).to_contain_text('"enabled":true')
    expect(change.locator(".after")).to_contain_text('"enabled":false')
    ui.shot("3-audit")


def test_flag_page__operators__every_operator_listed_and_values_typed(ui: Ui) -> None:
    open_flag(ui, "ui_ops", enabled=True)
    ui.page.get_by_role("button", name="Add rule").click()

    # The operator list is that of docs/spec.md §1: the engine's, served as GET /operators
    options = (
        ui.page.get_by_label("Condition 1 operator").locator("option").evaluate_all("els => els.map(e => e.value)")
    )
    assert options == [operator.value for operator in Operator]

    # Lists, numbers, negation and case folding
    ui.page.get_by_label("Condition 1 field").fill("country")
    ui.page.get_by_label("Condition 1 operator").select_option("in")
    ui.page.get_by_label("Condition 1 value").fill("NL, BE")
    ui.page.get_by_label("Negate").check()
    ui.page.get_by_label("Ignore case").check()
    ui.page.get_by_role("button", name="Add condition").click()
    ui.page.get_by_label("Condition 2 field").fill("attributes.age")
    ui.page.get_by_label("Condition 2 operator").select_option("gte")
    ui.page.get_by_label("Condition 2 value").fill("18")
    ui.page.get_by_role("button", name="Add condition").click()
    ui.page.get_by_label("Condition 3 operator").select_option("exists")
    expect(ui.page.get_by_label("Condition 3 value")).to_be_disabled()
    ui.page.get_by_label("Condition 3 field").fill("email")
    ui.page.get_by_label("Rule 1 rollout percentage").fill("50")
    save(ui, 2)
    conditions = stored(ui, "ui_ops")["rules"][0]["conditions"]
    assert conditions == [
        {"field": "country", "operator": "in", "value": ["NL", "BE"], "negate": True, "case_insensitive": True},
        {"field": "attributes.age", "operator": "gte", "value": 18, "negate": False, "case_insensitive": False},
        {"field": "email", "operator": "exists", "value": None, "negate": False, "case_insensitive": False},
    ]
    assert stored(ui, "ui_ops")["rules"][0]["rollout_percentage"] == 50

    # A JSON list that does not parse is refused in the browser, next to the value
    ui.page.get_by_label("Condition 1 value").fill('["NL", ')
    ui.page.get_by_role("button", name="Save", exact=True).click()
    expect(ui.page.locator("[data-path='rules.0.conditions.0.value'] .error-msg")).to_contain_text("JSON list")
    expect(ui.page.get_by_label("Condition 1 value")).to_be_focused()
    ui.page.get_by_label("Condition 1 value").fill('["NL", 1]')
    save(ui, 3)
    assert stored(ui, "ui_ops")["rules"][0]["conditions"][0]["value"] == ["NL", 1]


def test_flag_page__rules_reordered__saved_in_the_new_order(ui: Ui) -> None:
    rules = [
        {"conditions": [{"field": "plan", "operator": "eq", "value": "free"}], "serve": "off"},
        {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"},
    ]
    open_flag(ui, "ui_order", enabled=True, rules=rules)
    expect(ui.page.get_by_label("Condition 1 value").first).to_have_value("free")

    # When the second rule is moved up with the keyboard
    ui.page.get_by_role("button", name="Move rule 2 up").focus()
    ui.page.keyboard.press("Enter")

    # Then it is first, the focus stays on its buttons, and it is saved so
    expect(ui.page.locator(".rule").first).to_contain_text("Rule 1")
    expect(ui.page.get_by_label("Condition 1 value").first).to_have_value("pro")
    expect(ui.page.get_by_role("button", name="Move rule 1 down")).to_be_focused()
    expect(ui.page.locator(".savebar .state")).to_have_text("Unsaved changes: rules")
    save(ui, 2)
    assert [rule["serve"] for rule in stored(ui, "ui_order")["rules"]] == ["on", "off"]

    # When the first rule is removed
    ui.page.get_by_role("button", name="Remove rule 1").click()
    save(ui, 3)
    assert [rule["serve"] for rule in stored(ui, "ui_order")["rules"]] == ["off"]


def test_flag_page__variants_and_allowlist__payload_checked_as_json(ui: Ui) -> None:
    open_flag(ui, "ui_variants", enabled=True)

    # When a variant is added with a payload that is not JSON
    ui.page.get_by_role("button", name="Add variant").click()
    expect(ui.page.locator("#variant-2-name")).to_be_focused()
    ui.page.locator("#variant-2-name").fill("blue")
    ui.page.locator("#variant-2-weight").fill("3")
    ui.page.locator("#variant-2-payload").fill('{"hex": "#00f"')

    # Then the error shows next to the payload as it is typed, and Save sends nothing
    payload_error = ui.page.locator("[data-path='variants.2.payload'] .error-msg")
    expect(payload_error).to_contain_text("Not valid JSON")
    ui.page.get_by_role("button", name="Save", exact=True).click()
    expect(ui.page.locator("#variant-2-payload")).to_be_focused()
    assert stored(ui, "ui_variants")["version"] == 1
    ui.shot("1-invalid-payload")

    # When it is fixed, the variant made the default, and someone allowlisted for it
    ui.page.locator("#variant-2-payload").fill('{"hex": "#00f"}')
    expect(payload_error).to_have_count(0)
    ui.page.get_by_role("group", name="Variant 3").get_by_label("Default").check()
    ui.page.get_by_role("button", name="Add identifier").click()
    ui.page.get_by_label("Allowlist entry 1: identifier").fill("user-42")
    ui.page.get_by_label("Allowlist entry 1: variant").select_option("on")
    save(ui, 2)

    # Then all of it is stored
    doc = stored(ui, "ui_variants")
    assert doc["variants"] == [
        {"name": "off", "payload": None, "weight": 0},
        {"name": "on", "payload": None, "weight": 1},
        {"name": "blue", "payload": {"hex": "#00f"}, "weight": 3},
    ]
    assert doc["default_variant"] == "blue"
    assert doc["allowlist"] == {"user-42": "on"}
    expect(ui.page.locator("#variant-2-weight + .share")).to_have_text("75%")

    # And the playground shows the payload served to the allowlisted user
    ui.page.get_by_label("Identifier", exact=True).fill("someone")
    evaluate(ui, "enabled")
    ui.page.get_by_label("Identifier", exact=True).fill("user-42")
    evaluate(ui, "allowlist", variant="on")


def test_flag_page__server_refuses__error_next_to_the_condition(ui: Ui) -> None:
    open_flag(ui, "ui_refused")
    ui.console.expect_http(400, "/flags/ui_refused")
    ui.page.get_by_role("button", name="Add rule").click()
    ui.page.get_by_label("Condition 1 field").fill("email")
    ui.page.get_by_label("Condition 1 operator").select_option("matches")
    ui.page.get_by_label("Condition 1 value").fill("([a-z")
    ui.page.get_by_role("button", name="Save", exact=True).click()
    error = ui.page.locator("[data-path='rules.0.conditions.0'] .error-msg")
    expect(error).to_be_visible()
    expect(error).to_contain_text("rules[0].conditions[0]")
    ui.shot("1-refused")


def test_flag_page__apps_and_clear_override__saved_at_once(ui: Ui) -> None:
    open_flag(ui, "ui_scope", environments={"staging": {"enabled": True, "rollout_percentage": 10}})
    ui.console.expect_http(400, "/flags/ui_scope/apps")
    expect(ui.page.locator("[data-env='staging'] .badge")).to_have_text("override: enabled, rollout")

    # Apps are added and removed at once; a bad name is refused next to the field
    ui.page.get_by_label("App name").fill("web")
    ui.page.get_by_label("App name").press("Enter")
    expect(ui.page.get_by_role("button", name="Remove app web")).to_be_visible()
    assert stored(ui, "ui_scope")["apps"] == ["web"]
    ui.page.get_by_label("App name").fill("Not An App")
    ui.page.get_by_role("button", name="Add app").click()
    expect(ui.page.locator("[data-path='app_name'] .error-msg")).to_contain_text("app_name")

    # Unsaved edits survive an immediate change
    ui.page.get_by_label("Description").fill("still typing")
    ui.page.get_by_role("button", name="Remove app web").click()
    expect(ui.page.get_by_role("button", name="Remove app web")).to_have_count(0)
    expect(ui.page.get_by_label("Description")).to_have_value("still typing")
    assert stored(ui, "ui_scope")["apps"] == []

    # Clearing the override: staging inherits again
    ui.page.get_by_role("button", name="Clear the staging override").click()
    expect(ui.page.locator("[data-env='staging'] .badge")).to_have_text("inherited")
    assert stored(ui, "ui_scope")["environments"] == {}
    save(ui, 5)
    assert stored(ui, "ui_scope")["description"] == "still typing"


def test_flag_page__changed_elsewhere__followed_or_announced(ui: Ui) -> None:
    open_flag(ui, "ui_conflict", description="first")
    ui.console.expect_http(409, "/flags/ui_conflict")
    with admin_client(ui.server) as api:
        # When someone else changes it while nothing is being edited, the page takes it in
        api.patch("/flags/ui_conflict", json={"description": "second"}).raise_for_status()
        expect(ui.page.get_by_label("Description")).to_have_value("second")
        expect(ui.page.locator(".savebar .state")).to_contain_text("change made elsewhere")

        # When someone else changes it while it is being edited, the edit is kept and a notice shown
        ui.page.get_by_label("Description").fill("mine")
        api.patch("/flags/ui_conflict", json={"description": "theirs"}).raise_for_status()
        expect(ui.page.locator("#conflict")).to_contain_text("Someone else changed this flag")
        expect(ui.page.get_by_label("Description")).to_have_value("mine")
        ui.shot("1-conflict")

    # Saving anyway is refused (409: the version moved) and said so
    ui.page.get_by_role("button", name="Save", exact=True).click()
    expect(ui.page.locator("#conflict")).to_contain_text("Not saved")
    assert stored(ui, "ui_conflict")["description"] == "theirs"

    # Reload shows their version
    ui.page.get_by_role("button", name="Reload").click()
    expect(ui.page.get_by_label("Description")).to_have_value("theirs")
    expect(ui.page.locator("#conflict")).to_have_count(0)


def test_flag_page__deleted__after_confirmation(ui: Ui) -> None:
    open_flag(ui, "ui_doomed")
    ui.page.get_by_role("button", name="Delete flag…").click()
    expect(ui.page.get_by_role("button", name="Cancel")).to_be_focused()
    ui.shot("1-confirm")
    ui.page.get_by_role("button", name="Cancel").click()
    assert stored(ui, "ui_doomed")["name"] == "ui_doomed"

    ui.page.get_by_role("button", name="Delete flag…").click()
    ui.page.get_by_role("button", name="Delete ui_doomed").click()
    ui.wait_ready("flags")
    expect(ui.row("ui_doomed")).to_have_count(0)
    with admin_client(ui.server) as api:
        assert api.get("/flags/ui_doomed").status_code == 404


def test_flag_page__server_token__shown_read_only_playground_works(ui: Ui) -> None:
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_look", "enabled": True, "tags": ["x"]}).raise_for_status()
        secret = api.post("/tokens", json={"name": "ui-look", "role": "server"}).json()["token"]
    ui.sign_in(secret, hash="#/flags/ui_look", view="flag")
    expect(ui.page.get_by_label("Description")).to_be_disabled()
    expect(ui.page.get_by_role("button", name="Add rule")).to_be_disabled()
    expect(ui.page.get_by_role("button", name="Delete flag…")).to_be_hidden()
    expect(ui.page.locator(".savebar .state")).to_contain_text("Read-only")
    evaluate(ui, "enabled", variant="on")
    ui.shot("1-read-only")


def test_flag_page__phone_viewport__no_sideways_scroll(phone: Ui) -> None:
    rules = [{"conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com"}], "serve": "on"}]
    variants = [{"name": "off", "weight": 0}, {"name": "on", "weight": 1, "payload": {"color": "#0a0"}}]
    open_flag(phone, "ui_small", rules=rules, variants=variants, description=json.dumps({"long": "x" * 80}))
    assert phone.overflow_x() == 0
    phone.shot("1-flag")
