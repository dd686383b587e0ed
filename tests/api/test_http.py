"""The HTTP surface itself: JSON errors, size limits, discovery, docs, CORS, health, metrics."""

from __future__ import annotations

import httpx

from tests.conftest import ADMIN


async def test_unknown_path__json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


async def test_wrong_method__json_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/flags")
    assert response.status_code == 405
    assert "error" in response.json()


async def test_body_over_one_mib__413_on_every_kind_of_endpoint(client: httpx.AsyncClient) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    for path in ("/flags", "/evaluate", "/flags/x/evaluate", "/flags/check", "/segments"):
        response = await client.post(path, content=big, headers=ADMIN)
        assert response.status_code == 413, path
        assert "error" in response.json()
    assert (await client.get("/flags", headers=ADMIN)).json() == {"flags": []}


async def test_root__lists_endpoints(client: httpx.AsyncClient) -> None:
    body = (await client.get("/")).json()
    assert body["service"] == "vexil"
    for endpoint in (
        "GET /health",
        "POST /flags",
        "PATCH /flags/{name}",
        "POST /evaluate",
        "GET /audit",
        "POST /flags/check",
        "POST /api/evaluate",
        "GET /export",
        "POST /import",
        "GET /segments",
    ):
        assert endpoint in body["endpoints"]


async def test_openapi_and_docs__served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert {"/flags", "/flags/{name}", "/flags/{name}/evaluate", "/evaluate", "/flags/check"} <= set(schema["paths"])
    assert (await client.get("/docs")).status_code == 200


async def test_cors__on_api_and_fast_path(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "http://app.example"}
    assert (await client.get("/health", headers=origin)).headers["access-control-allow-origin"] == "*"
    assert (await client.get("/flags/x/evaluate", headers=origin)).headers["access-control-allow-origin"] == "*"
    preflight = await client.options(
        "/evaluate",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    await client.post("/flags", json={"name": "counted"}, headers=ADMIN)
    await client.get("/flags/counted/evaluate")
    health = (await client.get("/health")).json()
    assert health["status"] == "ok" and health["storage"] == "ok" and health["flags"] == 1
    metrics = (await client.get("/metrics")).text
    assert "vexil_flags 1" in metrics
    assert "vexil_evaluations_total 1" in metrics


async def test_import__larger_limit_than_other_bodies(client: httpx.AsyncClient) -> None:
    # Given an export bigger than 1 MiB (long descriptions)
    flags = [{"name": f"f{i}", "description": "d" * 9000} for i in range(150)]
    body = {"version": 1, "flags": flags, "segments": [], "environments": []}
    # When / Then it is accepted by /import
    response = await client.post("/import", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["flags"] == 150


async def test_json_body__without_or_with_a_form_content_type__read_as_json(client: httpx.AsyncClient) -> None:
    # Given what `curl -d` sends: a JSON body labelled as a form
    form = {**ADMIN, "content-type": "application/x-www-form-urlencoded"}
    # When / Then it is read as JSON, on FastAPI routes and on the fast path alike
    created = await client.post("/flags", content=b'{"name": "curl-made", "enabled": true}', headers=form)
    assert created.status_code == 201, created.text
    evaluated = await client.post("/flags/curl-made/evaluate", content=b'{"identifier": "u"}', headers=form)
    assert evaluated.json()["active"] is True
