"""The browser client is served by Vexil itself, importable cross-origin as an ES module."""

from __future__ import annotations

import httpx


async def test_client_js__cross_origin_module_import__javascript_with_cors(client: httpx.AsyncClient) -> None:
    # Given a page on another origin importing the module
    headers = {"Origin": "http://app.example", "Sec-Fetch-Mode": "cors"}

    # When it fetches /web/client.js
    response = await client.get("/web/client.js", headers=headers)

    # Then it gets JavaScript it may execute, with validators for caching
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
    assert response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers
    assert "export function createClient" in response.text


async def test_web__unknown_file__404(client: httpx.AsyncClient) -> None:
    response = await client.get("/web/nope.js")
    assert response.status_code == 404
