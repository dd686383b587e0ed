"""`POST /import/unleash` on SQLite and PostgreSQL: admin only, all or nothing, 400 for what cannot be
imported, 409 for names already taken, every creation audited."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import ADMIN
from tests.unleash_import.recorded import FIXTURES

EXPORT = (FIXTURES / "export.json").read_bytes()
REFUSED = (FIXTURES / "refused.json").read_bytes()
DEV_FEATURE = {
    "features": [{"name": "checkout"}],
    "featureEnvironments": [{"featureName": "checkout", "environment": "development", "enabled": True, "variants": []}],
    "featureStrategies": [
        {"featureName": "checkout", "name": "flexibleRollout", "parameters": {"rollout": "50", "groupId": "gr1"}}
    ],
}


async def state(client: httpx.AsyncClient) -> Any:
    return (await client.get("/export", headers=ADMIN)).json() | {"exported_at": None}


async def test_import_unleash__real_export__flags_segments_and_audit_created(client: httpx.AsyncClient) -> None:
    # Given the real Unleash export
    # When it is imported
    response = await client.post("/import/unleash", content=EXPORT, headers=ADMIN)
    # Then every feature is a flag, the segments they use exist, each creation is audited
    assert response.status_code == 201, response.text
    created = response.json()
    assert len(created["flags"]) == 34 and sorted(created["segments"]) == [
        "beta-testers",
        "northern-europe",
        "pro-plans",
    ]
    assert "segment 'Pro Plans' is named 'pro-plans' in Vexil" in created["warnings"]
    flag = (await client.get("/flags/rollout-group", headers=ADMIN)).json()
    assert flag["salt"] == "gr1" and set(flag["environments"]) == {"development", "production"}
    audit = (await client.get("/audit?limit=100", headers=ADMIN)).json()["events"]
    creations = {(e["entity"], e["entity_id"]) for e in audit if e["action"] == "create"}
    assert {("flag", name) for name in created["flags"]} <= creations
    assert ("segment", "pro-plans") in creations


async def test_import_unleash__a_name_taken__409_naming_it_and_nothing_written(client: httpx.AsyncClient) -> None:
    # Given a Vexil flag named like one of the Unleash features
    assert (await client.post("/flags", json={"name": "op-in"}, headers=ADMIN)).status_code == 201
    before = await state(client)
    # When the export is imported
    response = await client.post("/import/unleash", content=EXPORT, headers=ADMIN)
    # Then it is refused naming the flag, and nothing was written
    assert response.status_code == 409
    assert response.json() == {"error": "already exists: flag op-in"}
    assert await state(client) == before


async def test_import_unleash__features_vexil_cannot_reproduce__400_and_nothing_written(
    client: httpx.AsyncClient,
) -> None:
    before = await state(client)
    response = await client.post("/import/unleash", content=REFUSED, headers=ADMIN)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("7 problems, nothing imported: feature ref-date: ")
    assert (
        "feature Ref-Upper-Case: name: "
        in (await client.post("/import/unleash", content=json.dumps(_only("Ref-Upper-Case")), headers=ADMIN)).json()[
            "error"
        ]
    )
    assert await state(client) == before


def _only(feature: str) -> list[dict[str, Any]]:
    """refused.json narrowed to one feature."""
    documents: list[dict[str, Any]] = json.loads(REFUSED)
    for doc in documents:
        if "features" in doc:
            doc["features"] = [f for f in doc["features"] if f["name"] == feature]
            for key in ("featureEnvironments", "featureStrategies"):
                doc[key] = [item for item in doc[key] if item["featureName"] == feature]
    return documents


async def test_import_unleash__not_json_or_not_unleash__400_in_plain_words(client: httpx.AsyncClient) -> None:
    for body, says in [
        (b"{not json", "JSON"),
        (b'{"flags": []}', "is not an Unleash export"),
        (b"[1, 2]", "expected Unleash's export"),
        (b'{"features": "x"}', "'features' must be a list of objects"),
    ]:
        response = await client.post("/import/unleash", content=body, headers=ADMIN)
        assert response.status_code == 400, body
        assert says in response.json()["error"]


async def test_import_unleash__prerequisite_missing__400_naming_the_flag(client: httpx.AsyncClient) -> None:
    child = {**DEV_FEATURE, "dependencies": [{"feature": "checkout", "dependencies": [{"feature": "cart"}]}]}
    response = await client.post("/import/unleash", json=child, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["error"] == 'flag checkout: prerequisites[0].flag: there is no flag named "cart"'


async def test_import_unleash__not_admin__refused_before_the_body(client: httpx.AsyncClient) -> None:
    # Given a server token
    token = (await client.post("/tokens", json={"name": "feed", "role": "server"}, headers=ADMIN)).json()["token"]
    # When it (or no token) posts an import
    server = await client.post("/import/unleash", json=DEV_FEATURE, headers={"Authorization": token})
    anonymous = await client.post("/import/unleash", json=DEV_FEATURE)
    # Then 403 and 401, and no flag exists
    assert (server.status_code, anonymous.status_code) == (403, 401)
    assert (await client.get("/flags/checkout", headers=ADMIN)).status_code == 404


async def test_import_unleash__evaluated__in_the_exported_environment(client: httpx.AsyncClient) -> None:
    # Given a 50 % rollout hashed with groupId gr1 in development
    assert (await client.post("/import/unleash", json=DEV_FEATURE, headers=ADMIN)).status_code == 201
    # When a user whose Unleash bucket is 73 (docs/spec.md's vector "gr1:123") asks, in each environment
    dev = await client.post("/flags/checkout/evaluate", json={"identifier": "123", "environment": "development"})
    other = await client.post("/flags/checkout/evaluate", json={"identifier": "123", "environment": "production"})
    # Then off in development (73 > 50) as in Unleash, and off where the feature was not exported
    assert (dev.json()["active"], dev.json()["reason"]) == (False, "rollout_excluded")
    assert (other.json()["active"], other.json()["reason"]) == (False, "disabled")
