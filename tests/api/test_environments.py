"""Environments as first-class objects (docs/environments.md): rename, delete with what goes,
compare two, promote one's configuration to another atomically; a write naming an unknown
environment is refused everywhere but the seed-compatible `POST /flags/{name}/environments`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, ok


async def flag(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    return ok(await client.post("/flags", json={"name": name, **fields}, headers=ADMIN))  # type: ignore[no-any-return]


async def editor(client: httpx.AsyncClient) -> dict[str, str]:
    made = ok(await client.post("/tokens", json={"name": "ed", "role": "editor"}, headers=ADMIN))
    return {"Authorization": f"Bearer {made['token']}"}


async def audit(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return ok(await client.get("/audit", headers=ADMIN))["events"]  # type: ignore[no-any-return]


async def test_compare__equal_environments__empty(client: httpx.AsyncClient) -> None:
    # Given flags with overrides that evaluate alike in staging and production
    await flag(client, "a", environments={"staging": {"enabled": True}, "production": {"enabled": True}})
    await flag(client, "b", rollout_percentage=40)
    # When the two are compared
    compared = ok(await client.get("/environments/compare?from=staging&to=production", headers=ADMIN))
    # Then nothing differs
    assert compared == {"from": "staging", "to": "production", "flags": []}


async def test_compare__differing_override__flag_by_flag(client: httpx.AsyncClient) -> None:
    # Given a flag on in staging only, and one alike everywhere
    await flag(client, "a", environments={"staging": {"enabled": True, "rollout_percentage": 25}})
    await flag(client, "b")
    # When staging is compared with production
    compared = ok(await client.get("/environments/compare?from=staging&to=production", headers=ADMIN))
    # Then only the differing flag is listed, setting by setting
    assert compared["flags"] == [
        {
            "flag": "a",
            "differences": [
                {"path": "enabled", "from": True, "to": False},
                {"path": "rollout_percentage", "from": 25, "to": 100},
            ],
        }
    ]


async def test_promote__admin__copies_atomically_one_event_per_flag(client: httpx.AsyncClient) -> None:
    # Given two flags configured in staging, and one already alike
    await flag(client, "a", environments={"staging": {"enabled": True}, "production": {"rollout_percentage": 5}})
    await flag(client, "b", environments={"staging": {"rules": [], "rollout_percentage": 30}})
    await flag(client, "c")
    before = len(await audit(client))
    # When staging is promoted to production
    promoted = ok(
        await client.post("/environments/promote", json={"from": "staging", "to": "production"}, headers=ADMIN)
    )
    # Then the flags that differed were written, and production now evaluates as staging does
    assert promoted == {"from": "staging", "to": "production", "flags": ["a", "b"]}
    compared = ok(await client.get("/environments/compare?from=staging&to=production", headers=ADMIN))
    assert compared["flags"] == []
    a = ok(await client.get("/flags/a", headers=ADMIN))
    assert a["environments"]["production"] == a["environments"]["staging"] == {"enabled": True}
    # And one audit event per flag written
    events = (await audit(client))[: len(await audit(client)) - before]
    assert sorted(e["entity_id"] for e in events) == ["a", "b"]


async def test_promote__unknown_flag_among_them__nothing_changed(client: httpx.AsyncClient) -> None:
    # Given a flag configured in staging
    await flag(client, "a", environments={"staging": {"enabled": True}})
    before = await audit(client)
    # When a promotion names it and a flag that does not exist
    body = {"from": "staging", "to": "production", "flags": ["a", "nope"]}
    refused = await client.post("/environments/promote", json=body, headers=ADMIN)
    # Then it is refused in plain words, and nothing changed
    assert refused.status_code == 400
    assert "nope" in refused.json()["error"]
    assert "production" not in ok(await client.get("/flags/a", headers=ADMIN))["environments"]
    assert await audit(client) == before


async def test_promote__protected_target_by_editor__one_change_request(client: httpx.AsyncClient) -> None:
    # Given production protected, two flags configured in staging, and an editor
    ok(await client.patch("/environments/production", json={"protected": True}, headers=ADMIN))
    await flag(client, "a", environments={"staging": {"enabled": True}})
    await flag(client, "b", environments={"staging": {"enabled": True}})
    headers = await editor(client)
    # When the editor promotes staging to production
    answer = await client.post("/environments/promote", json={"from": "staging", "to": "production"}, headers=headers)
    # Then one change request holds both edits, and nothing changed yet
    assert answer.status_code == 202, answer.text
    request = answer.json()
    assert sorted(change["flag"] for change in request["changes"]) == ["a", "b"]
    assert request["environments"] == ["production"]
    assert "production" not in ok(await client.get("/flags/a", headers=ADMIN))["environments"]
    # And once approved and applied, production evaluates as staging
    ok(await client.post(f"/change-requests/{request['id']}/approve", json={"text": "ok"}, headers=ADMIN))
    ok(await client.post(f"/change-requests/{request['id']}/apply", headers=ADMIN))
    assert ok(await client.get("/environments/compare?from=staging&to=production", headers=ADMIN))["flags"] == []


async def test_delete__confirmed__removes_its_overrides(client: httpx.AsyncClient) -> None:
    # Given a qa environment that one flag overrides
    ok(await client.post("/environments", json={"name": "qa"}, headers=ADMIN))
    await flag(client, "a", environments={"qa": {"enabled": True}, "staging": {"enabled": True}})
    # When its usage is asked, then it is deleted without confirmation
    usage = ok(await client.get("/environments/qa/usage", headers=ADMIN))
    unconfirmed = await client.delete("/environments/qa", headers=ADMIN)
    # Then the usage names the flag, and the unconfirmed delete is refused naming it
    assert usage == {"name": "qa", "protected": False, "flags": ["a"], "tokens": []}
    assert unconfirmed.status_code == 400
    assert "'a'" not in unconfirmed.json()["error"] and "(a)" in unconfirmed.json()["error"]
    # When it is deleted with confirm=qa
    assert (await client.delete("/environments/qa?confirm=qa", headers=ADMIN)).status_code == 204
    # Then it is gone with its override, the other overrides stay, and the deletion is audited
    listed = ok(await client.get("/environments", headers=ADMIN))["environments"]
    assert "qa" not in [env["name"] for env in listed]
    assert ok(await client.get("/flags/a", headers=ADMIN))["environments"] == {"staging": {"enabled": True}}
    assert any(e["entity"] == "environment" and e["action"] == "delete" for e in await audit(client))


async def test_delete__protected__refused_until_unprotected(client: httpx.AsyncClient) -> None:
    # Given production protected
    ok(await client.patch("/environments/production", json={"protected": True}, headers=ADMIN))
    # When it is deleted, confirmed
    refused = await client.delete("/environments/production?confirm=production", headers=ADMIN)
    # Then it is refused in plain words
    assert refused.status_code == 409
    assert "unprotect it first" in refused.json()["error"]


async def test_rename__keeps_overrides_place_and_protection(client: httpx.AsyncClient) -> None:
    # Given staging overridden by a flag, protected, and moved first
    await flag(client, "a", environments={"staging": {"enabled": True}})
    ok(await client.patch("/environments/staging", json={"protected": True, "order": 0}, headers=ADMIN))
    # When it is renamed preprod
    renamed = ok(await client.patch("/environments/staging", json={"name": "preprod"}, headers=ADMIN))
    # Then preprod is in its place, protected, and the override moved with it
    first = renamed["environments"][0]
    assert (first["name"], first["protected"]) == ("preprod", True)
    assert "staging" not in [env["name"] for env in renamed["environments"]]
    assert ok(await client.get("/flags/a", headers=ADMIN))["environments"] == {"preprod": {"enabled": True}}
    # And the rename is audited
    assert any(
        e["entity"] == "environment" and (e["after"] or {}).get("name") == "preprod" for e in await audit(client)
    )


async def test_rename__onto_existing__conflict(client: httpx.AsyncClient) -> None:
    # Given the defaults; When staging is renamed production
    answer = await client.patch("/environments/staging", json={"name": "production"}, headers=ADMIN)
    # Then it is refused, naming the clash
    assert answer.status_code == 409
    assert "production" in answer.json()["error"]


async def test_writes__unknown_environment__400_naming_known_ones(client: httpx.AsyncClient) -> None:
    # Given a flag
    await flag(client, "a")
    writes = [
        ("POST", "/flags", {"name": "b", "environments": {"prodution": {"enabled": True}}}),
        ("PATCH", "/flags/a", {"environments": {"prodution": {"enabled": True}}}),
        ("POST", "/flags/a/toggle?environment=prodution", None),
        ("PUT", "/api/admin/flags/a?environment=prodution", {"enabled": True}),
        (
            "POST",
            "/change-requests",
            {
                "title": "typo",
                "changes": [{"kind": "override", "flag": "a", "fields": {"environment": "prodution", "enabled": True}}],
            },
        ),
        ("POST", "/environments/promote", {"from": "staging", "to": "prodution"}),
        ("GET", "/environments/compare?from=prodution&to=staging", None),
    ]
    for method, url, body in writes:
        # When a write names an environment that does not exist
        answer = await client.request(method, url, json=body, headers=ADMIN)
        # Then it is refused, naming the known ones
        assert answer.status_code == 400, (url, answer.text)
        assert "'prodution' is not an environment" in answer.json()["error"], url
        assert "development, staging, production" in answer.json()["error"], url
    # And no such environment was created
    listed = ok(await client.get("/environments", headers=ADMIN))["environments"]
    assert [env["name"] for env in listed] == ["development", "staging", "production"]


async def test_set_override__unknown_environment__still_created(client: httpx.AsyncClient) -> None:
    # Given a flag; When the seed-compatible route sets an override in a new environment
    await flag(client, "a")
    answer = ok(await client.post("/flags/a/environments", json={"environment": "qa", "enabled": True}, headers=ADMIN))
    # Then the override is set and the environment exists
    assert answer["environments"] == {"qa": {"enabled": True}}
    listed = ok(await client.get("/environments", headers=ADMIN))["environments"]
    assert "qa" in [env["name"] for env in listed]


async def test_evaluate__unknown_environment_on_admin_surface__flag_own_and_says_so(client: httpx.AsyncClient) -> None:
    # Given a flag on by itself and off in production
    await flag(client, "a", enabled=True, environments={"production": {"enabled": False}})
    # When the admin evaluates it in a mistyped environment, and in a real one
    body = {"identifier": "u1", "environment": "prodution"}
    mistyped = ok(await client.post("/flags/a/evaluate", json=body, headers=ADMIN))
    real = ok(await client.post("/flags/a/evaluate", json={**body, "environment": "staging"}, headers=ADMIN))
    # Then the flag's own configuration answers, and the details say the environment is unknown
    assert mistyped["active"] is True
    assert mistyped["details"]["unknown_environment"] == "prodution"
    assert "the flag's own configuration was used" in mistyped["details"]["message"]
    assert "details" not in real


async def test_rename_delete__bound_token__moves_along_then_blocks_deletion(client: httpx.AsyncClient) -> None:
    # Given a client token bound to qa
    ok(await client.post("/environments", json={"name": "qa"}, headers=ADMIN))
    ok(await client.post("/tokens", json={"name": "qa-app", "role": "client", "environment": "qa"}, headers=ADMIN))
    # When qa is renamed testing
    ok(await client.patch("/environments/qa", json={"name": "testing"}, headers=ADMIN))
    # Then the token is bound to testing
    tokens = ok(await client.get("/tokens", headers=ADMIN))["tokens"]
    assert next(t for t in tokens if t["name"] == "qa-app")["environment"] == "testing"
    # When testing is deleted, confirmed
    refused = await client.delete("/environments/testing?confirm=testing", headers=ADMIN)
    # Then it is refused while the token is bound to it, naming the token
    assert refused.status_code == 409
    assert "qa-app" in refused.json()["error"]
    # And once the token is revoked, it goes
    assert (await client.delete("/tokens/qa-app", headers=ADMIN)).status_code in (200, 204)
    assert (await client.delete("/environments/testing?confirm=testing", headers=ADMIN)).status_code == 204
