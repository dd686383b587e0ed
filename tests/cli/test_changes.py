"""`vexil env protect` and `vexil change ...`: protected environments and change requests through the
CLI, against a real server of its own (docs/change-requests.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness import ServerProcess, Vexil


@pytest.fixture(scope="module")
def admins(private_server: ServerProcess) -> tuple[Vexil, Vexil]:
    """The server's admin, and a second admin `reviewer`; production protected; a flag `checkout`."""
    admin = Vexil(private_server.url, private_server.token)
    admin.ok("env", "protect", "production", "--approvals", "1")
    admin.ok("flag", "create", "checkout")
    reviewer = Vexil(private_server.url, admin.json("token", "create", "reviewer", "--role", "admin")["token"])
    return admin, reviewer


def write_request(tmp_path: Path, title: str) -> Path:
    body = {"title": title, "changes": [{"kind": "toggle", "flag": "checkout", "environment": "production"}]}
    file = tmp_path / "request.json"
    file.write_text(json.dumps(body))
    return file


def test_env_list__protected__shown_with_its_approvals(admins: tuple[Vexil, Vexil]) -> None:
    admin, _ = admins
    assert "yes, 1 approval" in admin.ok("env", "list").output
    listed = {env["name"]: env["protected"] for env in admin.json("env", "list")}
    assert listed == {"development": False, "staging": False, "production": True}


def test_change__created_from_file_approved_and_applied__flag_on_in_production(
    admins: tuple[Vexil, Vexil], tmp_path: Path
) -> None:
    admin, reviewer = admins
    # Given a change request created from a JSON file
    made = admin.json("change", "create", "--file", str(write_request(tmp_path, "Checkout on")))
    assert (made["state"], made["changes"][0]["kind"]) == ("open", "enable")
    # When it is listed and shown; Then with its change and the diff against the flag
    assert "Checkout on" in admin.ok("change", "list", "--state", "open").output
    shown = admin.ok("change", "show", str(made["id"])).output
    assert "turn checkout on in production" in shown and "environments.production.enabled" in shown
    # When its requester approves; Then refused, with the reason
    refused = admin.fails("change", "approve", str(made["id"]), exit_code=1)
    assert "someone else" in refused
    # When the reviewer approves with a message, and it is applied
    assert "approved" in reviewer.ok("change", "approve", str(made["id"]), "-m", "ship it").output
    applied = admin.json("change", "apply", str(made["id"]))
    # Then it is applied, and the flag is on in production
    assert applied["state"] == "applied"
    assert admin.json("flag", "get", "checkout")["environments"]["production"]["enabled"] is True


def test_change__rejected_with_a_comment__listed_as_rejected(admins: tuple[Vexil, Vexil], tmp_path: Path) -> None:
    admin, reviewer = admins
    made = admin.json("change", "create", "--file", str(write_request(tmp_path, "Maybe later")), "--draft")
    assert made["state"] == "draft"
    reviewer.ok("change", "comment", str(made["id"]), "not during the freeze")
    rejected = reviewer.json("change", "reject", str(made["id"]), "-m", "freeze")
    assert [r["kind"] for r in rejected["reviews"]] == ["comment", "reject"]
    assert made["id"] in [r["id"] for r in admin.json("change", "list", "--state", "rejected")]
