"""The writes no change request can hold, in a protected setting (docs/change-requests.md): deleting,
archiving and restoring a flag, creating one that is on in a protected environment, the
seed-compatible writes, an Unleash import of a flag on in a protected environment, a revert that
deletes or re-creates a flag, and a change of a segment that a flag uses in a protected environment.
By an editor (a person's session or a token) each is refused with 403 naming the protected
environment and saying an admin must do it, and nothing changes; an admin's applies directly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok
from tests.people.helpers import person_session

Headers = dict[str, str]
UNLEASH_ON_IN_PRODUCTION = {
    "features": [{"name": "imported"}],
    "featureEnvironments": [{"featureName": "imported", "environment": "production", "enabled": True, "variants": []}],
    "featureStrategies": [{"featureName": "imported", "name": "default", "parameters": {}}],
}
UNLEASH_ON_IN_DEVELOPMENT = {
    **UNLEASH_ON_IN_PRODUCTION,
    "featureEnvironments": [{"featureName": "imported", "environment": "development", "enabled": True, "variants": []}],
}


@pytest.fixture(params=["session", "token"])
async def editor(request: pytest.FixtureRequest, client: httpx.AsyncClient) -> Headers:
    """Production protected, a flag `checkout` on in production, and an editor: a signed-in person or a token."""
    ok(await client.patch("/environments/production", json={"protected": True}, headers=ADMIN))
    ok(await client.post("/flags", json={"name": "checkout", "enabled": True}, headers=ADMIN))
    if request.param == "session":
        return (await person_session(client, "eve@example.com", "editor")).headers
    secret = ok(await client.post("/tokens", json={"name": "ed", "role": "editor"}, headers=ADMIN))["token"]
    return {"Authorization": f"Bearer {secret}"}


async def state(client: httpx.AsyncClient) -> Any:
    """Every flag and segment, as an export has them (without its time)."""
    exported = ok(await client.get("/export", headers=ADMIN))
    del exported["exported_at"]
    return exported


def refused(response: httpx.Response) -> str:
    """The error of a 403 that names production and says an admin must do it."""
    assert response.status_code == 403, response.text
    error: str = response.json()["error"]
    assert "production" in error and "admin" in error, error
    return error


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("DELETE", "/flags/checkout", None),
        ("POST", "/flags/checkout/archive", None),
        ("POST", "/flags/create", {"name": "fresh", "enabled": True}),
        ("POST", "/flags", {"name": "fresh", "enabled": True}),
        ("POST", "/flags", {"name": "fresh", "environments": {"production": {"enabled": True}}}),
        ("POST", "/flags/toggle", {"name": "checkout"}),
        ("POST", "/flags/set", {"name": "checkout", "enabled": False}),
        ("POST", "/flags/delete", {"name": "checkout"}),
        ("PUT", "/api/admin/flags/checkout", {"enabled": False}),
        ("PUT", "/api/admin/flags/checkout?environment=production", {"rolloutPercentage": 10}),
        ("POST", "/import/unleash", UNLEASH_ON_IN_PRODUCTION),
    ],
)
async def test_editor_write__no_change_request_holds_it__refused_and_nothing_changes(
    client: httpx.AsyncClient, editor: Headers, method: str, url: str, body: Any
) -> None:
    # Given production protected and a flag on there (the fixture)
    before = await state(client)
    # When an editor makes the write
    response = await client.request(method, url, json=body, headers=editor)
    # Then it is refused, naming production, and nothing changed (no change request either)
    refused(response)
    assert await state(client) == before
    assert ok(await client.get("/change-requests", headers=ADMIN))["change_requests"] == []


async def test_restore__editor_in_protected_setting__refused(client: httpx.AsyncClient, editor: Headers) -> None:
    # Given the flag archived by an admin
    ok(await client.post("/flags/checkout/archive", headers=ADMIN))
    before = await state(client)
    # When an editor restores it
    response = await client.post("/flags/checkout/restore", headers=editor)
    # Then it is refused and the flag stays archived
    refused(response)
    assert await state(client) == before


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/flags", {"name": "fresh"}),
        ("POST", "/flags/create", {"name": "fresh"}),
        ("POST", "/flags/toggle", {"name": "staged"}),
        ("PUT", "/api/admin/flags/checkout?environment=staging", {"rolloutPercentage": 10}),
        ("POST", "/import/unleash", UNLEASH_ON_IN_DEVELOPMENT),
    ],
)
async def test_editor_write__no_protected_environment_touched__applies(
    client: httpx.AsyncClient, editor: Headers, method: str, url: str, body: Any
) -> None:
    # Given a flag whose production overrides its switch
    staged = {"name": "staged", "environments": {"production": {"enabled": False}}}
    ok(await client.post("/flags", json=staged, headers=ADMIN))
    # When an editor creates a flag off everywhere, or changes what production does not evaluate
    response = await client.request(method, url, json=body, headers=editor)
    # Then it applies directly
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        ("DELETE", "/flags/checkout", None, 204),
        ("POST", "/flags/checkout/archive", None, 200),
        ("POST", "/flags/delete", {"name": "checkout"}, 200),
        ("POST", "/flags/set", {"name": "checkout", "enabled": False}, 200),
        ("PUT", "/api/admin/flags/checkout", {"enabled": False}, 200),
    ],
)
async def test_admin_write__protected_setting__applies_directly(
    client: httpx.AsyncClient, editor: Headers, method: str, url: str, body: Any, expected: int
) -> None:
    # When an admin makes the write an editor may not
    response = await client.request(method, url, json=body, headers=ADMIN)
    # Then it applies at once
    assert response.status_code == expected, response.text
    assert await state(client) != {}


async def test_revert__editor_undoes_a_creation__refused_flag_kept(client: httpx.AsyncClient, editor: Headers) -> None:
    # Given the creation of `checkout` (the fixture's)
    created = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]
    assert created["action"] == "create"
    before = await state(client)
    # When an editor reverts it (which deletes the flag)
    response = await client.post(f"/audit/{created['id']}/revert", headers=editor)
    # Then it is refused and the flag is still there
    refused(response)
    assert await state(client) == before
    # And an admin's revert deletes it
    ok(await client.post(f"/audit/{created['id']}/revert", headers=ADMIN))
    assert (await client.get("/flags/checkout", headers=ADMIN)).status_code == 404


async def test_revert__editor_undoes_a_deletion_of_a_flag_on__refused_flag_still_gone(
    client: httpx.AsyncClient, editor: Headers
) -> None:
    # Given `checkout` (on everywhere) deleted by an admin
    assert (await client.delete("/flags/checkout", headers=ADMIN)).status_code == 204
    deleted = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]
    # When an editor reverts the deletion (which creates it again, on in production)
    response = await client.post(f"/audit/{deleted['id']}/revert", headers=editor)
    # Then it is refused and the flag is still gone
    refused(response)
    assert (await client.get("/flags/checkout", headers=ADMIN)).status_code == 404
    # And an admin's revert brings it back
    ok(await client.post(f"/audit/{deleted['id']}/revert", headers=ADMIN))
    assert ok(await client.get("/flags/checkout", headers=ADMIN))["enabled"] is True


BETA = [{"field": "plan", "operator": "eq", "value": "beta"}]
OTHER = [{"field": "plan", "operator": "eq", "value": "gold"}]


async def use_segment(client: httpx.AsyncClient, *, environment: str | None) -> None:
    """Segment `beta`, and flag `gated` whose rules use it: its own (None), or only `environment`'s."""
    ok(await client.post("/segments", json={"name": "beta", "conditions": BETA}, headers=ADMIN))
    rules = [{"conditions": [{"operator": "in_segment", "value": "beta"}]}]
    body: dict[str, Any] = {"name": "gated", "enabled": True}
    if environment is None:
        body["rules"] = rules
    else:
        body["environments"] = {environment: {"rules": rules}}
    ok(await client.post("/flags", json=body, headers=ADMIN))


