"""Protected environments and change requests over real HTTP, against a real `vexil serve`
(docs/change-requests.md): protect an environment, request changes, review, apply atomically and
version-checked, rebase."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, ok

TURN_ON = {"kind": "toggle", "flag": "checkout", "environment": "production"}


@pytest.fixture
def reviewer(server: LiveServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    """A second admin, `reviewer`: someone other than the requester."""
    secret = ok(admin.post("/tokens", json={"name": "reviewer", "role": "admin"}))["token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as http:
        yield http


@pytest.fixture
def production(admin: httpx.Client) -> None:
    """Production protected (one approval), and a flag `checkout`, off."""
    ok(admin.patch("/environments/production", json={"protected": True, "required_approvals": 1}))
    ok(admin.post("/flags", json={"name": "checkout"}))


def request(admin: httpx.Client, *changes: dict[str, Any], title: str = "Launch checkout") -> dict[str, Any]:
    made = admin.post("/change-requests", json={"title": title, "changes": list(changes)})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_patch_environment__protected__listed_and_admin_writes_still_apply(
    admin: httpx.Client, production: None
) -> None:
    # Given production protected; Then the listing says so, with its approvals
    listed = {env["name"]: env for env in ok(admin.get("/environments"))["environments"]}
    assert (listed["production"]["protected"], listed["production"]["required_approvals"]) == (True, 1)
    assert listed["staging"]["protected"] is False
    # When an admin toggles the flag in production; Then it applies directly (admins bypass)
    toggled = admin.post("/flags/checkout/toggle", params={"environment": "production"})
    assert toggled.status_code == 200 and toggled.json()["environments"] == {"production": {"enabled": True}}
    # And an empty patch, or a bad number of approvals, is refused in plain words
    empty = admin.patch("/environments/production", json={})
    assert empty.status_code == 400 and "protected" in empty.json()["error"]
    assert admin.patch("/environments/production", json={"required_approvals": 0}).status_code == 400
    assert admin.patch("/environments/nowhere", json={"protected": True}).status_code == 404


def test_change_request__approved_by_another_and_applied__flag_changed_and_audit_names_both(
    admin: httpx.Client, reviewer: httpx.Client, production: None
) -> None:
    # Given a change request made by the admin: checkout on in production, at 25 % there
    override = {
        "kind": "override",
        "flag": "checkout",
        "fields": {"environment": "production", "rollout_percentage": 25},
    }
    made = request(admin, TURN_ON, override)
    assert (made["state"], made["environments"], made["required_approvals"]) == ("open", ["production"], 1)
    # When it is read; Then the diff shows the change against the flag as it is, with its impact
    # preview (nothing evaluated yet: nobody sampled, nobody flipped)
    read = ok(admin.get(f"/change-requests/{made['id']}"))
    assert (read["impact"]["sampled"], read["impact"]["flipped"], read["impact"]["flags"]) == (0, 0, ["checkout"])
    assert read["diff"] == [
        {
            "flag": "checkout",
            "made_against": 1,
            "current_version": 1,
            "applicable": True,
            "changes": [
                {"path": "environments.production.enabled", "before": None, "after": True},
                {"path": "environments.production.rollout_percentage", "before": None, "after": 25},
            ],
        }
    ]
    # When its requester approves it; Then refused
    own = admin.post(f"/change-requests/{made['id']}/approve", json={"text": "mine"})
    assert own.status_code == 403 and "someone else" in own.json()["error"]
    # When applied before any approval; Then refused
    assert admin.post(f"/change-requests/{made['id']}/apply").status_code == 409
    # When the reviewer comments, approves, and the requester applies
    ok(reviewer.post(f"/change-requests/{made['id']}/comments", json={"text": "25 % first, good"}))
    assert ok(reviewer.post(f"/change-requests/{made['id']}/approve"))["state"] == "approved"
    applied = ok(admin.post(f"/change-requests/{made['id']}/apply"))
    # Then the flag is on at 25 % in production, in one write
    flag = ok(admin.get("/flags/checkout"))
    assert (flag["version"], flag["environments"]) == (2, {"production": {"enabled": True, "rollout_percentage": 25}})
    assert (applied["state"], applied["applied_by"]) == ("applied", "admin")
    assert [(r["kind"], r["actor"]) for r in applied["reviews"]] == [
        ("comment", "reviewer"),
        ("approve", "reviewer"),
        ("apply", "admin"),
    ]
    # And the flag's audit event names the requester and the approver
    event = ok(admin.get("/audit", params={"flag": "checkout", "limit": 1}))["events"][0]
    assert event["actor"] == "admin"
    assert event["via"] == {
        "change_request": made["id"],
        "requester": "admin",
        "approvers": ["reviewer"],
        "applied_by": "admin",
    }
    # And applying it again is refused
    assert admin.post(f"/change-requests/{made['id']}/apply").status_code == 409


def test_change_request__flag_changed_since__apply_409_until_rebased_and_approved_again(
    admin: httpx.Client, reviewer: httpx.Client, production: None
) -> None:
    # Given an approved change request, and the flag changed since (version 2)
    made = request(admin, TURN_ON)
    ok(reviewer.post(f"/change-requests/{made['id']}/approve"))
    ok(admin.patch("/flags/checkout", json={"description": "moved"}))
    # When it is applied; Then 409, saying it must be rebased; the diff shows the versions
    refused = admin.post(f"/change-requests/{made['id']}/apply")
    assert refused.status_code == 409 and "rebase" in refused.json()["error"]
    diff = ok(admin.get(f"/change-requests/{made['id']}"))["diff"][0]
    assert (diff["made_against"], diff["current_version"]) == (1, 2)
    # When rebased; Then made against version 2, approvals cleared, open again
    rebased = ok(admin.post(f"/change-requests/{made['id']}/rebase"))
    assert (rebased["state"], rebased["approvals"], rebased["changes"][0]["version"]) == ("open", [], 2)
    # When approved again and applied; Then applied on top of the later change
    ok(reviewer.post(f"/change-requests/{made['id']}/approve"))
    ok(admin.post(f"/change-requests/{made['id']}/apply"))
    flag = ok(admin.get("/flags/checkout"))
    assert (flag["description"], flag["environments"]) == ("moved", {"production": {"enabled": True}})


def test_change_request__one_change_fails_at_apply__nothing_applied(
    admin: httpx.Client, reviewer: httpx.Client, production: None
) -> None:
    # Given a change request of two flags: checkout on, and search requiring `gate`
    for name in ("search", "gate"):
        ok(admin.post("/flags", json={"name": name}))
    made = request(admin, TURN_ON, {"kind": "patch", "flag": "search", "fields": {"prerequisites": [{"flag": "gate"}]}})
    ok(reviewer.post(f"/change-requests/{made['id']}/approve"))
    # And `gate` deleted since
    assert admin.delete("/flags/gate").status_code == 204
    # When applied; Then refused naming the problem, and neither flag changed
    refused = admin.post(f"/change-requests/{made['id']}/apply")
    assert refused.status_code == 400 and "gate" in refused.json()["error"]
    assert ok(admin.get("/flags/checkout"))["version"] == 1
    assert ok(admin.get("/flags/search"))["version"] == 1
    assert ok(admin.get(f"/change-requests/{made['id']}"))["state"] == "approved"


def test_change_requests__listed_by_state_drafts_opened_and_rejected(
    admin: httpx.Client, reviewer: httpx.Client, production: None
) -> None:
    # Given a draft and an open request
    draft = ok(admin.post("/change-requests", json={"title": "Later", "changes": [TURN_ON], "draft": True}))
    made = request(admin, TURN_ON)
    # Then a draft cannot be approved until opened
    assert reviewer.post(f"/change-requests/{draft['id']}/approve").status_code == 409
    assert [r["id"] for r in ok(admin.get("/change-requests", params={"state": "draft"}))["change_requests"]] == [
        draft["id"]
    ]
    assert ok(admin.post(f"/change-requests/{draft['id']}/open"))["state"] == "open"
    # When one is rejected; Then listed as rejected, and it can no longer be approved or applied
    rejected = ok(reviewer.post(f"/change-requests/{made['id']}/reject", json={"text": "not this week"}))
    assert (rejected["state"], rejected["reviews"][-1]["text"]) == ("rejected", "not this week")
    assert reviewer.post(f"/change-requests/{made['id']}/approve").status_code == 409
    listed = ok(admin.get("/change-requests", params={"state": "rejected"}))["change_requests"]
    assert [r["id"] for r in listed] == [made["id"]]
    assert len(ok(admin.get("/change-requests"))["change_requests"]) == 2


def test_change_requests__bad_input__plain_4xx(admin: httpx.Client, production: None) -> None:
    cases = [
        ({"title": "x", "changes": [{"kind": "explode", "flag": "checkout"}]}, 400),
        ({"title": "x", "changes": []}, 400),
        ({"title": "", "changes": [TURN_ON]}, 400),
        ({"title": "x", "changes": [{**TURN_ON, "flag": "missing"}]}, 404),
        ({"title": "x", "changes": [{"kind": "remove_override", "flag": "checkout", "environment": "qa"}]}, 404),
        (
            {"title": "x", "changes": [{"kind": "patch", "flag": "checkout", "fields": {"rollout_percentage": 101}}]},
            400,
        ),
        # a change made against a version the flag is no longer at
        ({"title": "x", "changes": [{**TURN_ON, "version": 7}]}, 409),
    ]
    for body, status in cases:
        answer = admin.post("/change-requests", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]
    assert admin.get("/change-requests/99").status_code == 404
    assert admin.get("/change-requests", params={"state": "lost"}).status_code == 400
    assert admin.post("/change-requests/99/approve").status_code == 404
    assert (
        admin.post(
            "/change-requests", json={"title": "x", "changes": [TURN_ON]}, headers={"Authorization": ""}
        ).status_code
        == 401
    )
