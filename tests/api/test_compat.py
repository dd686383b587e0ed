"""The compatibility surfaces: seed 001's writes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok

ANSWER_KEYS = {"name", "enabled", "description", "updated_at"}


async def create(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = ok(await client.post("/flags", json={"name": name, **fields}, headers=ADMIN))
    return created


async def token(client: httpx.AsyncClient, name: str, role: str) -> str:
    secret: str = ok(await client.post("/tokens", json={"name": name, "role": role}, headers=ADMIN))["token"]
    return secret


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
