"""Revert from the audit log (`POST /audit/{id}/revert`, docs/audit.md), over real HTTP against a real
server on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_ENV, BACKENDS, LiveServer, admin_client, ok
from tests.postgres import empty_database


@pytest.fixture(params=BACKENDS)
def admin(request: pytest.FixtureRequest, live_server: Callable[..., LiveServer]) -> Iterator[httpx.Client]:
    """An admin client of a real server on SQLite, or on an emptied PostgreSQL database of this module's own."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
        asyncio.run(empty_database(url))
        server = live_server("--database-url", url, env=ADMIN_ENV)
    else:
        server = live_server(env=ADMIN_ENV)
    with admin_client(server) as http:
        yield http


def newest(http: httpx.Client, **query: Any) -> dict[str, Any]:
    events: list[dict[str, Any]] = ok(http.get("/audit", params={"limit": 1, **query}))["events"]
    return events[0]


def test_revert__update__flag_back_as_before_and_audited_as_revert(admin: httpx.Client) -> None:
    # Given a flag whose rollout and description were changed by one event
    ok(admin.post("/flags", json={"name": "beta", "enabled": True, "description": "first"}))
    ok(admin.patch("/flags/beta", json={"rollout_percentage": 30, "description": "second"}))
    changed = newest(admin)
    # When that event is reverted
    answer = ok(admin.post(f"/audit/{changed['id']}/revert"))
    # Then the flag is as before the event, at a new version, and evaluation follows at once
    flag = ok(admin.get("/flags/beta"))
    assert (flag["rollout_percentage"], flag["description"], flag["version"]) == (100, "first", 3)
    assert ok(admin.get("/flags/beta/evaluate", params={"identifier": "u1"}))["variant"] == "on"
    # And the revert is audited as such, naming the event, with what it replaced and what it put back
    event = newest(admin)
    assert (event["action"], event["reverts"], event["entity_id"]) == ("revert", changed["id"], "beta")
    assert event["before"]["version"] == 2 and event["after"] == flag
    assert answer["reverts"] == changed["id"] and answer["after"] == flag
    assert changed["reverts"] is None


def test_revert__creation__flag_deleted(admin: httpx.Client) -> None:
    # Given a flag just created
    ok(admin.post("/flags", json={"name": "beta"}))
    created = newest(admin)
    # When its creation is reverted
    answer = ok(admin.post(f"/audit/{created['id']}/revert"))
    # Then it is gone, and the revert's event has no `after`
    assert admin.get("/flags/beta").status_code == 404
    assert answer["after"] is None
    event = newest(admin)
    assert (event["action"], event["after"], event["before"]["name"]) == ("revert", None, "beta")


def test_revert__deletion__flag_created_again_with_its_configuration(admin: httpx.Client) -> None:
    # Given a flag with variants and an override, then deleted
    variants = [{"name": "blue", "payload": {"c": 1}, "weight": 1}, {"name": "green", "payload": None, "weight": 3}]
    ok(admin.post("/flags", json={"name": "theme", "variants": variants, "tags": ["ui"]}))
    ok(admin.post("/flags/theme/environments", json={"environment": "production", "enabled": True}))
    kept = ok(admin.get("/flags/theme"))
    ok(admin.delete("/flags/theme"))
    deleted = newest(admin)
    # When the deletion is reverted
    ok(admin.post(f"/audit/{deleted['id']}/revert"))
    # Then the flag is back with everything it had (a new creation: version 1)
    back = ok(admin.get("/flags/theme"))
    stamps = ("created_at", "updated_at", "version")
    assert {k: v for k, v in back.items() if k not in stamps} == {k: v for k, v in kept.items() if k not in stamps}
    assert back["version"] == 1


def test_revert__segment_update__conditions_back(admin: httpx.Client) -> None:
    # Given a segment whose conditions were changed
    before = [{"field": "plan", "operator": "eq", "value": "pro"}]
    ok(admin.post("/segments", json={"name": "pros", "conditions": before}))
    ok(admin.patch("/segments/pros", json={"conditions": []}))
    changed = newest(admin)
    # When the change is reverted
    ok(admin.post(f"/audit/{changed['id']}/revert"))
    # Then the conditions are back
    segment = ok(admin.get("/segments/pros"))
    assert segment["conditions"][0]["value"] == "pro" and segment["version"] == 3


