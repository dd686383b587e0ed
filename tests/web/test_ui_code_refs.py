"""The flag page's code references in headless Chromium against a real server, after an upload like
`vexil refs --upload` sends: at 1280x800 and on a phone (screenshots in test-artifacts/ui/)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import ADMIN_TOKEN, LiveServer, admin_client, start_server
from tests.web.conftest import Ui

pytestmark = pytest.mark.slow

COMMIT = "9f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo flags, with `dark_mode` referenced in two files of one repository's main branch."""
    started = start_server(tmp_path_factory.mktemp("ui") / "data", "--demo", env={"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN})
    refs = {
        "dark_mode": [
            {
                "path": "web/src/theme.ts",
                "line": 14,
                "text": 'const dark = client.getBooleanValue("dark_mode", false);',
            },
            {"path": "api/settings.py", "line": 88, "text": 'if flags.enabled("dark_mode", user):'},
        ]
    }
    with admin_client(started) as api:
        body = {"repository": "acme/shop", "branch": "main", "commit": COMMIT, "refs": refs}
        api.post("/code-refs", json=body).raise_for_status()
    yield started
    started.stop(signal.SIGKILL)


def test_flag_page__uploaded_scan__lists_files_and_lines(ui: Ui) -> None:
    # When an admin opens a flag an uploaded scan found
    ui.sign_in(hash="#/flags/dark_mode", view="flag")
    section = ui.page.locator("#code-refs")
    # Then its page names the repository, branch and commit, and each file and line with its text
    expect(section.locator("h3")).to_contain_text("acme/shop · main")
    expect(section.locator("h3")).to_contain_text(COMMIT[:12])
    expect(section.locator("li")).to_have_text(
        [
            'web/src/theme.ts:14 const dark = client.getBooleanValue("dark_mode", false);',
            'api/settings.py:88 if flags.enabled("dark_mode", user):',
        ]
    )
    section.scroll_into_view_if_needed()
    ui.shot("code-refs")


def test_flag_page__no_scan_names_it__says_how_to_get_one(ui: Ui) -> None:
    # When an admin opens a flag no scan found
    ui.sign_in(hash="#/flags/new_dashboard", view="flag")
    # Then the section says so, and how to scan
    expect(ui.page.locator("#code-refs")).to_contain_text("vexil refs --upload")
    expect(ui.page.locator("#code-refs li")).to_have_count(0)


def test_flag_page__code_refs_on_a_phone__no_sideways_scrolling(phone: Ui) -> None:
    # When the flag is opened on a phone
    phone.sign_in(hash="#/flags/dark_mode", view="flag")
    expect(phone.page.locator("#code-refs li")).to_have_count(2)
    # Then long lines wrap inside the card
    assert phone.overflow_x() == 0
    phone.shot("code-refs-phone")
