"""The compatibility surfaces: seed 001's writes, and seed 002's reasons on `POST /api/evaluate`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok
from vexil.api.seeds import SEED_REASONS
from vexil.api.surface import seed_reason
from vexil.engine import Reason

ANSWER_KEYS = {"name", "enabled", "description", "updated_at"}
ACME = {"field": "email", "operator": "endsWith", "value": "@acme.com"}
ACME_VEXIL: dict[str, Any] = {
    "conditions": [
        {"field": "email", "operator": "ends_with", "value": "@acme.com", "negate": False, "case_insensitive": False}
    ],
    "rollout_percentage": 100,
    "serve": "on",
}


async def create(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(await client.post("/flags", json={"name": name, **fields}, headers=ADMIN))
    return created


async def token(client: httpx.AsyncClient, name: str, role: str) -> str:
    secret: str = ok(await client.post("/tokens", json={"name": name, "role": role}, headers=ADMIN))["token"]
    return secret


async def evaluate(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, str]:
    results = ok(await client.post("/api/evaluate", json=body))["results"]
    return {result["flagKey"]: result["reason"] for result in results}


# --- seed 001 -----------------------------------------------------------------------------------


async def test_seed001_create__with_description__201_and_the_flag(client: httpx.AsyncClient) -> None:
    # When
    response = await client.post("/flags/create", json={"name": "legacy", "description": "Old one"}, headers=ADMIN)
    # Then
    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == ANSWER_KEYS
    assert answer["name"] == "legacy" and answer["enabled"] is False and answer["description"] == "Old one"
    stored = ok(await client.get("/flags/legacy", headers=ADMIN))
    assert stored["description"] == "Old one" and answer["updated_at"] == stored["updated_at"]


async def test_seed001_create__duplicate__409(client: httpx.AsyncClient) -> None:
    # Given
    await create(client, "legacy")
    # When
    response = await client.post("/flags/create", json={"name": "legacy", "description": "again"}, headers=ADMIN)
    # Then
    assert response.status_code == 409
    assert response.json() == {"error": "flag 'legacy' already exists"}


async def test_seed001_writes__toggle_set_delete__name_enabled_updated_at(client: httpx.AsyncClient) -> None:
    # Given
    created = await create(client, "legacy", description="Old one")
    # When
    toggled = ok(await client.post("/flags/toggle", json={"name": "legacy"}, headers=ADMIN))
    set_off = ok(await client.post("/flags/set", json={"name": "legacy", "enabled": False}, headers=ADMIN))
    deleted = ok(await client.post("/flags/delete", json={"name": "legacy"}, headers=ADMIN))
    # Then
    assert all(set(answer) == ANSWER_KEYS for answer in (toggled, set_off, deleted))
    assert (toggled["enabled"], set_off["enabled"], deleted["enabled"]) == (True, False, False)
    assert created["updated_at"] < toggled["updated_at"] < set_off["updated_at"] == deleted["updated_at"]
    assert deleted["description"] == "Old one"
    assert (await client.get("/flags/legacy", headers=ADMIN)).status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [("/flags/toggle", {"name": "ghost"}), ("/flags/set", {"name": "ghost", "enabled": True}), ("/flags/delete", {})],
)
async def test_seed001_writes__unknown_flag__404(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    # When
    response = await client.post(path, json={"name": "ghost", **body}, headers=ADMIN)
    # Then
    assert response.status_code == 404
    assert response.json() == {"error": "flag 'ghost' not found"}


@pytest.mark.parametrize("path", ["/flags/create", "/flags/toggle", "/flags/set", "/flags/delete"])
async def test_seed001_writes__no_token_401__non_admin_403(client: httpx.AsyncClient, path: str) -> None:
    # Given
    await create(client, "legacy")
    reader = await token(client, "reader", "server")
    body = {"name": "legacy", "enabled": True}
    # When / Then
    assert (await client.post(path, json=body)).status_code == 401
    assert (await client.post(path, json=body, headers={"x-api-key": "nope"})).status_code == 401
    assert (await client.post(path, json=body, headers={"x-api-key": reader})).status_code == 403
    assert ok(await client.get("/flags/legacy", headers=ADMIN))["version"] == 1


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/flags/create", {"name": "x", "description": 5}, "description: "),
        ("/flags/create", {"description": "no name"}, "name: "),
        ("/flags/create", {"name": "Not A Name"}, "name: "),
        ("/flags/set", {"name": "x", "enabled": "yes"}, "enabled: "),
        ("/flags/toggle", {"name": "x", "extra": 1}, "extra: "),
    ],
)
async def test_seed001_writes__bad_body__400_naming_the_field(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], message: str
) -> None:
    response = await client.post(path, json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


# --- seed 002: reasons on POST /api/evaluate ------------------------------------------------------


def test_seed_reason__every_vexil_reason__an_upper_case_name() -> None:
    # Then every reason has its name, RULE_MATCH and NO_MATCH as seed 002 says them
    assert set(SEED_REASONS) == set(Reason)
    assert all(seed_reason(reason) == SEED_REASONS[reason] == SEED_REASONS[reason].upper() for reason in Reason)
    assert seed_reason(Reason.RULE_MATCH) == "RULE_MATCH" and seed_reason(Reason.ROLLOUT_EXCLUDED) == "NO_MATCH"


async def test_seed002_evaluate__each_reason__seed_name_while_vexil_keeps_its_own(client: httpx.AsyncClient) -> None:
    # Given one flag per way of deciding
    await create(client, "off")
    await create(client, "everyone", enabled=True)
    await create(client, "ruled", enabled=True, rollout_percentage=0, rules=[ACME_VEXIL])
    await create(client, "nobody", enabled=True, rollout_percentage=0)
    await create(client, "listed", enabled=True, rollout_percentage=0, allowlist={"u1": "on"})
    await create(client, "mobile", enabled=True, apps=["ios"])
    await create(client, "gated", enabled=True, prerequisites=[{"flag": "off"}])
    context = {"app": "web", "user": {"id": "u1", "email": "ann@acme.com"}}
    # When
    seed = await evaluate(client, context)
    vexil = ok(await client.post("/evaluate", json={"identifier": "u1", "app": "web", "email": "ann@acme.com"}))
    # Then
    assert seed == {
        "everyone": "DEFAULT",
        "gated": "PREREQUISITE_FAILED",
        "listed": "ALLOWLIST",
        "mobile": "APP_NOT_SCOPED",
        "nobody": "NO_MATCH",
        "off": "DISABLED",
        "ruled": "RULE_MATCH",
    }
    assert {name: result["reason"] for name, result in vexil["flags"].items()} == {
        name: next(reason.value for reason in Reason if SEED_REASONS[reason] == seed_name)
        for name, seed_name in seed.items()
    }


async def test_seed002_evaluate__partial_rollout__rollout_or_no_match(client: httpx.AsyncClient) -> None:
    # Given half of the users
    await create(client, "half", enabled=True, rollout_percentage=50)
    # When
    reasons = {(await evaluate(client, {"user": {"id": f"user-{n}"}}))["half"] for n in range(40)}
    # Then
    assert reasons == {"ROLLOUT", "NO_MATCH"}
