"""The condition editor (src/vexil/web/ui/conditions.js) takes the operators from the server
(`GET /operators`, the engine's list) and shows the server's own message when it refuses one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect

import vexil
from tests.conftest import admin_client
from tests.web.conftest import Ui
from vexil.engine import Operator

UI = Path(vexil.__file__).parent / "web" / "ui"
# A quoted word, or a word used as an object's key (`{eq: "equals"}`).
SPELLED = re.compile(r"""["'`]([a-z_]+)["'`]|[{,]\s*([a-z_]+)\s*:""")
# Quoted words of the UI that are operator names by chance: the before/after documents of the audit
# view and of a change request's diff.
NOT_OPERATORS = {(view, side) for view in ("views/audit.js", "views/changes.js") for side in ("before", "after")}


def open_flag(ui: Ui, name: str) -> None:
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": name}).raise_for_status()
    ui.sign_in(hash=f"#/flags/{name}", view="flag")


def test_ui_modules__no_copy_of_the_operators__they_come_from_the_server() -> None:
    # Given every ES module of the admin UI
    names = {operator.value for operator in Operator}
    found = set()
    for module in sorted(UI.rglob("*.js")):
        text = module.read_text()
        # When the operator names it spells out are collected
        words = {word for match in SPELLED.findall(text) for word in match if word in names}
        found |= {(module.relative_to(UI).as_posix(), word) for word in words}
    # Then there are none (a copied list, set or label map would show here), and the editor asks the server
    assert found <= NOT_OPERATORS
    assert '"/operators"' in (UI / "conditions.js").read_text()


@pytest.mark.slow
def test_condition_editor__operator_dropdown__filled_from_the_server(ui: Ui) -> None:
    # Given a server whose GET /operators answers two operators of its own
    served = [
        {"name": "eq", "description": "is exactly", "value": "single", "reads": "scalar", "or_list": False},
        {"name": "exists", "description": "is set", "value": "none", "reads": None, "or_list": False},
    ]

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"operators": served}))

    ui.page.route("**/operators", answer)
    open_flag(ui, "ui_cond_served")
    # When a condition is added
    ui.page.get_by_role("button", name="Add rule").click()
    # Then the dropdown holds exactly those, as the server describes them, and their value kinds apply
    operator = ui.page.get_by_label("Condition 1 operator")
    options = operator.locator("option").evaluate_all("els => els.map(e => e.textContent)")
    assert options == ["eq — is exactly", "exists — is set"]
    expect(ui.page.get_by_label("Condition 1 value")).to_be_enabled()
    operator.select_option("exists")
    expect(ui.page.get_by_label("Condition 1 value")).to_be_disabled()


@pytest.mark.slow
def test_condition_editor__value_refused__server_message_next_to_the_value(ui: Ui) -> None:
    # Given a flag's page, and what the API says of `gt "abc"`
    open_flag(ui, "ui_cond_refused")
    ui.console.expect_http(400, "/flags/ui_cond_refused")
    rules = [{"conditions": [{"field": "age", "operator": "gt", "value": "abc"}]}]
    with admin_client(ui.server) as api:
        said = api.patch("/flags/ui_cond_refused", json={"rules": rules}).json()["error"]
    # When the same condition is typed and saved
    ui.page.get_by_role("button", name="Add rule").click()
    ui.page.get_by_label("Condition 1 field").fill("age")
    ui.page.get_by_label("Condition 1 operator").select_option("gt")
    expect(ui.page.get_by_label("Condition 1 value")).to_have_attribute("placeholder", "42")
    ui.page.get_by_label("Condition 1 value").fill("abc")
    ui.page.get_by_role("button", name="Save", exact=True).click()
    # Then the API's message, word for word, is shown under the value
    error = ui.page.locator("[data-path='rules.0.conditions.0.value'] .error-msg")
    expect(error).to_have_text(said)
    assert said == 'rules[0].conditions[0].value: gt compares numbers; "abc" is not a number'
    expect(ui.page.get_by_label("Condition 1 value")).to_be_focused()
    ui.shot("1-refused")
