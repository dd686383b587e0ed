"""Tokens bound to an environment: every evaluation made with one happens in its environment."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, ok


async def token(client: httpx.AsyncClient, name: str, role: str, environment: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "role": role}
    if environment is not None:
        body["environment"] = environment
    created = ok(await client.post("/tokens", json=body, headers=ADMIN))
    assert created["environment"] == environment
    secret: str = created["token"]
    return secret


async def flag_on_in_production_only(client: httpx.AsyncClient) -> None:
    ok(await client.post("/flags", json={"name": "checkout", "enabled": False}, headers=ADMIN))
    ok(
        await client.post(
            "/flags/checkout/environments", json={"environment": "production", "enabled": True}, headers=ADMIN
        )
    )


async def test_bound_token__no_environment_named__evaluates_in_its_environment(client: httpx.AsyncClient) -> None:
    # Given a flag on only in production, and a client token bound to production
    await flag_on_in_production_only(client)
    secret = await token(client, "web-prod", "client", "production")
    # When it evaluates without naming an environment, one flag and all flags
    one = ok(
        await client.post("/flags/checkout/evaluate", json={"identifier": "u1"}, headers={"Authorization": secret})
    )
    bulk = ok(await client.post("/evaluate", json={"identifier": "u1"}, headers={"X-API-Key": secret}))
    query = ok(
        await client.get("/flags/checkout/evaluate?identifier=u1", headers={"Authorization": f"Bearer {secret}"})
    )
    # Then production's override decided
    assert one["active"] is True
    assert bulk["flags"]["checkout"]["active"] is True
    assert query["active"] is True


async def test_bound_token__same_request_as_anonymous__not_served_the_other_answer(client: httpx.AsyncClient) -> None:
    # Given the same request bytes sent anonymously first (and so kept in the answer cache)
    await flag_on_in_production_only(client)
    secret = await token(client, "web-prod", "client", "production")
    for _ in range(3):
        anonymous = ok(await client.post("/evaluate", json={"identifier": "u1"}))
        assert anonymous["flags"]["checkout"]["active"] is False
    # When the bound token sends them
    bound = ok(await client.post("/evaluate", json={"identifier": "u1"}, headers={"Authorization": secret}))
    # Then it gets its environment's answer, not the anonymous one
    assert bound["flags"]["checkout"]["active"] is True


async def test_bound_token__other_environment_named__403_in_plain_words(client: httpx.AsyncClient) -> None:
    # Given
    await flag_on_in_production_only(client)
    secret = await token(client, "web-prod", "client", "production")
    auth = {"Authorization": secret}
    # When it names another environment, on each evaluation surface
    responses = [
        await client.post("/flags/checkout/evaluate", json={"environment": "staging"}, headers=auth),
        await client.get("/flags/checkout/evaluate?environment=staging", headers=auth),
        await client.post("/evaluate", json={"environment": "staging"}, headers=auth),
        await client.post("/flags/check", json={"name": "checkout", "environment": "staging"}, headers=auth),
        await client.post("/api/evaluate", json={"environment": "staging", "user": {"id": "u1"}}, headers=auth),
        await client.get("/stream?environment=staging", headers=auth),
    ]
    # Then each is refused
    for response in responses:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "error": "this token is bound to the environment 'production' and cannot evaluate in 'staging': "
            "leave the environment out, or use a token of 'staging'"
        }


async def test_bound_token__its_own_environment_named__answers(client: httpx.AsyncClient) -> None:
    await flag_on_in_production_only(client)
    secret = await token(client, "web-prod", "client", "production")
    answer = ok(
        await client.post(
            "/flags/check", json={"name": "checkout", "environment": "production"}, headers={"Authorization": secret}
        )
    )
    assert answer["enabled"] is True


async def test_unbound_token__names_any_environment__as_before(client: httpx.AsyncClient) -> None:
    await flag_on_in_production_only(client)
    secret = await token(client, "web-any", "client")
    auth = {"Authorization": secret}
    staging = ok(await client.post("/flags/checkout/evaluate", json={"environment": "staging"}, headers=auth))
    production = ok(await client.post("/flags/checkout/evaluate", json={"environment": "production"}, headers=auth))
    assert (staging["active"], production["active"]) == (False, True)


async def test_bound_server_token__sdk_config__narrowed_to_its_environment(client: httpx.AsyncClient) -> None:
    # Given a server token bound to production
    await flag_on_in_production_only(client)
    secret = await token(client, "sdk-prod", "server", "production")
    auth = {"Authorization": f"Bearer {secret}"}
    # When it reads the SDK configuration without and with another environment
    config = ok(await client.get("/sdk/config", headers=auth))
    other = await client.get("/sdk/config?environment=staging", headers=auth)
    # Then
    assert config["environment"] == "production"
    assert other.status_code == 403


async def test_create_token__unknown_environment__400_naming_the_known_ones(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/tokens", json={"name": "t", "role": "client", "environment": "prodution"}, headers=ADMIN
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "environment: 'prodution' is not an environment (there are: development, production, staging)"
    }
    assert ok(await client.get("/tokens", headers=ADMIN))["tokens"] == []


async def test_whoami__bound_token__names_its_environment(client: httpx.AsyncClient) -> None:
    secret = await token(client, "sdk-prod", "server", "production")
    assert ok(await client.get("/whoami", headers={"Authorization": secret})) == {
        "kind": "token",
        "name": "sdk-prod",
        "role": "server",
        "environment": "production",
    }
