"""Evaluation over HTTP: single, bulk, compatibility surfaces, and what clients may never see."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN

SECRET_FLAG: dict[str, Any] = {
    "name": "secret-targeting",
    "enabled": True,
    "rollout_percentage": 37.5,
    "allowlist": {"vip-identifier-123": "on"},
    "rules": [
        {
            "conditions": [{"field": "email", "operator": "ends_with", "value": "@hidden-corp.example"}],
            "rollout_percentage": 100,
            "serve": "on",
        }
    ],
}


async def setup(client: httpx.AsyncClient, *flags: dict[str, Any]) -> None:
    for flag in flags:
        response = await client.post("/flags", json=flag, headers=ADMIN)
        assert response.status_code == 201, response.text


async def test_get__rule_match__client_sees_result_without_rule(client: httpx.AsyncClient) -> None:
    await setup(client, SECRET_FLAG)
    response = await client.get("/flags/secret-targeting/evaluate?identifier=u1&email=ann@hidden-corp.example")
    assert response.status_code == 200
    assert response.json() == {
        "flag": "secret-targeting",
        "active": True,
        "variant": "on",
        "payload": None,
        "reason": "rule_match",
    }


async def test_get__admin_token__names_the_rule(client: httpx.AsyncClient) -> None:
    await setup(client, SECRET_FLAG)
    response = await client.get(
        "/flags/secret-targeting/evaluate?identifier=u1&email=a@hidden-corp.example", headers=ADMIN
    )
    assert response.json()["rule"] == 0


async def test_post__json_context_with_nested_attributes(client: httpx.AsyncClient) -> None:
    await setup(
        client,
        {
            "name": "pro-only",
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}],
        },
    )
    pro = await client.post("/flags/pro-only/evaluate", json={"identifier": "u", "attributes": {"plan": "pro"}})
    free = await client.post("/flags/pro-only/evaluate", json={"identifier": "u", "attributes": {"plan": "free"}})
    assert (pro.json()["variant"], pro.json()["reason"]) == ("on", "rule_match")
    assert (free.json()["variant"], free.json()["reason"]) == ("off", "rollout_excluded")


async def test_unknown_flag__flag_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/flags/nope/evaluate")
    assert response.json() == {
        "flag": "nope",
        "active": False,
        "variant": None,
        "payload": None,
        "reason": "flag_not_found",
    }


async def test_environment_and_app__applied(client: httpx.AsyncClient) -> None:
    await setup(
        client, {"name": "envy", "enabled": False, "apps": ["web"], "environments": {"staging": {"enabled": True}}}
    )
    staging_web = await client.get("/flags/envy/evaluate?environment=staging&app=web&identifier=u")
    prod_web = await client.get("/flags/envy/evaluate?environment=production&app=web&identifier=u")
    staging_ios = await client.get("/flags/envy/evaluate?environment=staging&app=ios&identifier=u")
    assert staging_web.json()["reason"] == "enabled"
    assert prod_web.json()["reason"] == "disabled"
    assert staging_ios.json()["reason"] == "app_not_scoped"


async def test_bulk__every_flag_or_chosen_ones(client: httpx.AsyncClient) -> None:
    await setup(
        client,
        {"name": "one", "enabled": True},
        {"name": "two"},
        {"name": "theme", "enabled": True, "variants": [{"name": "dark", "payload": {"bg": "#000"}, "weight": 1}]},
    )
    everything = (await client.post("/evaluate", json={"identifier": "u"})).json()
    chosen = (await client.post("/evaluate", json={"identifier": "u", "flags": ["one", "ghost"]})).json()
    assert everything == {
        "flags": {
            "one": {"active": True, "variant": "on", "payload": None, "reason": "enabled"},
            "theme": {"active": False, "variant": "dark", "payload": {"bg": "#000"}, "reason": "enabled"},
            "two": {"active": False, "variant": "off", "payload": None, "reason": "disabled"},
        }
    }
    assert set(chosen["flags"]) == {"one", "ghost"}
    assert chosen["flags"]["ghost"]["reason"] == "flag_not_found"


async def test_client_surfaces__never_reveal_targeting(client: httpx.AsyncClient) -> None:
    # Given a flag whose rules, allowlist and percentage are secret
    await setup(client, SECRET_FLAG)
    responses = [
        await client.post("/evaluate", json={"identifier": "someone", "email": "x@hidden-corp.example"}),
        await client.post("/evaluate", json={"identifier": "vip-identifier-123"}),
        await client.get("/flags/secret-targeting/evaluate?identifier=someone"),
        await client.post("/flags/secret-targeting/evaluate", json={"identifier": "other"}),
        await client.post("/api/evaluate", json={"user": {"id": "someone"}}),
        await client.post("/flags/check", json={"name": "secret-targeting", "identifier": "someone"}),
    ]
    # Then none of the configuration leaks
    for response in responses:
        assert response.status_code == 200
        for secret in (
            "hidden-corp",
            "vip-identifier-123",
            "37.5",
            "3750",
            "conditions",
            "ends_with",
            '"allowlist":',
            '"rule":',
            '"rules":',
            "rollout_percentage",
        ):
            assert secret not in response.text, (secret, response.text)


async def test_compat__check_create_toggle_set_delete(client: httpx.AsyncClient) -> None:
    created = await client.post("/flags/create", json={"name": "legacy"}, headers=ADMIN)
    assert created.status_code == 201 and created.json()["enabled"] is False
    assert (await client.post("/flags/create", json={"name": "legacy"}, headers=ADMIN)).status_code == 409
    assert (await client.post("/flags/check", json={"name": "legacy"})).json()["enabled"] is False
    assert (await client.post("/flags/toggle", json={"name": "legacy"}, headers=ADMIN)).json()["enabled"] is True
    assert (await client.post("/flags/check", json={"name": "legacy"})).json()["enabled"] is True
    assert (await client.post("/flags/set", json={"name": "legacy", "enabled": False}, headers=ADMIN)).json()[
        "enabled"
    ] is False
    assert (await client.post("/flags/delete", json={"name": "legacy"}, headers=ADMIN)).status_code == 200
    assert (await client.post("/flags/check", json={"name": "legacy"})).status_code == 404
    assert (await client.post("/flags/toggle", json={"name": "legacy"}, headers=ADMIN)).status_code == 404
    assert (await client.post("/flags/toggle", json={"name": "legacy"})).status_code == 401


async def test_compat__api_evaluate_one_result_per_flag(client: httpx.AsyncClient) -> None:
    await setup(
        client,
        {
            "name": "us-only",
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"field": "country", "operator": "in", "value": ["US"]}]}],
        },
        {"name": "other"},
    )
    response = await client.post(
        "/api/evaluate", json={"environment": "production", "user": {"id": "7", "country": "US"}}
    )
    assert response.json() == {
        "results": [
            {"flagKey": "other", "enabled": False, "variant": "off", "reason": "DISABLED"},
            {"flagKey": "us-only", "enabled": True, "variant": "on", "reason": "RULE_MATCH"},
        ]
    }


async def test_bad_bodies__clear_4xx(client: httpx.AsyncClient) -> None:
    cases = [
        (await client.post("/evaluate", content=b"[1,2]"), 400),
        (await client.post("/evaluate", content=b"{oops"), 400),
        (await client.post("/evaluate", json={"flags": "one"}), 400),
        (await client.post("/flags/check", json={}), 400),
        (await client.post("/api/evaluate", json={"user": 5}), 400),
        (await client.post("/flags/x/evaluate", content=b"\xff\xfe"), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert isinstance(response.json()["error"], str)


async def test_evaluation__reflects_writes_immediately(client: httpx.AsyncClient) -> None:
    await setup(client, {"name": "live"})
    assert (await client.get("/flags/live/evaluate")).json()["active"] is False
    await client.post("/flags/live/toggle", headers=ADMIN)
    assert (await client.get("/flags/live/evaluate")).json()["active"] is True
    await client.delete("/flags/live", headers=ADMIN)
    assert (await client.get("/flags/live/evaluate")).json()["reason"] == "flag_not_found"
