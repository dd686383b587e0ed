"""Usage and lifecycle in the admin UI, in headless Chromium against a real server (docs/usage.md,
docs/lifecycle.md): the flags list's sparkline and last seen after real evaluations, the flag page's
usage chart by environment and variant, kind and owner saved with the page, marking stale, and
archive and restore from the flag's page and the list. Screenshots, light and dark, in
test-artifacts/ui/."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import DESKTOP, Ui, _tab
from tests.web.test_ui_flag import save, stored

pytestmark = pytest.mark.slow


def evaluate(api: httpx.Client, flag: str, times: int, **context: str) -> None:
    for i in range(times):
        api.get(f"/flags/{flag}/evaluate", params={"identifier": f"user-{i}", **context}).raise_for_status()


def ofrep_status(server: LiveServer, flag: str) -> int:
    with admin_client(server) as api:
        return api.post(f"/ofrep/v1/evaluate/flags/{flag}", json={"context": {"targetingKey": "u1"}}).status_code


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo flags, and `checkout_v2` (a 50/50 experiment) evaluated in production and staging
    by the app `web`; `dark_mode` evaluated a little; the others never."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", "--demo", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    variants = [{"name": "control", "weight": 1}, {"name": "treatment", "weight": 1}]
    with admin_client(started) as api:
        body = {"name": "checkout_v2", "enabled": True, "variants": variants, "default_variant": "control"}
        api.post("/flags", json={**body, "kind": "experiment", "owner": "checkout-team"}).raise_for_status()
        evaluate(api, "checkout_v2", 30, environment="production", app="web")
        evaluate(api, "checkout_v2", 10, environment="staging", app="web")
        evaluate(api, "dark_mode", 4, environment="production")
    yield started
    started.stop(signal.SIGKILL)


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    """A tab in dark mode."""
    yield from _tab(browser, ui_server, request, DESKTOP, "dark")


def test_flags_list__after_evaluations__sparkline_total_and_last_seen(ui: Ui) -> None:
    # When an admin opens the flags list
    ui.sign_in()
    # Then an evaluated flag shows its week's total beside its sparkline, and was seen just now
    busy = ui.row("checkout_v2")
    expect(busy.locator("td.usage .usage-total")).to_have_text("40")
    expect(busy.locator("td.usage svg.spark")).to_have_attribute(
        "aria-label", "Evaluations per day, last 7 days: 0, 0, 0, 0, 0, 0, 40"
    )
    expect(busy.locator("td.seen")).to_have_text("just now")
    # And a flag nobody evaluated says so
    expect(ui.row("beta_api_v2").locator("td.seen")).to_have_text("never")
    expect(ui.row("beta_api_v2").locator("td.usage .usage-total")).to_have_text("0")
    ui.shot("list")


def test_flag_page__usage_chart__stacked_by_environment_with_variants_sources_and_apps(ui: Ui) -> None:
    # When an admin opens the evaluated experiment's page
    ui.sign_in(hash="#/flags/checkout_v2", view="flag")
    usage = ui.page.locator("#usage")
    # Then its usage shows the total, one stack per environment and the variants served
    expect(usage.locator("#usage-total")).to_have_text("40")
    expect(usage).to_contain_text("evaluations, per day, by environment")
    expect(ui.page.locator("#usage-by-environment")).to_have_attribute("aria-pressed", "true")
    expect(usage.locator("#usage-stacks li")).to_have_count(2)
    expect(usage.locator("#usage-stacks [data-series='production'] .legend-count")).to_have_text("30")
    expect(usage.locator("#usage-stacks [data-series='staging'] .legend-count")).to_have_text("10")
    variants = usage.locator("#usage-variants li .legend-name")
    expect(variants).to_have_count(2)
    assert sorted(variants.all_inner_texts()) == ["control", "treatment"]
    expect(usage.locator("#usage-sources [data-series='server'] .legend-count")).to_have_text("40")
    expect(usage.locator("#usage-apps [data-series='web'] .legend-count")).to_have_text("40")
    expect(usage.locator("#usage-last-seen")).to_have_text("last seen just now")
    # And today's bar holds both environments' parts
    expect(usage.locator("svg.usage-chart .bar rect")).to_have_count(2)
    # When the last 24 hours are chosen, the same evaluations show per hour
    ui.page.get_by_role("button", name="24 h").click()
    expect(ui.page.locator("#usage-period-24h")).to_have_attribute("aria-pressed", "true")
    expect(usage).to_contain_text("evaluations, per hour, by environment")
    expect(usage.locator("#usage-total")).to_have_text("40")
    expect(usage.locator("svg.usage-chart .tick").first).to_be_visible()
    usage.scroll_into_view_if_needed()
    ui.shot("flag-usage", full_page=False)


def test_flag_page__usage_by_variant__one_stack_per_variant_coloured_as_the_variant_split(ui: Ui) -> None:
    # Given the evaluated experiment's page, its bars stacked by environment
    ui.sign_in(hash="#/flags/checkout_v2", view="flag")
    usage = ui.page.locator("#usage")
    expect(usage.locator("#usage-stacks [data-series='production']")).to_have_count(1)
    # When the bars are stacked by variant
    ui.page.get_by_role("button", name="By variant").click()
    # Then there is one stack per variant served, adding up to the total, and no environment
    expect(ui.page.locator("#usage-by-variant")).to_have_attribute("aria-pressed", "true")
    expect(ui.page.locator("#usage-by-environment")).to_have_attribute("aria-pressed", "false")
    expect(usage).to_contain_text("evaluations, per day, by variant")
    stacks = usage.locator("#usage-stacks li")
    expect(stacks).to_have_count(2)
    expect(usage.locator("#usage-stacks [data-series='production']")).to_have_count(0)
    assert sorted(stacks.locator(".legend-name").all_inner_texts()) == ["control", "treatment"]
    assert sum(int(n) for n in stacks.locator(".legend-count").all_inner_texts()) == 40
    expect(usage.locator("#usage-stacks")).to_have_attribute("aria-label", "Bars by variant")
    # And each variant has the colour it has in the variant split, and says so in the chart's label
    for name in ("control", "treatment"):
        swatch = usage.locator(f"#usage-stacks [data-series='{name}'] .swatch").get_attribute("class")
        assert swatch == usage.locator(f"#usage-variants [data-series='{name}'] .swatch").get_attribute("class")
    expect(usage.locator("svg.usage-chart")).to_have_attribute("aria-label", re.compile(r"by variant: 40 in all; "))
    # And the choice is kept when the period changes
    ui.page.get_by_role("button", name="24 h").click()
    expect(usage).to_contain_text("evaluations, per hour, by variant")
    expect(stacks).to_have_count(2)
    usage.scroll_into_view_if_needed()
    ui.shot("flag-usage-by-variant", full_page=False)


def test_flag_page__kind_and_owner__saved_with_the_page(ui: Ui) -> None:
    # Given a flag created without lifecycle fields
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_kind"}).raise_for_status()
    ui.sign_in(hash="#/flags/ui_kind", view="flag")
    # When its kind and owner are changed and saved
    ui.page.get_by_label("Kind").select_option("operational")
    ui.page.get_by_label("Owner").fill("platform-team")
    expect(ui.page.locator(".savebar .state")).to_contain_text("kind, owner")
    save(ui, 2)
    # Then both are stored, and the page shows them after a reload
    doc = stored(ui, "ui_kind")
    assert (doc["kind"], doc["owner"]) == ("operational", "platform-team")
    ui.page.reload()
    ui.wait_ready("flag")
    expect(ui.page.get_by_label("Kind")).to_have_value("operational")
    expect(ui.page.get_by_label("Owner")).to_have_value("platform-team")


def test_flag_page__mark_stale__signal_shown_with_its_evidence_until_taken_back(ui: Ui) -> None:
    # Given a flag with no stale signal
    with admin_client(ui.server) as api:
        rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
        api.post("/flags", json={"name": "ui_mark", "enabled": True, "rules": rules}).raise_for_status()
    ui.sign_in(hash="#/flags/ui_mark", view="flag")
    expect(ui.page.locator("#stale-verdict")).to_have_text("No stale signal: the flag looks in use.")
    # When a person marks it stale
    ui.page.get_by_role("button", name="Mark as stale").click()
    # Then the signal shows, with its evidence, and the flag is stored as marked
    expect(ui.page.locator("#stale-signals [data-signal='marked_stale']")).to_contain_text("A person marked it stale")
    expect(ui.page.locator("#stale-verdict")).to_contain_text("Potentially stale")
    assert stored(ui, "ui_mark")["stale"] is True
    ui.page.locator("#lifecycle").scroll_into_view_if_needed()
    ui.shot("flag-lifecycle", full_page=False)
    # When the mark is taken back, the signal goes
    ui.page.get_by_role("button", name="Not stale").click()
    expect(ui.page.locator("#stale-verdict")).to_have_text("No stale signal: the flag looks in use.")
    assert stored(ui, "ui_mark")["stale"] is False


def test_flag_page__archive_then_restore__not_served_then_served_again(ui: Ui) -> None:
    # Given a flag that is on, open on its page
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_archive", "enabled": True}).raise_for_status()
    ui.sign_in(hash="#/flags/ui_archive", view="flag")
    assert ofrep_status(ui.server, "ui_archive") == 200
    # When it is archived, after confirming
    ui.page.get_by_role("button", name="Archive flag…").click()
    expect(ui.page.locator("#flag-archive-cancel")).to_be_focused()
    ui.page.get_by_role("button", name="Archive ui_archive").click()
    # Then the page says it is archived, and evaluations answer as for a missing flag
    expect(ui.page.locator("#archived-note")).to_contain_text("This flag is archived.")
    expect(ui.page.locator("#archived-badge")).to_have_text("Archived")
    assert ofrep_status(ui.server, "ui_archive") == 404
    ui.shot("flag-archived", full_page=False)
    # When it is restored from the page, it is served again and the note goes
    ui.page.get_by_role("button", name="Restore").click()
    expect(ui.page.locator("#archived-note")).to_have_count(0)
    assert ofrep_status(ui.server, "ui_archive") == 200
    assert stored(ui, "ui_archive")["archived"] is False


def test_flags_list__archived_choice__lists_archived_flags_with_restore(ui: Ui) -> None:
    # Given an archived flag
    with admin_client(ui.server) as api:
        api.post("/flags", json={"name": "ui_shelved", "owner": "web-team"}).raise_for_status()
        api.post("/flags/ui_shelved/archive").raise_for_status()
    ui.sign_in()
    expect(ui.row("ui_shelved")).to_have_count(0)
    # When the list shows the archived flags
    ui.page.get_by_label("Show").select_option("archived")
    # Then it is there, and Restore brings it back to the flags
    row = ui.page.locator("#archived-table tr[data-name='ui_shelved']")
    expect(row).to_contain_text("web-team")
    ui.shot("list-archived", full_page=False)
    row.get_by_role("button", name="Restore ui_shelved").click()
    expect(row).to_have_count(0)
    ui.page.get_by_label("Show").select_option("")
    expect(ui.row("ui_shelved")).to_have_count(1)
    assert ofrep_status(ui.server, "ui_shelved") == 200


def test_usage_pages__dark_mode__list_and_flag_page(dark: Ui) -> None:
    # When the list and the experiment's page are opened in dark mode
    dark.sign_in()
    expect(dark.row("checkout_v2").locator("td.usage .usage-total")).to_have_text("40")
    dark.shot("list-dark")
    dark.go("#/flags/checkout_v2", "flag")
    expect(dark.page.locator("#usage-total")).to_have_text("40")
    # Then the usage and lifecycle sections are drawn with the dark colours
    dark.page.locator("#usage").scroll_into_view_if_needed()
    dark.shot("flag-usage-dark", full_page=False)
    dark.page.get_by_role("button", name="By variant").click()
    expect(dark.page.locator("#usage")).to_contain_text("by variant")
    dark.shot("flag-usage-by-variant-dark", full_page=False)
    dark.page.locator("#lifecycle").scroll_into_view_if_needed()
    dark.shot("flag-lifecycle-dark", full_page=False)


def test_flag_page__usage_on_a_phone__both_choices_fit_without_sideways_scrolling(phone: Ui) -> None:
    # When the experiment's page is opened on a phone, its bars stacked by variant
    phone.sign_in(hash="#/flags/checkout_v2", view="flag")
    usage = phone.page.locator("#usage")
    expect(usage.locator("#usage-total")).to_have_text("40")
    phone.page.get_by_role("button", name="By variant").click()
    expect(usage).to_contain_text("by variant")
    # Then the period and the stacking choices fit, and nothing scrolls sideways
    assert phone.overflow_x() == 0
    usage.scroll_into_view_if_needed()
    phone.shot("flag-usage-phone", full_page=False)
