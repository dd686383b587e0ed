"""The flag page organised for work, in headless Chromium against a real server: each environment's
own allowlist and rules ("override here", "inherit again"), prerequisites, the salt, state labels
that never read "On" for a flag that serves nobody, the sticky summary and its links, dark mode and
the team's order of environments. Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import LiveServer, admin_client
from tests.web.conftest import DESKTOP, Ui, _tab
from tests.web.test_ui_flag import open_flag, save, stored

pytestmark = pytest.mark.slow

VIP_RULE = {"conditions": [{"field": "plan", "operator": "eq", "value": "vip"}], "rollout_percentage": 100}


def part(ui: Ui, env: str, key: str) -> Any:
    return ui.page.locator(f"#target-{env} [data-part='{key}']")


def test_flag_page__allowlist_overridden_in_production__served_there_only_until_inherited_again(ui: Ui) -> None:
    # Given a flag that is on for nobody by default, with a rule of its own
    open_flag(ui, "fp_env", enabled=True, rollout_percentage=0, rules=[VIP_RULE])
    expect(part(ui, "production", "allowlist").locator(".badge")).to_have_text("inherits")
    expect(part(ui, "production", "rules")).to_contain_text("The flag's rules: 1 rule.")

    # When production overrides its allowlist here and lists vip-1
    ui.page.get_by_role("button", name="Override the allowlist in production").click()
    expect(part(ui, "production", "allowlist").locator(".badge")).to_have_text("production's own")
    ui.page.locator("#env-production-allow-add").click()
    expect(ui.page.locator("#env-production-allow-0-identifier")).to_be_focused()
    ui.page.get_by_label("production: Allowlist entry 1: identifier").fill("vip-1")
    # And production's rules start as a copy of the flag's, and drop the condition's rule
    ui.page.get_by_role("button", name="Override the rules in production").click()
    expect(ui.page.locator("#env-production-rule-0-title")).to_have_text("production: Rule 1")
    ui.page.get_by_role("button", name="Remove production: rule 1").click()
    ui.shot("1-overridden")
    save(ui, 2)

    # Then production alone has them, and the environments table says so
    doc = stored(ui, "fp_env")
    assert doc["environments"] == {"production": {"allowlist": {"vip-1": "on"}, "rules": []}}
    assert doc["allowlist"] == {} and [rule["conditions"][0]["value"] for rule in doc["rules"]] == ["vip"]
    expect(ui.page.locator("tr[data-env='production'] .source a")).to_have_text(" own rules (0), allowlist (1)")
    # And the playground answers with the allowlist in production, and not in staging
    ui.page.get_by_label("Identifier", exact=True).fill("vip-1")
    ui.page.locator("#pg-environment").select_option("production")
    ui.page.get_by_role("button", name="Evaluate").click()
    expect(ui.page.locator("[data-result='reason']")).to_have_text("allowlist")
    ui.page.locator("#pg-environment").select_option("staging")
    ui.page.get_by_role("button", name="Evaluate").click()
    expect(ui.page.locator("[data-result='reason']")).to_have_text("rollout_excluded")

    # When production inherits both again
    ui.page.get_by_role("button", name="Inherit the flag's allowlist in production").click()
    expect(ui.page.locator("#env-production-allowlist-override")).to_be_focused()
    ui.page.get_by_role("button", name="Inherit the flag's rules in production").click()
    save(ui, 3)

    # Then the override is empty again: production follows the flag's own targeting
    assert stored(ui, "fp_env")["environments"] == {"production": {}}
    expect(part(ui, "production", "rules").locator(".badge")).to_have_text("inherits")
    ui.shot("2-inherited-again")


def test_flag_page__prerequisite_and_salt__picked_warned_and_saved(ui: Ui) -> None:
    # Given a flag that another will require
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "fp_parent", "enabled": True}).raise_for_status()
    open_flag(ui, "fp_child", enabled=True)

    # When a prerequisite is added: the parent picked, required active, serving "on"
    ui.page.get_by_role("button", name="Add prerequisite").click()
    ui.page.get_by_label("Prerequisite 1: flag").select_option("fp_parent")
    ui.page.get_by_label("Prerequisite 1: required state").select_option("true")
    ui.page.get_by_label("Prerequisite 1: serving one of the variants (comma-separated)").fill("on")
    # And the salt is changed: a warning says users are reshuffled
    expect(ui.page.locator("#salt-warning")).to_be_hidden()
    ui.page.get_by_label("Salt", exact=True).fill("fp_child-v2")
    expect(ui.page.locator("#salt-warning")).to_contain_text("reshuffles users")
    ui.shot("1-prereq-salt")
    save(ui, 2)

    # Then both are stored; and the playground shows the prerequisite deciding once the parent is off
    doc = stored(ui, "fp_child")
    assert doc["prerequisites"] == [{"flag": "fp_parent", "active": True, "variants": ["on"]}]
    assert doc["salt"] == "fp_child-v2"
    with admin_client(ui.server) as api:
        api.patch("/flags/fp_parent", json={"enabled": False}).raise_for_status()
    ui.page.get_by_label("Identifier", exact=True).fill("u1")
    ui.page.get_by_role("button", name="Evaluate").click()
    expect(ui.page.locator("[data-result='reason']")).to_have_text("prerequisite_failed")

    # When the prerequisite is removed and no flag is picked for a new one, saving is refused here
    ui.page.get_by_role("button", name="Remove prerequisite 1").click()
    ui.page.get_by_role("button", name="Add prerequisite").click()
    ui.page.get_by_role("button", name="Save", exact=True).click()
    expect(ui.page.locator("[data-path='prerequisites.0.flag'] .error-msg")).to_contain_text("Pick a flag")
    assert stored(ui, "fp_child")["prerequisites"] != []


STATES: dict[str, tuple[dict[str, Any], str, str]] = {
    "fp_state_off": ({"enabled": False, "rollout_percentage": 100}, "off", "Off"),
    "fp_state_nobody": ({"enabled": True, "rollout_percentage": 0}, "nobody", "0%"),
    "fp_state_targeted": ({"enabled": True, "rollout_percentage": 0, "rules": [VIP_RULE]}, "targeted", "Targeted"),
    "fp_state_partial": ({"enabled": True, "rollout_percentage": 25}, "partial", "25%"),
    "fp_state_on": ({"enabled": True, "rollout_percentage": 100}, "on", "On"),
}


def test_state_labels__disabled_or_zero_percent__never_read_on(ui: Ui) -> None:
    # Given flags disabled, at 0 % with and without targeting, at 25 % and at 100 %
    with admin_client(ui.server) as api:
        for name, (fields, _, _) in STATES.items():
            api.post("/flags", json={"name": name, **fields}).raise_for_status()
    # When the list is read
    ui.sign_in()
    # Then each reads as what it serves, the same in every environment, "On" only at 100 %
    for name, (_, key, label) in STATES.items():
        for env in ("", "development", "production"):
            toggle = ui.toggle(name, env)
            expect(toggle).to_have_text(label)
            expect(toggle).to_have_attribute("data-state", key)
    ui.shot("1-list")
    # And the flag page's summary says the same for each environment
    ui.go("#/flags/fp_state_targeted", "flag")
    chip = ui.page.locator(".chips [data-chip='staging']")
    expect(chip).to_have_attribute("data-state", "targeted")
    expect(chip.locator(".chip-state")).to_have_text("Targeted")


def test_flag_page__summary_links_by_keyboard__reach_each_part_and_stay_in_view(ui: Ui) -> None:
    # Given a flag's page
    open_flag(ui, "fp_keys", enabled=True, environments={"production": {"rollout_percentage": 5}})
    nav = ui.page.get_by_role("navigation", name="Parts of this flag")
    parts = ["Targeting", "Variants", "Settings", "Lifecycle", "Usage", "Schedule", "Playground", "History"]
    expect(nav.get_by_role("link")).to_have_text(parts)
    expect(ui.page.locator(".chips [data-chip='production'] .chip-state")).to_have_text("5%")
    for text, target in (
        ("Variants", "variants"),
        ("Usage", "usage"),
        ("Schedule", "schedule"),
        ("Playground", "playground"),
        ("History", "history"),
    ):
        # When a part's link is reached with the keyboard and followed with Enter
        nav.get_by_role("link", name=text).focus()
        ui.page.keyboard.press("Enter")
        # Then that part has the focus, and the summary still sits at the top of the window
        expect(ui.page.locator(f"#{target}")).to_be_focused()
        top = ui.page.locator(".sticky-head").evaluate("el => el.getBoundingClientRect().top")
        assert top == 0
    # And the history lists the flag's creation
    expect(ui.page.locator("#history .event[data-action='create']")).to_have_count(1)
    ui.shot("1-history-in-view", full_page=False)


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A tab at 1280x800 whose system setting is dark mode."""
    yield from _tab(browser, ui_server, request, DESKTOP, color_scheme="dark")


