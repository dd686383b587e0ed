"""Safe changes end to end over the API, with people (docs/change-requests.md, docs/people.md,
docs/impact.md, docs/audit.md): an editor's write to a protected environment becomes a change
request with its impact preview; someone else approves and applies it; the audit log names both;
the editor's revert of it is a change request too, while an admin's applies directly."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN, ok
from tests.people.helpers import Session, person_session

USERS = 200


async def evaluate_everyone(client: httpx.AsyncClient) -> None:
    """The server's recent sample: USERS users evaluated in production."""
    for n in range(USERS):
        body = {"identifier": f"user-{n}", "environment": "production"}
        ok(await client.post("/flags/checkout/evaluate", json=body))


async def as_person(
    client: httpx.AsyncClient, who: Session, method: str, url: str, body: object = None
) -> httpx.Response:
    return await client.request(method, url, json=body, headers=who.headers)


async def test_editor_write__protected_environment__change_request_approved_by_another_applied_and_reverted(
    client: httpx.AsyncClient,
) -> None:
    # Given production protected (one approval), a flag off there, and users evaluated in production
    ok(await client.patch("/environments/production", json={"protected": True, "required_approvals": 1}, headers=ADMIN))
    ok(await client.post("/flags", json={"name": "checkout"}, headers=ADMIN))
    await evaluate_everyone(client)
    # And two editors and a viewer, signed in
    alice = await person_session(client, "alice@example.com", "editor")
    bob = await person_session(client, "bob@example.com", "editor")
    carol = await person_session(client, "carol@example.com", "viewer")

    # When alice turns the flag on for everyone in production
    override = {"environment": "production", "enabled": True}
    written = await as_person(client, alice, "POST", "/flags/checkout/environments", override)

    # Then nothing changed yet: a change request holds it (202)
    assert written.status_code == 202, written.text
    request = written.json()
    assert request["requester"] == "alice@example.com" and request["state"] == "open"
    flag = ok(await client.get("/flags/checkout", headers=ADMIN))
    assert flag["environments"] == {} and flag["version"] == 1
    # And its impact preview flips every sampled user from off to on, in production
    shown = ok(await as_person(client, alice, "GET", f"/change-requests/{request['id']}"))
    assert shown["impact"]["sampled"] == USERS and shown["impact"]["flipped"] == USERS
    assert shown["impact"]["by_environment"]["production"]["flipped"] == USERS
    # And a viewer reads the request but not the preview, and may not approve it
    assert ok(await as_person(client, carol, "GET", f"/change-requests/{request['id']}"))["impact"] is None
    assert (await as_person(client, carol, "POST", f"/change-requests/{request['id']}/approve")).status_code == 403
    # And alice may not approve her own request
    own = await as_person(client, alice, "POST", f"/change-requests/{request['id']}/approve")
    assert own.status_code == 403 and "someone else" in own.json()["error"]

    # When bob approves and applies it
    ok(await as_person(client, bob, "POST", f"/change-requests/{request['id']}/approve"))
    applied = ok(await as_person(client, bob, "POST", f"/change-requests/{request['id']}/apply"))

    # Then the flag is on in production, and its audit event names the requester and the approver
    assert applied["state"] == "applied"
    answer = ok(await client.post("/flags/checkout/evaluate", json={"identifier": "u", "environment": "production"}))
    assert answer["active"] is True
    event = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]
    assert event["actor"] == "alice@example.com" and event["actor_kind"] == "person"
    assert event["via"]["approvers"] == ["bob@example.com"] and event["via"]["applied_by"] == "bob@example.com"

    # When alice reverts that event: production is protected, so it is a change request again
    reverted = await as_person(client, alice, "POST", f"/audit/{event['id']}/revert")
    assert reverted.status_code == 202, reverted.text
    revert_request = reverted.json()
    assert ok(await client.get("/flags/checkout", headers=ADMIN))["environments"] == {"production": {"enabled": True}}
    # And once bob approved it and alice applied it, the flag is off in production again
    ok(await as_person(client, bob, "POST", f"/change-requests/{revert_request['id']}/approve"))
    ok(await as_person(client, alice, "POST", f"/change-requests/{revert_request['id']}/apply"))
    answer = ok(await client.post("/flags/checkout/evaluate", json={"identifier": "u", "environment": "production"}))
    assert answer["active"] is False


async def test_revert__admin_in_protected_environment__applies_directly(client: httpx.AsyncClient) -> None:
    # Given production protected, and a flag an admin turned on there
    ok(await client.patch("/environments/production", json={"protected": True, "required_approvals": 1}, headers=ADMIN))
    ok(await client.post("/flags", json={"name": "checkout"}, headers=ADMIN))
    ok(await client.post("/flags/checkout/toggle", params={"environment": "production"}, headers=ADMIN))
    event = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]

    # When an admin reverts it
    reverted = await client.post(f"/audit/{event['id']}/revert", headers=ADMIN)

    # Then it applies at once (admins bypass protection), audited as a revert of that event
    assert reverted.status_code == 200, reverted.text
    assert ok(await client.get("/flags/checkout", headers=ADMIN))["environments"] == {}
    newest = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]
    assert (newest["action"], newest["reverts"]) == ("revert", event["id"])
