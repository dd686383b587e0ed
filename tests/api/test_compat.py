"""The compatibility surfaces of docs/compatibility.md: seed 001's writes, seed 002's admin API and
its reasons on `POST /api/evaluate`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_TOKEN, ok
from vexil.api.seeds import SEED_REASONS
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


async def put(client: httpx.AsyncClient, path: str, body: Any, **headers: str) -> httpx.Response:
    return await client.put(path, json=body, headers={"x-admin-token": ADMIN_TOKEN, **headers})


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
    assert set(SEED_REASONS) == set(Reason)
    assert all(SEED_REASONS[reason] == SEED_REASONS[reason].upper() for reason in Reason)
    assert SEED_REASONS[Reason.RULE_MATCH] == "RULE_MATCH" and SEED_REASONS[Reason.ROLLOUT_EXCLUDED] == "NO_MATCH"


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


# --- seed 002: PUT /api/admin/flags/{id} ----------------------------------------------------------


async def test_seed002_put__flag_own_configuration__mapped_to_vexil_and_back(client: httpx.AsyncClient) -> None:
    # Given
    created = await create(client, "checkout")
    rules = [ACME, {"field": "id", "operator": "in", "value": ["user-42"]}]
    # When
    response = await put(
        client, "/api/admin/flags/checkout", {"enabled": True, "rolloutPercentage": 25, "rules": rules}
    )
    # Then the answer is seed 002's shape
    flag = ok(response)["flag"]
    assert flag == {
        "id": "checkout",
        "key": "checkout",
        "environment": None,
        "enabled": True,
        "rolloutPercentage": 25,
        "rules": rules,
        "version": 2,
        "createdAt": created["created_at"],
        "updatedAt": flag["updatedAt"],
    }
    # And the flag holds Vexil rules: one condition each, served `on`, `id` as `identifier`
    stored = ok(await client.get("/flags/checkout", headers=ADMIN))
    assert (stored["enabled"], stored["rollout_percentage"], stored["environments"]) == (True, 25, {})
    condition = {**ACME_VEXIL["conditions"][0], "field": "identifier", "operator": "in", "value": ["user-42"]}
    identifier_rule = {**ACME_VEXIL, "conditions": [condition]}
    assert stored["rules"] == [ACME_VEXIL, identifier_rule]
    assert stored["updated_at"] == flag["updatedAt"]


@pytest.mark.parametrize("where", ["query", "body"])
async def test_seed002_put__environment__changes_its_override_only(client: httpx.AsyncClient, where: str) -> None:
    # Given a flag on for everyone
    await create(client, "checkout", enabled=True)
    body: dict[str, Any] = {"rules": [ACME], "rolloutPercentage": 0}
    path = "/api/admin/flags/checkout"
    if where == "query":
        path += "?environment=production"
    else:
        body["environment"] = "production"
    # When
    flag = ok(await put(client, path, body))["flag"]
    # Then the answer shows production's configuration: its override over the flag
    assert (flag["environment"], flag["enabled"], flag["rolloutPercentage"], flag["rules"]) == (
        "production",
        True,
        0,
        [ACME],
    )
    stored = ok(await client.get("/flags/checkout", headers=ADMIN))
    assert (stored["rules"], stored["rollout_percentage"]) == ([], 100)
    assert stored["environments"] == {"production": {"rollout_percentage": 0, "rules": [ACME_VEXIL]}}
    # And evaluation follows: production only for acme, elsewhere everyone
    user = {"id": "u1", "email": "bob@example.com"}
    assert await evaluate(client, {"environment": "production", "user": user}) == {"checkout": "NO_MATCH"}
    assert await evaluate(client, {"environment": "staging", "user": user}) == {"checkout": "DEFAULT"}


async def test_seed002_put__null__unchanged_on_flag_inherited_in_override(client: httpx.AsyncClient) -> None:
    # Given a flag with an override in production
    await create(client, "checkout", rollout_percentage=30)
    await put(client, "/api/admin/flags/checkout?environment=production", {"rolloutPercentage": 10, "enabled": True})
    # When null is given for the flag itself, then for the override
    own = ok(await put(client, "/api/admin/flags/checkout", {"rolloutPercentage": None, "enabled": True}))["flag"]
    override = ok(await put(client, "/api/admin/flags/checkout?environment=production", {"rolloutPercentage": None}))
    # Then the flag keeps its percentage, and production takes the flag's again
    assert (own["rolloutPercentage"], own["enabled"]) == (30, True)
    assert override["flag"]["rolloutPercentage"] == 30
    stored = ok(await client.get("/flags/checkout", headers=ADMIN))
    assert stored["environments"] == {"production": {"enabled": True}}


async def test_seed002_put__two_environments__400(client: httpx.AsyncClient) -> None:
    await create(client, "checkout")
    response = await put(client, "/api/admin/flags/checkout?environment=staging", {"environment": "production"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("environment: given as 'staging' in the query and 'production'")


@pytest.mark.parametrize(
    ("sent", "vexil", "answered"),
    [
        ("equals", "eq", "equals"),
        ("eq", "eq", "equals"),
        ("not_equals", "neq", "not_equals"),
        ("neq", "neq", "not_equals"),
        ("startsWith", "starts_with", "startsWith"),
        ("starts_with", "starts_with", "startsWith"),
        ("endsWith", "ends_with", "endsWith"),
        ("contains", "contains", "contains"),
        ("not_contains", "not_contains", "not_contains"),  # a Vexil operator (gte would need a number)
    ],
)
async def test_seed002_put__operator_spellings__mapped_both_ways(
    client: httpx.AsyncClient, sent: str, vexil: str, answered: str
) -> None:
    # Given
    await create(client, "checkout")
    # When
    flag = ok(await put(client, "/api/admin/flags/checkout", {"rules": [{**ACME, "operator": sent}]}))["flag"]
    # Then
    assert flag["rules"] == [{**ACME, "operator": answered}]
    stored = ok(await client.get("/flags/checkout", headers=ADMIN))
    assert stored["rules"][0]["conditions"][0]["operator"] == vexil


async def test_seed002_put__rules_of_other_shapes__shown_as_vexil_stores_them(client: httpx.AsyncClient) -> None:
    # Given rules made through Vexil's own API: two conditions, a rollout of its own, negate
    two = {"conditions": [ACME_VEXIL["conditions"][0]] * 2, "rollout_percentage": 100, "serve": "on"}
    partial = {**ACME_VEXIL, "rollout_percentage": 50}
    negated = {**ACME_VEXIL, "conditions": [{**ACME_VEXIL["conditions"][0], "negate": True}]}
    await create(client, "checkout", rules=[two, partial, negated, ACME_VEXIL])
    # When
    flag = ok(await put(client, "/api/admin/flags/checkout", {"enabled": True}))["flag"]
    # Then
    assert flag["rules"] == [two, partial, negated, ACME]


async def test_seed002_put__multivariant_flag__rules_serve_first_non_default(client: httpx.AsyncClient) -> None:
    # Given a flag without an `on` variant, and one with `on` after another
    variants = [{"name": "control"}, {"name": "blue"}, {"name": "green"}]
    await create(client, "theme", variants=variants, default_variant="control")
    await create(client, "paid", variants=[{"name": "off"}, {"name": "trial"}, {"name": "on"}])
    # When
    theme = ok(await put(client, "/api/admin/flags/theme", {"enabled": True, "rolloutPercentage": 0, "rules": [ACME]}))
    paid = ok(await put(client, "/api/admin/flags/paid", {"enabled": True, "rules": [ACME]}))
    # Then each rule serves the variant that enables the flag, and reads back in seed shape
    assert theme["flag"]["rules"] == paid["flag"]["rules"] == [ACME]
    assert ok(await client.get("/flags/theme", headers=ADMIN))["rules"] == [{**ACME_VEXIL, "serve": "blue"}]
    assert ok(await client.get("/flags/paid", headers=ADMIN))["rules"] == [ACME_VEXIL]
    results = ok(await client.post("/api/evaluate", json={"user": {"id": "u", "email": "a@acme.com"}}))["results"]
    assert {(r["flagKey"], r["variant"], r["reason"]) for r in results} == {
        ("theme", "blue", "RULE_MATCH"),
        ("paid", "on", "RULE_MATCH"),
    }


async def test_seed002_put__flag_with_only_its_default_variant__rules_400(client: httpx.AsyncClient) -> None:
    await create(client, "single", variants=[{"name": "only"}])
    response = await put(client, "/api/admin/flags/single", {"rules": [ACME]})
    assert response.status_code == 400
    assert response.json() == {"error": "rules: flag 'single' has no variant besides its default for a rule to serve"}
    assert ok(await put(client, "/api/admin/flags/single", {"rules": []}))["flag"]["rules"] == []


async def test_seed002_put__unknown_flag__404(client: httpx.AsyncClient) -> None:
    response = await put(client, "/api/admin/flags/ghost", {"enabled": True})
    assert response.status_code == 404
    assert response.json() == {"error": "flag 'ghost' not found"}


@pytest.mark.parametrize("header", ["x-admin-token", "x-api-key", "authorization"])
async def test_seed002_put__each_token_header__accepted_and_audited_as_the_token(
    client: httpx.AsyncClient, header: str
) -> None:
    # Given an admin token of its own name
    await create(client, "checkout")
    secret = await token(client, "release-bot", "admin")
    value = f"Bearer {secret}" if header == "authorization" else secret
    # When
    ok(await client.put("/api/admin/flags/checkout", json={"enabled": True}, headers={header: value}))
    ok(
        await client.put(
            "/api/admin/flags/checkout?environment=staging", json={"enabled": False}, headers={header: value}
        )
    )
    # Then
    events = ok(await client.get("/audit?flag=checkout", headers=ADMIN))["events"]
    assert [(e["actor"], e["action"]) for e in events] == [
        ("release-bot", "override"),
        ("release-bot", "update"),
        ("admin", "create"),
    ]
    assert events[0]["after"]["environments"] == {"staging": {"enabled": False}}


async def test_seed002_put__no_token_401_before_the_body__non_admin_403(client: httpx.AsyncClient) -> None:
    # Given
    await create(client, "checkout")
    reader = await token(client, "reader", "server")
    browser = await token(client, "browser", "client")
    path = "/api/admin/flags/checkout"
    big = b'{"enabled": "' + b"x" * (1024 * 1024) + b'"}'
    # When / Then: without a valid editor token, whatever the body
    for body in (b'{"enabled": true}', b"{not json", big):
        response = await client.put(path, content=body)
        assert response.status_code == 401, response.text
        assert response.json() == {"error": "this needs an editor token"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await client.put(path, content=b"{}", headers={"x-admin-token": "nope"})).status_code == 401
    for secret in (reader, browser):
        assert (await client.put(path, content=b"{}", headers={"x-admin-token": secret})).status_code == 403
    # And with one, a body over the limit is a 413
    assert (await client.put(path, content=big, headers={"x-admin-token": ADMIN_TOKEN})).status_code == 413
    assert ok(await client.get("/flags/checkout", headers=ADMIN))["version"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rolloutPercentage": 150}, "rolloutPercentage: use a number from 0 to 100 with at most two decimals"),
        ({"rolloutPercentage": "50"}, "rolloutPercentage: use a number from 0 to 100 with at most two decimals"),
        ({"rolloutPercentage": 12.345}, "rolloutPercentage: use a number from 0 to 100 with at most two decimals"),
        ({"enabled": "yes"}, "enabled: use true or false"),
        ({"rules": {"field": "email"}}, "rules: use a list of rules such as"),
        (
            {"rules": [{"field": "email", "operator": "like", "value": "a"}]},
            "rules[0].operator: unknown operator 'like'",
        ),
        ({"rules": [{"field": "", "operator": "equals", "value": "a"}]}, "rules[0].field: use the context field"),
        (
            {"rules": [{"field": "plan", "operator": "in", "value": "pro"}]},
            "rules[0].conditions[0].value: in takes a list",
        ),
        ({"environment": "Prod"}, "environment: use lowercase letters"),
        (
            {"description": "x"},
            "description: this field is not known (known fields: enabled, environment, rolloutPercentage, rules)",
        ),
        ([1, 2], "the body must be a JSON object"),
    ],
)
async def test_seed002_put__bad_body__400_with_a_clear_message(
    client: httpx.AsyncClient, body: Any, message: str
) -> None:
    # Given
    await create(client, "checkout")
    # When
    response = await put(client, "/api/admin/flags/checkout", body)
    # Then
    assert response.status_code == 400
    assert response.json()["error"].startswith(message), response.text
    assert ok(await client.get("/flags/checkout", headers=ADMIN))["version"] == 1


async def test_seed002_put__malformed_json_or_bad_query__400(client: httpx.AsyncClient) -> None:
    await create(client, "checkout")
    malformed = await client.put("/api/admin/flags/checkout", content=b"{oops", headers={"x-admin-token": ADMIN_TOKEN})
    bad_query = await put(client, "/api/admin/flags/checkout?environment=Not%20A%20Name", {})
    assert (malformed.status_code, malformed.json()) == (400, {"error": "the body is not valid JSON"})
    assert bad_query.status_code == 400 and bad_query.json()["error"].startswith("environment: ")
