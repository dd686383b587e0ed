"""Flag management through the HTTP API: create, read, update, delete, toggle, overrides, scopes."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN


async def create(client: httpx.AsyncClient, name: str, **fields: object) -> dict[str, object]:
    response = await client.post("/flags", json={"name": name, **fields}, headers=ADMIN)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create__minimal_body__boolean_flag_with_documented_defaults(client: httpx.AsyncClient) -> None:
    # Given / When
    flag = await create(client, "new_checkout")
    # Then
    assert flag["enabled"] is False
    assert flag["rollout_percentage"] == 100
    assert flag["variants"] == [
        {"name": "off", "payload": None, "weight": 0},
        {"name": "on", "payload": None, "weight": 1},
    ]
    assert flag["default_variant"] == "off"
    assert flag["salt"] == "new_checkout"
    assert flag["version"] == 1
    assert flag["environments"] == {} and flag["apps"] == [] and flag["allowlist"] == {} and flag["rules"] == []
    assert (await client.get("/flags/new_checkout", headers=ADMIN)).json() == flag


async def test_create__key_alias__accepted_as_name(client: httpx.AsyncClient) -> None:
    response = await client.post("/flags", json={"key": "via.key-alias"}, headers=ADMIN)
    assert response.status_code == 201
    assert response.json()["name"] == "via.key-alias"


async def test_create__duplicate__409(client: httpx.AsyncClient) -> None:
    await create(client, "dup")
    response = await client.post("/flags", json={"name": "dup"}, headers=ADMIN)
    assert response.status_code == 409
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "Upper"}, "name"),
        ({"name": "-leading"}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "rollout_percentage": 101}, "rollout_percentage"),
        ({"name": "ok", "rollout_percentage": 12.345}, "two decimals"),
        ({"name": "ok", "enabled": "yes"}, "enabled"),
        ({"name": "ok", "unknown": 1}, "unknown"),
        ({"name": "ok", "variants": [{"name": "a", "weight": -1}]}, "weight"),
        ({"name": "ok", "variants": [{"name": "a"}, {"name": "a"}]}, "its own name"),
        ({"name": "ok", "variants": [{"name": "a"}], "default_variant": "b"}, "default_variant"),
        ({"name": "ok", "allowlist": {"u1": "nope"}}, "allowlist"),
        ({"name": "ok", "rules": [{"conditions": [], "serve": "nope"}]}, "serve"),
        ({"name": "ok", "rules": [{"conditions": [{"field": "x", "operator": "like", "value": 1}]}]}, "operator"),
        ({"name": "ok", "rules": [{"conditions": [{"field": "x", "operator": "in", "value": "a"}]}]}, "list"),
        ({"name": "ok", "rules": [{"conditions": [{"field": "x", "operator": "matches", "value": "("}]}]}, "regular"),
        ({"name": "ok", "rules": [{"conditions": [{"operator": "in_segment", "value": "nope"}]}]}, "segment"),
        ({"name": "ok", "prerequisites": [{"flag": "missing"}]}, "prerequisite"),
        ({"name": "ok", "salt": ""}, "salt"),
    ],
)
async def test_create__invalid_input__400_with_message_and_nothing_written(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    response = await client.post("/flags", json=body, headers=ADMIN)
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]
    assert (await client.get("/flags", headers=ADMIN)).json() == {"flags": []}
    assert (await client.get("/audit", headers=ADMIN)).json()["events"] == []


async def test_create__malformed_json__400(client: httpx.AsyncClient) -> None:
    response = await client.post("/flags", content=b"{not json", headers={**ADMIN, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "the body is not valid JSON"}


async def test_patch__changes_fields__version_and_updated_at_move(client: httpx.AsyncClient) -> None:
    # Given
    before = await create(client, "patched")
    # When
    response = await client.patch("/flags/patched", json={"description": "new", "tags": ["ui"]}, headers=ADMIN)
    # Then
    after = response.json()
    assert response.status_code == 200
    assert after["description"] == "new" and after["tags"] == ["ui"]
    assert after["version"] == 2
    assert str(after["updated_at"]) > str(before["updated_at"])
    assert after["created_at"] == before["created_at"]


async def test_patch__stale_version__409_and_unchanged(client: httpx.AsyncClient) -> None:
    await create(client, "guarded")
    await client.patch("/flags/guarded", json={"description": "one"}, headers=ADMIN)
    stale = await client.patch("/flags/guarded", json={"description": "two", "version": 1}, headers=ADMIN)
    stale_header = await client.patch(
        "/flags/guarded", json={"description": "two"}, headers={**ADMIN, "If-Match": '"1"'}
    )
    fresh = await client.patch("/flags/guarded", json={"description": "three", "version": 2}, headers=ADMIN)
    assert stale.status_code == 409 and stale_header.status_code == 409
    assert fresh.status_code == 200 and fresh.json()["description"] == "three"


async def test_patch__variants_replaced__default_follows_first_variant(client: httpx.AsyncClient) -> None:
    await create(client, "theme")
    response = await client.patch(
        "/flags/theme",
        json={"variants": [{"name": "light", "weight": 1}, {"name": "dark", "weight": 1}]},
        headers=ADMIN,
    )
    assert response.json()["default_variant"] == "light"


async def test_patch__unknown_flag__404(client: httpx.AsyncClient) -> None:
    response = await client.patch("/flags/ghost", json={"description": "x"}, headers=ADMIN)
    assert response.status_code == 404
    assert "ghost" in response.json()["error"]


async def test_toggle__global_and_environment__flip_independently(client: httpx.AsyncClient) -> None:
    await create(client, "switch")
    on = (await client.post("/flags/switch/toggle", headers=ADMIN)).json()
    staging_off = (await client.post("/flags/switch/toggle?environment=staging", headers=ADMIN)).json()
    assert on["enabled"] is True
    assert staging_off["enabled"] is True
    assert staging_off["environments"]["staging"] == {"enabled": False}


async def test_override__merges_fields_and_null_inherits_again(client: httpx.AsyncClient) -> None:
    await create(client, "layered", enabled=True)
    await client.post(
        "/flags/layered/environments", json={"environment": "production", "rollout_percentage": 25}, headers=ADMIN
    )
    merged = await client.post(
        "/flags/layered/environments", json={"environment": "production", "enabled": False}, headers=ADMIN
    )
    assert merged.json()["environments"]["production"] == {"rollout_percentage": 25, "enabled": False}
    cleared = await client.post(
        "/flags/layered/environments", json={"environment": "production", "enabled": None}, headers=ADMIN
    )
    assert cleared.json()["environments"]["production"] == {"rollout_percentage": 25}
    removed = await client.delete("/flags/layered/environments/production", headers=ADMIN)
    assert removed.json()["environments"] == {}


async def test_override__new_environment_name__registered(client: httpx.AsyncClient) -> None:
    await create(client, "anywhere")
    await client.post("/flags/anywhere/environments", json={"environment": "qa-eu", "enabled": True}, headers=ADMIN)
    names = [e["name"] for e in (await client.get("/environments", headers=ADMIN)).json()["environments"]]
    assert {"development", "staging", "production", "qa-eu"} <= set(names)


async def test_apps__add_and_remove_scope(client: httpx.AsyncClient) -> None:
    await create(client, "scoped")
    added = await client.post("/flags/scoped/apps", json={"app_name": "web"}, headers=ADMIN)
    assert added.json()["apps"] == ["web"]
    again = await client.post("/flags/scoped/apps", json={"app_name": "web"}, headers=ADMIN)
    assert again.json()["apps"] == ["web"]
    removed = await client.delete("/flags/scoped/apps/web", headers=ADMIN)
    assert removed.json()["apps"] == []
    missing = await client.delete("/flags/scoped/apps/web", headers=ADMIN)
    assert missing.status_code == 404


async def test_delete__cascades_and_is_audited(client: httpx.AsyncClient) -> None:
    await create(client, "doomed", apps=["web"], environments={"staging": {"enabled": True}})
    response = await client.delete("/flags/doomed", headers=ADMIN)
    assert response.status_code == 204
    assert (await client.get("/flags/doomed", headers=ADMIN)).status_code == 404
    events = (await client.get("/audit?flag=doomed", headers=ADMIN)).json()["events"]
    assert events[0]["action"] == "delete"
    assert events[0]["before"]["apps"] == ["web"] and events[0]["after"] is None


async def test_prerequisites__cycle__409(client: httpx.AsyncClient) -> None:
    await create(client, "a")
    await create(client, "b", prerequisites=[{"flag": "a"}])
    response = await client.patch("/flags/a", json={"prerequisites": [{"flag": "b"}]}, headers=ADMIN)
    assert response.status_code == 409
    assert "cycle" in response.json()["error"]


async def test_delete__prerequisite_of_another__409(client: httpx.AsyncClient) -> None:
    await create(client, "base")
    await create(client, "dependent", prerequisites=[{"flag": "base"}])
    response = await client.delete("/flags/base", headers=ADMIN)
    assert response.status_code == 409


async def test_list__filters(client: httpx.AsyncClient) -> None:
    await create(client, "web_only", apps=["web"], tags=["ui"], enabled=True, description="Search box")
    await create(client, "everywhere", environments={"production": {"enabled": True}})

    async def names(query: str) -> list[str]:
        return [f["name"] for f in (await client.get(f"/flags?{query}", headers=ADMIN)).json()["flags"]]

    assert await names("") == ["everywhere", "web_only"]
    assert await names("app=mobile") == ["everywhere"]
    assert await names("tag=ui") == ["web_only"]
    assert await names("q=search") == ["web_only"]
    assert await names("enabled=true") == ["web_only"]
    assert await names("enabled=true&environment=production") == ["everywhere", "web_only"]


async def test_patch_and_override__rules_without_optional_keys__stored_complete(client: httpx.AsyncClient) -> None:
    # Given rules that leave out rollout_percentage, serve, negate and case_insensitive
    await create(client, "partial-rules", enabled=True, rollout_percentage=0)
    rule = {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}
    # When they are written through PATCH and an override
    patched = await client.patch("/flags/partial-rules", json={"rules": [rule]}, headers=ADMIN)
    overridden = await client.post(
        "/flags/partial-rules/environments", json={"environment": "staging", "rules": [rule]}, headers=ADMIN
    )
    # Then both store the documented defaults, and the rule decides
    complete = {
        "conditions": [{"field": "plan", "operator": "eq", "value": "pro", "negate": False, "case_insensitive": False}],
        "rollout_percentage": 100,
        "serve": None,
    }
    assert patched.status_code == 200, patched.text
    assert patched.json()["rules"] == [complete]
    assert overridden.json()["environments"]["staging"]["rules"] == [complete]
    answer = await client.get("/flags/partial-rules/evaluate?identifier=u&plan=pro&environment=staging")
    assert answer.json()["reason"] == "rule_match"
