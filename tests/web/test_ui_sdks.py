"""The admin UI's SDKs page in headless Chromium against a real server, with SDKs connected by their
register and metrics posts: at 1280x800 and at a phone's 390x844 (screenshots in test-artifacts/ui/)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow

STARTED = {"started": "2026-12-04T20:10:00Z", "interval": 60000}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Two server SDKs and a browser SDK connected, one with metrics."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", "--demo", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    with admin_client(started) as api:
        for app, instance, sdk, environment in (
            ("checkout-service", "checkout-7f9c", "unleash-node-sdk:6.12.2", "production"),
            ("search-api", "search-1", "unleash-python-sdk:6.9.1", "staging"),
        ):
            body = {"appName": app, "instanceId": instance, "sdkVersion": sdk, "environment": environment, **STARTED}
            api.post("/api/client/register", json=body).raise_for_status()
        toggles = {"dark_mode": {"yes": 12, "no": 3, "variants": {"dark": 12}}, "new_dashboard": {"yes": 4, "no": 0}}
        metrics = {
            "appName": "web-shop",
            "instanceId": "browser",
            "bucket": {"start": "2026-12-04T20:10:00Z", "stop": "2026-12-04T20:11:00Z", "toggles": toggles},
        }
        api.post(
            "/api/frontend/client/metrics", json=metrics, headers={"unleash-sdk": "unleash-js-sdk:3.8.2"}
        ).raise_for_status()
    yield started
    started.stop(signal.SIGKILL)


def test_sdks_page__connected_sdks__one_row_each(ui: Ui) -> None:
    # When an admin opens the SDKs page from the navigation
    ui.sign_in()
    ui.page.get_by_role("link", name="SDKs").click()
    ui.wait_ready("sdks")
    # Then each connected instance has its row, with its SDK, environment and what it counted
    rows = ui.page.locator("#sdks-table tbody tr")
    expect(rows).to_have_count(3)
    expect(ui.page.locator("tr[data-app='checkout-service']")).to_contain_text("unleash-node-sdk 6.12.2")
    expect(ui.page.locator("tr[data-app='checkout-service']")).to_contain_text("production")
    browser_row = ui.page.locator("tr[data-app='web-shop']")
    expect(browser_row).to_contain_text("unleash-js-sdk 3.8.2")
    expect(browser_row).to_contain_text("frontend")
    expect(browser_row.locator("td[data-label='Flags counted']")).to_have_text("2")
    expect(ui.page.locator("#nav a[data-section='sdks']")).to_have_attribute("aria-current", "page")
    ui.shot("sdks")


def test_sdks_page__phone__cards_without_sideways_scrolling(phone: Ui) -> None:
    # When the page is opened on a phone
    phone.sign_in(hash="#/sdks", view="sdks")
    # Then the rows fit the screen
    expect(phone.page.locator("#sdks-table tbody tr")).to_have_count(3)
    assert phone.overflow_x() == 0
    phone.shot("sdks-phone")