def test_revert__changed_since__409_in_plain_words_and_force_puts_it_back_anyway(admin: httpx.Client) -> None:
    # Given two changes of one flag
    ok(admin.post("/flags", json={"name": "beta"}))
    ok(admin.patch("/flags/beta", json={"description": "one"}))
    first = newest(admin)
    ok(admin.patch("/flags/beta", json={"description": "two"}))
    # When the first change is reverted
    refused = admin.post(f"/audit/{first['id']}/revert")
    # Then it is refused, saying why, and nothing changed
    assert refused.status_code == 409
    assert "changed after audit event" in refused.json()["error"]
    assert "version 3" in refused.json()["error"]
    assert ok(admin.get("/flags/beta"))["description"] == "two"
    # And with force, the state before the first change is put back
    ok(admin.post(f"/audit/{first['id']}/revert", params={"force": "true"}))
    assert ok(admin.get("/flags/beta"))["description"] == ""


def test_revert__unknown_event__404(admin: httpx.Client) -> None:
    response = admin.post("/audit/999999/revert")
    assert response.status_code == 404
    assert response.json() == {"error": "audit event 999999 not found"}


def test_revert__token_event__409_nothing_to_put_back(admin: httpx.Client) -> None:
    # Given a token created
    ok(admin.post("/tokens", json={"name": "reader", "role": "server"}))
    created = newest(admin)
    # When its event is reverted
    response = admin.post(f"/audit/{created['id']}/revert")
    # Then it is refused in plain words
    assert response.status_code == 409
    assert "only changes of flags and segments can be reverted" in response.json()["error"]


def test_revert__prerequisite_gone__400_naming_it(admin: httpx.Client) -> None:
    # Given a flag that required another, deleted, and the other deleted too
    ok(admin.post("/flags", json={"name": "base"}))
    ok(admin.post("/flags", json={"name": "top", "prerequisites": [{"flag": "base"}]}))
    ok(admin.delete("/flags/top"))
    deleted = newest(admin)
    ok(admin.delete("/flags/base"))
    # When the deletion of "top" is reverted
    response = admin.post(f"/audit/{deleted['id']}/revert")
    # Then it is refused, naming the missing prerequisite
    assert response.status_code == 400
    assert "there is no flag named" in response.json()["error"]


def test_revert__server_token_403_and_no_token_401(admin: httpx.Client) -> None:
    # Given an event, and a server token
    ok(admin.post("/flags", json={"name": "beta"}))
    created = newest(admin)
    secret = ok(admin.post("/tokens", json={"name": "reader", "role": "server"}))["token"]
    # When each tries to revert it
    as_server = admin.post(f"/audit/{created['id']}/revert", headers={"Authorization": f"Bearer {secret}"})
    with httpx.Client(base_url=admin.base_url) as nobody:
        anonymous = nobody.post(f"/audit/{created['id']}/revert")
    # Then neither may, and the flag is still there
    assert (as_server.status_code, anonymous.status_code) == (403, 401)
    ok(admin.get("/flags/beta"))


def test_revert__restore_of_a_flag_others_now_require__409(admin: httpx.Client) -> None:
    # Given an archived flag restored, and then made a prerequisite of another
    ok(admin.post("/flags", json={"name": "base"}))
    ok(admin.post("/flags/base/archive"))
    ok(admin.post("/flags/base/restore"))
    restored = newest(admin)
    ok(admin.post("/flags", json={"name": "top", "prerequisites": [{"flag": "base"}]}))
    # When the restore is reverted (which would archive it again)
    response = admin.post(f"/audit/{restored['id']}/revert")
    # Then it is refused as archiving it would be, and it stays served
    assert response.status_code == 409
    assert "is a prerequisite of top" in response.json()["error"]
    assert ok(admin.get("/flags/base"))["archived"] is False
