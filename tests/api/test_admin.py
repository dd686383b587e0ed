"""Segments, environments, audit, export and import through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN

EMPLOYEES = {"name": "employees", "conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com"}]}


async def test_segments__crud_and_used_by_a_flag(client: httpx.AsyncClient) -> None:
    # Given a segment and a flag targeting it
    assert (await client.post("/segments", json=EMPLOYEES, headers=ADMIN)).status_code == 201
    flag = {
        "name": "internal",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [{"conditions": [{"operator": "in_segment", "value": "employees"}]}],
    }
    assert (await client.post("/flags", json=flag, headers=ADMIN)).status_code == 201
    # When / Then: membership follows the segment's conditions, also after the segment changes
    employee = await client.post("/flags/internal/evaluate", json={"identifier": "u", "email": "ann@acme.com"})
    assert employee.json()["reason"] == "rule_match"
    patched = await client.patch(
        "/segments/employees",
        json={"conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.org"}]},
        headers=ADMIN,
    )
    assert patched.json()["version"] == 2
    moved = await client.post("/flags/internal/evaluate", json={"identifier": "u", "email": "ann@acme.com"})
    assert moved.json()["reason"] == "rollout_excluded"
    # And a segment in use cannot be deleted
    in_use = await client.delete("/segments/employees", headers=ADMIN)
    assert in_use.status_code == 409 and "internal" in in_use.json()["error"]
    await client.delete("/flags/internal", headers=ADMIN)
    assert (await client.delete("/segments/employees", headers=ADMIN)).status_code == 204
    assert (await client.get("/segments/employees", headers=ADMIN)).status_code == 404


async def test_segments__duplicate_and_invalid(client: httpx.AsyncClient) -> None:
    await client.post("/segments", json=EMPLOYEES, headers=ADMIN)
    assert (await client.post("/segments", json=EMPLOYEES, headers=ADMIN)).status_code == 409
    bad = {"name": "bad", "conditions": [{"field": "x", "operator": "in", "value": 3}]}
    assert (await client.post("/segments", json=bad, headers=ADMIN)).status_code == 400


async def test_audit__every_change_with_before_after_newest_first_and_paged(client: httpx.AsyncClient) -> None:
    await client.post("/flags", json={"name": "audited"}, headers=ADMIN)
    await client.post("/flags/audited/toggle", headers=ADMIN)
    await client.patch("/flags/audited", json={"description": "d"}, headers=ADMIN)
    page = (await client.get("/audit?flag=audited&limit=2", headers=ADMIN)).json()
    assert [e["action"] for e in page["events"]] == ["update", "toggle"]
    toggle = page["events"][1]
    assert (toggle["before"]["enabled"], toggle["after"]["enabled"]) == (False, True)
    assert toggle["entity"] == "flag" and toggle["entity_id"] == "audited" and toggle["actor"] == "admin"
    rest = (await client.get(f"/audit?flag=audited&limit=2&before_id={page['next_before_id']}", headers=ADMIN)).json()
    assert [e["action"] for e in rest["events"]] == ["create"]
    assert rest["events"][0]["before"] is None
    assert (await client.get("/audit?actor=somebody-else", headers=ADMIN)).json()["events"] == []
    assert len((await client.get("/audit?since=2000-01-01T00:00:00Z", headers=ADMIN)).json()["events"]) == 3


async def test_export_import__round_trip_restores_everything(client: httpx.AsyncClient) -> None:
    # Given some state
    await client.post("/segments", json=EMPLOYEES, headers=ADMIN)
    await client.post(
        "/flags",
        json={
            "name": "kept",
            "enabled": True,
            "apps": ["web"],
            "environments": {"staging": {"rollout_percentage": 10}},
        },
        headers=ADMIN,
    )
    exported = (await client.get("/export", headers=ADMIN)).json()
    # When everything changes, then the export is imported
    await client.delete("/flags/kept", headers=ADMIN)
    await client.post("/flags", json={"name": "intruder"}, headers=ADMIN)
    result = await client.post("/import", json=exported, headers=ADMIN)
    # Then the state is the exported one
    assert result.status_code == 200, result.text
    assert result.json()["flags"] == 1 and result.json()["segments"] == 1
    flags = (await client.get("/flags", headers=ADMIN)).json()["flags"]
    assert [f["name"] for f in flags] == ["kept"]
    assert flags[0]["environments"] == {"staging": {"rollout_percentage": 10}} and flags[0]["apps"] == ["web"]
    assert (await client.get("/flags/kept/evaluate?environment=production&app=web")).json()["active"] is True
    assert (await client.get("/flags/intruder/evaluate")).json()["reason"] == "flag_not_found"


async def test_import__invalid_file__nothing_changes(client: httpx.AsyncClient) -> None:
    await client.post("/flags", json={"name": "survivor"}, headers=ADMIN)
    bad_files: list[Any] = [
        {"flags": [{"name": "ok"}, {"name": "BAD NAME"}]},
        {"flags": [{"name": "twin"}, {"name": "twin"}]},
        {"flags": [{"name": "x", "rules": [{"conditions": [{"operator": "in_segment", "value": "missing"}]}]}]},
        {"flags": [{"name": "p", "prerequisites": [{"flag": "q"}]}, {"name": "q", "prerequisites": [{"flag": "p"}]}]},
        [1, 2, 3],
    ]
    for bad in bad_files:
        response = await client.post("/import", json=bad, headers=ADMIN)
        assert 400 <= response.status_code < 500, response.text
    assert [f["name"] for f in (await client.get("/flags", headers=ADMIN)).json()["flags"]] == ["survivor"]


async def test_environments__defaults_and_create(client: httpx.AsyncClient) -> None:
    names = [e["name"] for e in (await client.get("/environments", headers=ADMIN)).json()["environments"]]
    assert set(names) == {"development", "staging", "production"}
    assert (await client.post("/environments", json={"name": "qa"}, headers=ADMIN)).status_code == 201
    assert (await client.post("/environments", json={"name": "qa"}, headers=ADMIN)).status_code == 409