async def test_segment_update__used_in_protected_environment__editor_refused_admin_applies(
    client: httpx.AsyncClient, editor: Headers
) -> None:
    # Given a segment that a flag's own rules use (so production evaluates it)
    await use_segment(client, environment=None)
    before = await state(client)
    # When an editor changes its conditions
    response = await client.patch("/segments/beta", json={"conditions": OTHER}, headers=editor)
    # Then it is refused, naming the flag, and the segment is unchanged
    assert "gated" in refused(response)
    assert await state(client) == before
    # And its description alone changes no evaluation: it applies
    ok(await client.patch("/segments/beta", json={"description": "beta testers"}, headers=editor))
    # And an admin changes its conditions directly
    changed = ok(await client.patch("/segments/beta", json={"conditions": OTHER}, headers=ADMIN))
    assert changed["conditions"][0]["value"] == "gold"


async def test_segment_update__used_only_in_unprotected_environment__editor_applies(
    client: httpx.AsyncClient, editor: Headers
) -> None:
    # Given a segment only staging's override uses
    await use_segment(client, environment="staging")
    # When an editor changes its conditions
    response = await client.patch("/segments/beta", json={"conditions": OTHER}, headers=editor)
    # Then it applies
    assert ok(response)["conditions"][0]["value"] == "gold"


async def test_revert__editor_undoes_an_archiving__refused_flag_still_archived(
    client: httpx.AsyncClient, editor: Headers
) -> None:
    # Given `checkout` (on everywhere) archived by an admin
    ok(await client.post("/flags/checkout/archive", headers=ADMIN))
    archived = ok(await client.get("/audit", params={"flag": "checkout", "limit": 1}, headers=ADMIN))["events"][0]
    before = await state(client)
    # When an editor reverts the archiving (which restores it, on in production)
    response = await client.post(f"/audit/{archived['id']}/revert", headers=editor)
    # Then it is refused, not made a change request, and the flag stays archived
    refused(response)
    assert await state(client) == before
    assert ok(await client.get("/change-requests", headers=ADMIN))["change_requests"] == []
