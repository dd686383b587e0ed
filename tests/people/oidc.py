"""A real OpenID Connect provider for the single sign-on tests: the npm package `oidc-provider`
(tests/node/oidc_provider.mjs) in its own Node process on a free port, with one client registered
for Vexil's callback and test accounts whose `groups` a test may change; and a person at its login
and consent pages, driven over HTTP by following the pages' own forms."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.conftest import free_port

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
CLIENT_ID = "vexil-tests"
CLIENT_SECRET = "tests-only-client-secret-0123456789"
ROLES = "vexil-admins=admin,vexil-editors=editor,vexil-viewers=viewer"
ACCOUNTS = {
    "alice": {"email": "alice@example.com", "name": "Alice Martin", "groups": ["staff", "vexil-editors"]},
    "vera": {"email": "vera@example.com", "name": "Vera Lind", "groups": ["vexil-viewers"]},
    "olga": {"email": "olga@example.com", "name": "Olga Admin", "groups": ["vexil-admins"]},
    "sam": {"email": "sam@example.com", "name": "Sam Outsider", "groups": ["staff"]},
    "nomail": {"name": "No Mail", "groups": ["vexil-editors"]},
}


@dataclass
class Provider:
    """A running provider: its issuer URL, and the accounts file it reads at every sign-in."""

    process: subprocess.Popen[bytes]
    issuer: str
    accounts_file: Path
    log: Path
    accounts: dict[str, dict[str, Any]] = field(default_factory=lambda: json.loads(json.dumps(ACCOUNTS)))

    def set_groups(self, login: str, groups: list[str]) -> None:
        self.accounts[login]["groups"] = groups
        self.accounts_file.write_text(json.dumps(self.accounts))

    def reset(self) -> None:
        """Every account as at the start."""
        self.accounts = json.loads(json.dumps(ACCOUNTS))
        self.accounts_file.write_text(json.dumps(self.accounts))

    def env(self) -> dict[str, str]:
        """The `VEXIL_OIDC_*` settings of a Vexil server signing in through this provider."""
        return {
            "VEXIL_OIDC_ISSUER": self.issuer,
            "VEXIL_OIDC_CLIENT_ID": CLIENT_ID,
            "VEXIL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "VEXIL_OIDC_SCOPES": "openid email profile groups",
            "VEXIL_OIDC_ROLES": ROLES,
        }


def start_provider(directory: Path, redirect_uris: list[str]) -> Iterator[Provider]:
    """Start a provider accepting `redirect_uris`; yields it, then stops it."""
    directory.mkdir(parents=True, exist_ok=True)
    accounts_file = directory / "accounts.json"
    accounts_file.write_text(json.dumps(ACCOUNTS))
    config = directory / "provider.json"
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}
    config.write_text(json.dumps({"client": client, "accounts": str(accounts_file)}))
    port = free_port()
    log = directory / "provider.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["node", "oidc_provider.mjs", str(port), str(config)], cwd=NODE_DIR, stdout=sink, stderr=subprocess.STDOUT
        )
    issuer = f"http://127.0.0.1:{port}"
    provider = Provider(process, issuer, accounts_file, log)
    try:
        _wait_ready(provider)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_ready(provider: Provider, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise RuntimeError(f"oidc-provider exited:\n{provider.log.read_text()}")
        if b"ready " in provider.log.read_bytes():
            return
        time.sleep(0.05)
    raise RuntimeError(f"oidc-provider not ready within {timeout}s:\n{provider.log.read_text()}")


class _Forms(HTMLParser):
    """The forms of a page: action, method and the named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    forms: list[dict[str, Any]]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""), "method": values.get("method", "get"), "fields": {}})
        elif tag in {"input", "button"} and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value", "")


def sign_in_at_provider(authorization_url: str, login: str, callback_prefix: str) -> str:
    """Follow the provider's pages from `authorization_url` as the person `login` would (login
    form, then consent form) until it sends the browser to the callback; returns that URL."""
    with httpx.Client(timeout=10) as browser:
        response = browser.get(authorization_url)
        for _ in range(20):
            location: str | None = response.headers.get("location")
            if location is not None:
                target = urljoin(str(response.url), location)
                if target.startswith(callback_prefix):
                    return target
                response = browser.get(target)
                continue
            assert response.status_code == 200, response.text
            parser = _Forms()
            parser.feed(response.text)
            form: dict[str, Any] = parser.forms[0]
            fields = {**form["fields"], "login": login, "password": "any password"}
            if "login" not in form["fields"]:  # the consent page
                fields = form["fields"]
            response = browser.post(urljoin(str(response.url), form["action"]), data=fields)
    raise AssertionError("the provider never sent the browser back to Vexil")
