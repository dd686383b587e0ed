"""`POST /import?dry_run=true`, `?mode=merge` and `POST /import/restore`: an import that says what it
would do, one that deletes nothing, and a way back (docs/spec.md, "Import")."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, ok

BETA = {"name": "beta", "conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}
NONE: dict[str, list[str]] = {"flags": [], "segments": [], "environments": []}


async def state(client: httpx.AsyncClient) -> dict[str, Any]:
    exported: dict[str, Any] = ok(await client.get("/export", headers=ADMIN))
    exported.pop("exported_at")
    return exported


async def audit_ids(client: httpx.AsyncClient) -> list[int]:
    return [event["id"] for event in ok(await client.get("/audit?limit=1000", headers=ADMIN))["events"]]


async def given_three_flags(client: httpx.AsyncClient) -> dict[str, Any]:
    """`keep` (untouched by the file), `edit` and `drop`, a segment; the file: `edit` changed,
    `fresh` new, `drop` and the segment absent, one environment fewer."""
    ok(await client.post("/segments", json=BETA, headers=ADMIN))
    for name in ("keep", "edit", "drop"):
        ok(await client.post("/flags", json={"name": name}, headers=ADMIN))
    exported = await state(client)
    by_name = {doc["name"]: doc for doc in exported["flags"]}
    return {
        "environments": [env for env in exported["environments"] if env["name"] != "staging"],
        "flags": [by_name["keep"], {**by_name["edit"], "enabled": True}, {"name": "fresh"}],
        "segments": [],
    }


async def test_import_dry_run__replace__names_what_would_change_and_writes_nothing(client: httpx.AsyncClient) -> None:
    # Given
    file = await given_three_flags(client)
    before, events = await state(client), await audit_ids(client)

    # When
    answer = ok(await client.post("/import?dry_run=true", json=file, headers=ADMIN))

    # Then it says what a replace would do
    assert (answer["dry_run"], answer["mode"], answer["flags"]) == (True, "replace", 3)
    assert answer["created"] == {**NONE, "flags": ["fresh"]}
    assert answer["changed"] == {**NONE, "flags": ["edit"]}
    assert answer["deleted"] == {"flags": ["drop"], "segments": ["beta"], "environments": ["staging"]}
    # and nothing was written, not even an audit event
    assert await state(client) == before
    assert await audit_ids(client) == events


async def test_import__merge__adds_and_updates_and_deletes_nothing(client: httpx.AsyncClient) -> None:
    # Given
    file = await given_three_flags(client)
    before = {doc["name"]: doc for doc in (await state(client))["flags"]}

    # When
    answer = ok(await client.post("/import?mode=merge", json=file, headers=ADMIN))

    # Then
    assert (answer["dry_run"], answer["mode"]) == (False, "merge")
    assert answer["deleted"] == NONE
    assert (answer["created"]["flags"], answer["changed"]["flags"]) == (["fresh"], ["edit"])
    after = await state(client)
    assert [doc["name"] for doc in after["flags"]] == ["drop", "edit", "fresh", "keep"]
    assert [doc["name"] for doc in after["segments"]] == ["beta"]
    assert "staging" in [env["name"] for env in after["environments"]]
    flags = {doc["name"]: doc for doc in after["flags"]}
    # A changed flag is a new version of the same flag; an unchanged one is left exactly as it was
    assert flags["edit"]["enabled"] is True
    assert flags["edit"]["version"] == before["edit"]["version"] + 1
    assert flags["edit"]["created_at"] == before["edit"]["created_at"]
    assert flags["keep"] == before["keep"]
    assert ok(await client.get("/flags/edit/evaluate?user_id=u1"))["active"] is True


async def test_import__merge_using_a_segment_only_the_server_has__accepted(client: httpx.AsyncClient) -> None:
    # Given a file whose flag uses segment `beta`, which only the server holds
    ok(await client.post("/segments", json=BETA, headers=ADMIN))
    rule = {"conditions": [{"operator": "in_segment", "value": "beta"}], "rollout_percentage": 100}
    file = {"flags": [{"name": "pro-only", "enabled": True, "rules": [rule]}]}

    # When / Then: a replace would delete the segment, so it is refused; a merge keeps it
    refused = await client.post("/import", json=file, headers=ADMIN)
    assert refused.status_code == 400 and "beta" in refused.json()["error"]
    ok(await client.post("/import?mode=merge", json=file, headers=ADMIN))
    assert ok(await client.get("/flags/pro-only/evaluate?user_id=u1&plan=pro"))["active"] is True


async def test_import_restore__after_a_replace__the_previous_state_back_and_audited(client: httpx.AsyncClient) -> None:
    # Given a replace that deleted a flag, a segment and an environment
    file = await given_three_flags(client)
    before = await state(client)
    ok(await client.post("/import", json=file, headers=ADMIN))
    imported = ok(await client.get("/audit?limit=1", headers=ADMIN))["events"][0]
    assert (imported["entity"], imported["action"], imported["after"]["mode"]) == ("import", "import", "replace")
    assert imported["after"]["deleted"] == {"flags": 1, "segments": 1, "environments": 1}

    # When the import is undone (a dry run first)
    planned = ok(await client.post("/import/restore?dry_run=true", headers=ADMIN))
    restored = ok(await client.post(f"/import/restore?event={imported['id']}", headers=ADMIN))

    # Then the dry run said it and the restore did it: the state is the one before the import
    assert planned["restored_from"] == restored["restored_from"] == imported["id"]
    assert planned["created"] == {"flags": ["drop"], "segments": ["beta"], "environments": ["staging"]}
    assert planned["deleted"]["flags"] == ["fresh"]
    assert await state(client) == before
    # and the restore is audited as such, keeping in turn the state it replaced
    event = ok(await client.get("/audit?limit=1", headers=ADMIN))["events"][0]
    assert (event["entity"], event["action"], event["actor"]) == ("import", "restore", "admin")
    undone_again = ok(await client.post(f"/import/restore?event={event['id']}&dry_run=true", headers=ADMIN))
    assert undone_again["created"]["flags"] == ["fresh"]


async def test_import_restore__no_import_or_not_an_import__404_in_words(client: httpx.AsyncClient) -> None:
    # Given no import yet, and a flag's creation event
    ok(await client.post("/flags", json={"name": "plain"}, headers=ADMIN))
    created = (await audit_ids(client))[0]

    # When
    nothing = await client.post("/import/restore", headers=ADMIN)
    wrong = await client.post(f"/import/restore?event={created}", headers=ADMIN)
    bad = await client.post("/import/restore?event=zero", headers=ADMIN)

    # Then
    assert (nothing.status_code, nothing.json()) == (404, {"error": "no import to undo"})
    assert (wrong.status_code, wrong.json()) == (404, {"error": f"audit event {created} is not an import"})
    assert bad.status_code == 400 and "event" in bad.json()["error"]


async def test_import_restore__server_token__403_and_nothing_restored(client: httpx.AsyncClient) -> None:
    # Given an import, and a server token
    file = await given_three_flags(client)
    ok(await client.post("/import", json=file, headers=ADMIN))
    after = await state(client)
    secret = ok(await client.post("/tokens", json={"name": "ci", "role": "server"}, headers=ADMIN))["token"]

    # When
    response = await client.post("/import/restore", headers={"authorization": f"Bearer {secret}"})
    dry = await client.post("/import?dry_run=true", json=file, headers={"authorization": f"Bearer {secret}"})

    # Then
    assert response.status_code == 403 and dry.status_code == 403
    assert await state(client) == after


async def test_import__merge_with_an_invalid_flag__nothing_written(client: httpx.AsyncClient) -> None:
    # Given
    file = await given_three_flags(client)
    before, events = await state(client), await audit_ids(client)
    file["flags"].append({"name": "broken", "default_variant": "purple"})

    # When
    response = await client.post("/import?mode=merge", json=file, headers=ADMIN)

    # Then
    assert response.status_code == 400 and "purple" in response.json()["error"]
    assert await state(client) == before
    assert await audit_ids(client) == events


async def test_import__unknown_mode__400_naming_the_choices(client: httpx.AsyncClient) -> None:
    # Given / When
    response = await client.post("/import?mode=append", json={"flags": []}, headers=ADMIN)

    # Then
    assert response.status_code == 400
    assert "mode" in response.json()["error"] and "merge" in response.json()["error"]


async def test_import__if_state_of_a_plan_since_outdated__409_and_nothing_written(client: httpx.AsyncClient) -> None:
    # Given a plan, then a change by someone else
    file = await given_three_flags(client)
    planned = ok(await client.post("/import?dry_run=true", json=file, headers=ADMIN))
    ok(await client.post("/flags", json={"name": "late"}, headers=ADMIN))
    before = await state(client)

    # When the import is sent for the plan that was seen
    response = await client.post(f"/import?if_state={planned['state']}", json=file, headers=ADMIN)

    # Then it is refused, and a new plan (made on the state as it is) is applied
    assert response.status_code == 409
    assert response.json() == {"error": "the state changed since the plan you saw: look at the plan again"}
    assert await state(client) == before
    again = ok(await client.post("/import?dry_run=true", json=file, headers=ADMIN))
    assert again["state"] != planned["state"] and "late" in again["deleted"]["flags"]
    ok(await client.post(f"/import?if_state={again['state']}", json=file, headers=ADMIN))
    assert [doc["name"] for doc in (await state(client))["flags"]] == ["edit", "fresh", "keep"]
