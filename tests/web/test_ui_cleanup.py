"""The Cleanup page in headless Chromium against a real server (docs/lifecycle.md): flags ready to
remove apart from the potentially stale, each with its signals and evidence; one-click archive,
which takes the flag out of evaluation, and restore as its undo; the stale badge on the flags list.
The stale evidence is real: flags imported with the dates they were created and last changed months
ago, a flag marked stale by a person, and a code scan uploaded as `vexil refs --upload` sends it.
Screenshots, light and dark, in test-artifacts/ui/."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import DESKTOP, PHONE, Ui, _tab
from tests.web.test_ui_usage import ofrep_status

pytestmark = pytest.mark.slow

COMMIT = "4c1d2e3f4a5b69788796a5b4c3d2e1f0a9b8c7d6"


def months_ago(name: str, days: int, **fields: Any) -> dict[str, Any]:
    """A flag as an export holds it, created and last changed `days` ago."""
    stamp = (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    return {"name": name, "created_at": stamp, "updated_at": stamp, "enabled": True, **fields}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two old release flags serving `on` to everyone (one still named in code), a permission flag
    marked stale by a person, and a fresh flag with no signal."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", "--demo", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    flags = [
        months_ago("summer_sale_banner", 120, owner="web-team", description="The 2026 summer sale banner."),
        months_ago("new_pricing_page", 95, owner="growth"),
    ]
    with admin_client(started) as api:
        api.post("/import", params={"mode": "merge"}, json={"flags": flags}).raise_for_status()
        rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
        legacy = {"name": "legacy_export", "kind": "permission", "owner": "data-team", "rules": rules, "stale": True}
        api.post("/flags", json=legacy).raise_for_status()
        refs = {"new_pricing_page": [{"path": "web/pricing.tsx", "line": 12, "text": 'useFlag("new_pricing_page")'}]}
        upload = {"repository": "acme/shop", "branch": "main", "commit": COMMIT, "refs": refs}
        api.post("/code-refs", json=upload).raise_for_status()
    yield started
    started.stop(signal.SIGKILL)


@pytest.fixture
def dark(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    yield from _tab(browser, ui_server, request, DESKTOP, "dark")


@pytest.fixture
def phone(browser: Browser, ui_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Ui]:
    yield from _tab(browser, ui_server, request, PHONE)


def test_cleanup_page__stale_flags__ready_to_remove_apart_with_signals_and_evidence(ui: Ui) -> None:
    # When an admin opens Cleanup from the navigation
    ui.sign_in()
    ui.page.get_by_role("link", name="Cleanup").click()
    ui.wait_ready("cleanup")
    expect(ui.page.locator("#nav a[data-section='cleanup']")).to_have_attribute("aria-current", "page")
    # Then the stale flags no scan names are ready to remove, each with its signals and evidence
    ready = ui.page.locator("#cleanup-ready tbody tr")
    expect(ready).to_have_count(2)
    banner = ui.page.locator("#cleanup-ready tr[data-flag='summer_sale_banner']")
    expect(banner.locator("[data-signal='past_lifetime']")).to_contain_text(
        "Release flags are expected to live 40 days; this one is 120 days old"
    )
    expect(banner.locator("[data-signal='one_variant']")).to_contain_text('Every context gets "on"')
    expect(banner.locator("[data-signal='not_evaluated']")).to_contain_text("Never evaluated")
    expect(banner).to_contain_text("web-team")
    expect(banner).to_contain_text("never")
    legacy = ui.page.locator("#cleanup-ready tr[data-flag='legacy_export']")
    expect(legacy.locator("[data-signal='marked_stale']")).to_contain_text("A person marked it stale")
    expect(legacy).to_contain_text("Permission")
    # And the one still named in code is only potentially stale
    stale = ui.page.locator("#cleanup-stale tr[data-flag='new_pricing_page']")
    expect(stale).to_contain_text("named in 1 scan")
    expect(ui.page.locator("#stat-ready .stat-n")).to_have_text("2")
    expect(ui.page.locator("#stat-stale .stat-n")).to_have_text("1")
    ui.shot("cleanup")


def test_cleanup_page__archive_then_undo__flag_leaves_evaluation_and_comes_back(ui: Ui) -> None:
    # Given a flag ready to remove, served today
    assert ofrep_status(ui.server, "summer_sale_banner") == 200
    ui.sign_in(hash="#/cleanup", view="cleanup")
    row = ui.page.locator("#cleanup-ready tr[data-flag='summer_sale_banner']")
    # When it is archived in one click
    row.get_by_role("button", name="Archive summer_sale_banner").click()
    # Then it says so, evaluations answer as for a missing flag, and Restore is offered
    expect(row.locator(".badge.archived")).to_have_text("Archived")
    expect(ui.page.locator(".status")).to_contain_text("summer_sale_banner is archived")
    assert ofrep_status(ui.server, "summer_sale_banner") == 404
    ui.shot("cleanup-archived", full_page=False)
    # When the archive is undone, the flag is served again
    row.get_by_role("button", name="Restore summer_sale_banner").click()
    expect(row.get_by_role("button", name="Archive summer_sale_banner")).to_be_visible()
    assert ofrep_status(ui.server, "summer_sale_banner") == 200


def test_flags_list__stale_flags__badged_and_filterable(ui: Ui) -> None:
    # When the flags list is opened
    ui.sign_in()
    # Then stale flags carry a badge saying how stale, and fresh ones none
    expect(ui.row("summer_sale_banner").locator(".badge.ready")).to_have_text("ready to remove")
    expect(ui.row("new_pricing_page").locator(".badge.stale")).to_have_text("stale")
    expect(ui.row("dark_mode").locator(".badge.stale, .badge.ready")).to_have_count(0)
    # And "Stale only" keeps just them
    ui.page.get_by_label("Show").select_option("stale")
    expect(ui.page.locator("#flags-table tbody tr:not([hidden])")).to_have_count(3)
    ui.shot("list-stale", full_page=False)


def test_cleanup_page__server_token__read_only(ui: Ui) -> None:
    # When someone signs in with a server token
    with admin_client(ui.server) as api:
        secret = api.post("/tokens", json={"name": "ui-cleanup-server", "role": "server"}).json()["token"]
    ui.sign_in(token=secret, hash="#/cleanup", view="cleanup")
    # Then the lists show, and nothing can be archived
    expect(ui.page.locator("#cleanup-ready tbody tr")).to_have_count(2)
    expect(ui.page.get_by_role("button", name="Archive legacy_export")).to_be_disabled()


def test_cleanup_page__dark_and_phone__readable(dark: Ui, phone: Ui) -> None:
    # When the page is opened in dark mode, and on a phone
    dark.sign_in(hash="#/cleanup", view="cleanup")
    expect(dark.page.locator("#cleanup-ready tbody tr")).to_have_count(2)
    dark.shot("cleanup-dark")
    phone.sign_in(hash="#/cleanup", view="cleanup")
    # Then the phone shows cards without sideways scrolling
    expect(phone.page.locator("#cleanup-ready tbody tr")).to_have_count(2)
    assert phone.overflow_x() == 0
    phone.shot("cleanup-phone")