def luminance(css: str) -> float:
    """The mean of the red, green and blue of an `rgb(r, g, b)` colour, 0 to 255."""
    channels = [float(c) for c in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    return sum(channels) / 3


def test_flag_page__system_in_dark_mode__dark_page_light_text(dark: Ui) -> None:
    # Given the system in dark mode; When a flag's page is opened
    open_flag(dark, "fp_dark", enabled=True, rollout_percentage=30, rules=[VIP_RULE])
    # Then the page, its cards and its fields are dark, and the text light
    for selector in ("body", "#environments", "#flag-description"):
        background = dark.page.locator(selector).evaluate("el => getComputedStyle(el).backgroundColor")
        assert luminance(background) < 60, (selector, background)
    assert luminance(dark.page.locator("body").evaluate("el => getComputedStyle(el).color")) > 200
    dark.shot("1-flag-page")
    dark.go("#/flags", "flags")
    dark.shot("2-flags-list")


def test_environments__team_order__followed_by_the_list_and_the_flag_page(ui: Ui) -> None:
    # Given a qa environment, moved by the team between development and staging
    with admin_client(ui.server) as api:
        api.post("/environments", json={"name": "qa"}).raise_for_status()
        api.patch("/environments/qa", json={"order": 1}).raise_for_status()
        api.post("/flags", json={"name": "fp_order"}).raise_for_status()
    expected = ["development", "qa", "staging", "production"]
    try:
        # When the list and the flag page are opened
        ui.sign_in()
        # Then both list the environments in that order, in the table, the summary and the playground
        columns = ui.page.locator("#flags-table thead th[data-env]")
        expect(columns).to_have_text(["Default", *expected])
        ui.go("#/flags/fp_order", "flag")
        expect(ui.page.locator("table.envs tbody tr[data-env]")).to_have_count(4)
        rows = ui.page.locator("table.envs tbody tr[data-env]").evaluate_all("rows => rows.map(r => r.dataset.env)")
        assert rows == expected
        expect(ui.page.locator(".chips .chip-env")).to_have_text(expected)
        expect(ui.page.locator("#target-qa h3")).to_have_text("qa")
        options = ui.page.locator("#pg-environment option").evaluate_all("os => os.map(o => o.value)")
        assert [o for o in options if o] == expected
        ui.shot("1-ordered")
    finally:
        # The module's other tests expect the usual order
        with admin_client(ui.server) as api:
            api.patch("/environments/qa", json={"order": 99}).raise_for_status()
