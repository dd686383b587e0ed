"""The OpenAPI document says everything, and only what is true: every route's parameters, who may
call it (its security) and which errors it can answer (docs/api-docs.md)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN

pytestmark = pytest.mark.asyncio

REQUIRED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
OPTIONAL: list[dict[str, list[str]]] = [{}, {"bearer": []}, {"apiKey": []}]
# The management routes also take a signed-in person's session cookie (docs/people.md).
REQUIRED_OR_SESSION: list[dict[str, list[str]]] = [*REQUIRED, {"session": []}]
CONTEXT = {"identifier", "environment", "app", "attributes"}


async def _operations(client: httpx.AsyncClient) -> list[tuple[str, str, dict[str, Any]]]:
    schema = (await client.get("/openapi.json")).json()
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def _streams(operation: dict[str, Any]) -> bool:
    return "text/event-stream" in operation["responses"].get("200", {}).get("content", {})


async def test_openapi__every_route__declares_its_path_parameters_and_security(client: httpx.AsyncClient) -> None:
    # Given the server's OpenAPI document
    schema = (await client.get("/openapi.json")).json()
    # Then both token schemes are declared, so that Swagger UI's "Authorize" offers them
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert schema["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"
    assert schema["components"]["securitySchemes"]["session"] | {"description": ""} == {
        "type": "apiKey",
        "in": "cookie",
        "name": "vexil_session",
        "description": "",
    }
    for method, path, operation in await _operations(client):
        declared = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
        # And every `{param}` of every path is declared as a path parameter
        for name in re.findall(r"{([^}]+)}", path):
            assert (name, "path") in declared, f"{method} {path}: {name}"
        # And every route says who may call it: a token required, optional, or none read
        security = operation.get("security")
        assert security in (REQUIRED, REQUIRED_OR_SESSION, OPTIONAL, []), f"{method} {path}: {security}"
        # And no route lists FastAPI's 422: Vexil answers 400 for invalid input
        assert "422" not in operation["responses"], f"{method} {path}"


async def test_openapi__security__matches_what_the_server_does_without_a_token(client: httpx.AsyncClient) -> None:
    # Given every operation of the document
    for method, path, operation in await _operations(client):
        required = operation["security"] in (REQUIRED, REQUIRED_OR_SESSION)
        if _streams(operation) and not required:
            continue  # an open stream would stay open; its security is checked by the next test
        url = re.sub(r"{[^}]+}", "no_such_thing", path)
        # When it is called without a token (and with an empty JSON body where it takes one)
        body: dict[str, Any] | None = {} if "requestBody" in operation else None
        response = await client.request(method, url, json=body, follow_redirects=False)
        # Then a route that requires a token answers 401 and documents 401; any other route does not answer 401
        if required:
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert "401" in operation["responses"], f"{method} {path}"
        else:
            assert response.status_code != 401, f"{method} {path}: {response.text}"


async def test_openapi__errors__only_those_each_route_can_answer(client: httpx.AsyncClient) -> None:
    # Given the document's operations by method and path
    operations = {(method, path): operation for method, path, operation in await _operations(client)}

    def statuses(method: str, path: str) -> set[str]:
        return {status for status in operations[method, path]["responses"] if status[0] in "45"}

    # Then evaluating one flag by GET answers an unknown flag with 200 (no 404), reads no body (no 413)
    # and writes nothing (no 409)
    assert statuses("GET", "/flags/{name}/evaluate") == {"400", "401", "403"}
    # And its 401 is documented as happening only when the server requires client tokens
    assert (
        "VEXIL_REQUIRE_CLIENT_TOKEN" in operations["GET", "/flags/{name}/evaluate"]["responses"]["401"]["description"]
    )
    # And creating a flag reads a body (413) and may find it exists (409), but names nothing to find (no 404)
    assert statuses("POST", "/flags") == {"400", "401", "403", "409", "413", "503"}
    # And reading a flag may 404, but never 409 or 413
    assert statuses("GET", "/flags/{name}") == {"400", "401", "403", "404"}
    # And listing segments takes no parameters and no body: only the token can be refused
    assert statuses("GET", "/segments") == {"401", "403"}
    # And open routes that read no token list no error at all
    assert statuses("GET", "/operators") == set()
    assert statuses("GET", "/metrics") == set()
    # And the SDK stream needs a server token (or a person's session: the admin UI follows it);
    # OFREP any token, with its own error shape kept
    assert operations["GET", "/sdk/stream"]["security"] == REQUIRED_OR_SESSION
    ofrep = operations["POST", "/ofrep/v1/evaluate/flags/{key}"]
    assert ofrep["security"] == REQUIRED
    assert ofrep["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/OfrepFailure")


async def test_openapi__documented_errors__are_the_ones_answered(client: httpx.AsyncClient) -> None:
    # Given the document
    operations = {(method, path): operation for method, path, operation in await _operations(client)}
    # When a flag is created twice, read while missing, and a bad token is sent to the segment list
    created = await client.post("/flags", json={"name": "docs_twice"}, headers=ADMIN)
    twice = await client.post("/flags", json={"name": "docs_twice"}, headers=ADMIN)
    missing = await client.get("/flags/docs_missing", headers=ADMIN)
    client_token = (await client.post("/tokens", json={"name": "docs-client", "role": "client"}, headers=ADMIN)).json()
    refused = await client.get("/segments", headers={"Authorization": f"Bearer {client_token['token']}"})
    # Then each answer's status is one its route documents
    assert created.status_code == 201
    for (method, path), response in {
        ("POST", "/flags"): twice,
        ("GET", "/flags/{name}"): missing,
        ("GET", "/segments"): refused,
    }.items():
        assert str(response.status_code) in operations[method, path]["responses"], (method, path, response.text)
    assert (twice.status_code, missing.status_code, refused.status_code) == (409, 404, 403)


@pytest.mark.parametrize("path", ["/flags/{name}/evaluate", "/stream"])
async def test_openapi__context_parameters__all_declared(client: httpx.AsyncClient, path: str) -> None:
    # Given the GET operation of an endpoint that reads its context from the query string
    schema = (await client.get("/openapi.json")).json()
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
    # Then identifier, environment, app and the free-form attributes are all declared
    assert set(parameters) >= CONTEXT
    # And the attributes are an object whose keys are query parameters of their own
    attributes = parameters["attributes"]
    assert (attributes["schema"]["type"], attributes["style"], attributes["explode"]) == ("object", "form", True)


async def test_openapi__attributes_as_declared__reach_the_evaluation(client: httpx.AsyncClient) -> None:
    # Given a flag on for the pro plan only
    rule = {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "rollout_percentage": 100}
    flag = {"name": "docs_plan", "enabled": True, "rollout_percentage": 0, "rules": [rule]}
    assert (await client.post("/flags", json=flag, headers=ADMIN)).status_code == 201
    # When it is evaluated with the attribute sent as the document says (form, exploded: `plan=pro`)
    answer = await client.get("/flags/docs_plan/evaluate", params={"identifier": "u1", "plan": "pro"})
    # Then the attribute took part
    assert answer.json()["active"] is True
