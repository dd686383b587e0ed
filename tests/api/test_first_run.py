"""First run: `/` sends a browser to the admin UI and answers JSON to API clients; a start prints one
short block (the URL, the UI's URL, where the admin token is), and Alembic's lines only with --verbose."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import ADMIN_ENV, LiveServer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.asyncio
async def test_root__browser__redirected_to_the_ui(client: httpx.AsyncClient) -> None:
    # When a browser asks for / (HTML first in its Accept header)
    response = await client.get("/", headers={"Accept": BROWSER_ACCEPT}, follow_redirects=False)
    # Then it is sent to the admin UI, and the UI is there
    assert (response.status_code, response.headers["location"]) == (307, "/ui/")
    ui = await client.get("/ui/")
    assert ui.status_code == 200 and "text/html" in ui.headers["content-type"]


@pytest.mark.asyncio
@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_root__api_client__answered_json(client: httpx.AsyncClient, accept: str | None) -> None:
    # When an API client (no Accept, JSON, or anything) asks for /
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/", headers=headers, follow_redirects=False)
    # Then it gets the service's JSON, with where the docs are
    assert response.status_code == 200
    assert response.json()["docs"] == "/docs"


def test_serve__first_start__prints_one_block_with_the_urls_and_the_token_file(
    live_server: Callable[..., LiveServer],
) -> None:
    # When a new server starts with no admin token configured
    server = live_server()
    output = server.output()
    # Then it prints where the API, its docs and the UI are, and the file holding the admin token
    assert f"API          {server.url}/   (docs: {server.url}/docs)" in output
    assert f"admin UI     {server.url}/ui/" in output
    assert f"admin token  {server.data_dir / 'admin-token'}" in output
    # And no line of Alembic's, of uvicorn's start or of the limits
    for noise in ("alembic", "Started server process", "Application startup complete", "limits:"):
        assert noise not in output, output
    # And the whole output is short: the new token's line and the block
    assert len(output.strip().splitlines()) <= 6, output


def test_serve__token_from_environment__says_so_without_showing_it(live_server: Callable[..., LiveServer]) -> None:
    # When a server starts with VEXIL_ADMIN_TOKEN set
    server = live_server(env=ADMIN_ENV)
    output = server.output()
    # Then the block names the variable, never the secret
    assert "admin token  the VEXIL_ADMIN_TOKEN environment variable" in output
    assert ADMIN_ENV["VEXIL_ADMIN_TOKEN"] not in output


def test_serve__verbose__shows_alembic_and_uvicorn_lines(live_server: Callable[..., LiveServer]) -> None:
    # When a new server starts with --verbose
    server = live_server("--verbose")
    output = server.output()
    # Then each migration step, uvicorn's start and the limits are logged, besides the block
    assert "alembic.runtime.migration" in output
    assert "Application startup complete" in output
    assert "limits:" in output
    assert f"admin UI     {server.url}/ui/" in output
