"""The Webhooks page (docs/webhooks.md) in headless Chromium against a real server and a real
receiver: add a webhook, send a test event and see it delivered in the log, delete it. Screenshots
go to test-artifacts/ui/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Ui
from tests.webhooks.receiver import receiver

pytestmark = pytest.mark.slow


def test_webhooks_page__add_test_delete__delivery_log_shows_the_test(ui: Ui, dark: Ui) -> None:
    with receiver() as hook:
        # Given an admin on the Webhooks page
        ui.sign_in(hash="#/webhooks", view="webhooks")
        # When she adds a webhook for production's changes
        ui.page.get_by_label("URL").fill(hook.url)
        ui.page.get_by_label("Secret").fill("ui-secret-123")
        ui.page.get_by_label("Only environments").fill("production")
        ui.page.get_by_role("button", name="Add webhook").click()
        # Then it is listed, without its secret
        row = ui.page.locator("#webhooks-table tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(hook.url)
        expect(row).to_contain_text("environments: production")
        expect(ui.page.locator("#webhooks-table")).not_to_contain_text("ui-secret-123")
        # When she sends a test event
        row.get_by_role("button", name="Send test event").click()
        # Then the receiver gets it, and the delivery log says delivered, HTTP 200
        expect(ui.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("Delivered", timeout=15_000)
        expect(ui.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("HTTP 200")
        assert [item.json["action"] for item in hook.received] == ["test"]
        # And a receiver that fails shows in the log as a retry, with its status and the next try
        with receiver(*[500] * 20) as failing:
            ui.page.get_by_label("URL").fill(failing.url)
            ui.page.get_by_label("Secret").fill("ui-secret-456")
            ui.page.get_by_label("Format").select_option("slack")
            ui.page.get_by_role("button", name="Add webhook").click()
            expect(row).to_have_count(2)
            row.nth(1).get_by_role("button", name="Send test event").click()
            expect(ui.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("Will retry", timeout=15_000)
            expect(ui.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("HTTP 500")
            expect(ui.page.locator("#webhook-deliveries tbody tr td").last).not_to_have_text("—")
            ui.shot("1-webhooks-light")
            row.nth(1).get_by_role("button", name="Delete the webhook to").click()
            ui.page.get_by_role("button", name="Delete webhook").click()
            expect(row).to_have_count(1)
        dark.sign_in(hash="#/webhooks", view="webhooks")
        dark.page.locator("#webhooks-table tbody tr").first.get_by_role("button", name="Delivery log").click()
        expect(dark.page.locator("#webhook-deliveries tbody tr")).to_have_count(1)
        dark.shot("2-webhooks-dark")
        # When she deletes it
        row.get_by_role("button", name="Delete the webhook to").click()
        ui.page.get_by_role("button", name="Delete webhook").click()
        # Then the list is empty
        expect(ui.page.locator("#webhooks-table")).to_have_count(0)
        expect(ui.page.get_by_text("No webhooks yet")).to_be_visible()


def test_webhooks_page__phone__no_sideways_scrolling(phone: Ui) -> None:
    with receiver() as hook:
        # Given a webhook with a filter
        phone.sign_in(hash="#/webhooks", view="webhooks")
        phone.page.get_by_label("URL").fill(hook.url)
        phone.page.get_by_label("Secret").fill("phone-secret-123")
        phone.page.get_by_label("Only flags").fill("checkout, search")
        phone.page.get_by_role("button", name="Add webhook").click()
        # When its delivery log is open on a phone
        row = phone.page.locator("#webhooks-table tbody tr").last
        row.get_by_role("button", name="Send test event").click()
        expect(phone.page.locator("#webhook-deliveries tbody tr").first).to_contain_text("Delivered", timeout=15_000)
        # Then nothing scrolls sideways
        assert phone.overflow_x() == 0
        phone.shot("3-webhooks-phone")
