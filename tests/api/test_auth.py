"""Auth (docs/spec.md §4): writes need admin, configuration needs server, evaluation is open."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN, ADMIN_TOKEN
from vexil.api.app import create_app
from vexil.config import Settings


async def token(client: httpx.AsyncClient, name: str, role: str) -> str:
    response = await client.post("/tokens", json={"name": name, "role": role}, headers=ADMIN)
    assert response.status_code == 201, response.text
    secret: str = response.json()["token"]
    return secret


async def test_write__without_token__401(client: httpx.AsyncClient) -> None:
    response = await client.post("/flags", json={"name": "x"})
    assert response.status_code == 401
    assert response.json()["error"].startswith("this needs an editor token")


async def test_write__wrong_token__401(client: httpx.AsyncClient) -> None:
    response = await client.post("/flags", json={"name": "x"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid token"}


@pytest.mark.parametrize("role", ["server", "client"])
async def test_write__non_admin_token__403(client: httpx.AsyncClient, role: str) -> None:
    secret = await token(client, f"{role}-token", role)
    response = await client.post("/flags", json={"name": "x"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "x-admin-token"])
async def test_admin_token__every_accepted_header__works(client: httpx.AsyncClient, header: str) -> None:
    value = f"Bearer {ADMIN_TOKEN}" if header == "authorization" else ADMIN_TOKEN
    response = await client.post("/flags", json={"name": f"via-{header}"}, headers={header: value})
    assert response.status_code == 201


async def test_read_configuration__server_token_yes_client_token_no(client: httpx.AsyncClient) -> None:
    server = await token(client, "sdk", "server")
    browser = await token(client, "web", "client")
    assert (await client.get("/flags", headers={"x-api-key": server})).status_code == 200
    assert (await client.get("/flags", headers={"x-api-key": browser})).status_code == 403
    assert (await client.get("/flags")).status_code == 401
    assert (await client.get("/audit", headers={"x-api-key": browser})).status_code == 403
    assert (await client.get("/export")).status_code == 401


async def test_audit__actor_is_the_token_name(client: httpx.AsyncClient) -> None:
    deployer = await token(client, "deploy-bot", "admin")
    await client.post("/flags", json={"name": "by-bot"}, headers={"Authorization": f"Bearer {deployer}"})
    events = (await client.get("/audit?flag=by-bot", headers=ADMIN)).json()["events"]
    assert [e["actor"] for e in events] == ["deploy-bot"]


async def test_revoke__token_stops_working(client: httpx.AsyncClient) -> None:
    secret = await token(client, "short-lived", "admin")
    assert (await client.delete("/tokens/short-lived", headers=ADMIN)).status_code == 200
    response = await client.post("/flags", json={"name": "late"}, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


async def test_tokens__listing_never_shows_secrets(client: httpx.AsyncClient) -> None:
    secret = await token(client, "listed", "server")
    listing = (await client.get("/tokens", headers=ADMIN)).text
    audit = (await client.get("/audit", headers=ADMIN)).text
    assert secret not in listing and secret not in audit
    assert secret[10:] not in listing


async def test_evaluation__open_by_default(client: httpx.AsyncClient) -> None:
    assert (await client.get("/flags/anything/evaluate")).status_code == 200
    assert (await client.post("/evaluate", json={})).status_code == 200


async def test_evaluation__client_token_required_when_configured(tmp_path: Path) -> None:
    # Given a server that requires client tokens
    settings = Settings(data_dir=tmp_path, admin_token=ADMIN_TOKEN, require_client_token=True)
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            secret = await token(client, "browser", "client")
            # When / Then
            assert (await client.get("/flags/x/evaluate")).status_code == 401
            assert (await client.post("/evaluate", json={})).status_code == 401
            assert (await client.get("/flags/x/evaluate", headers={"x-api-key": secret})).status_code == 200


async def test_first_start__no_token_configured__admin_token_file_owner_only(tmp_path: Path) -> None:
    # Given no VEXIL_ADMIN_TOKEN
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        # Then a token was written, readable by its owner only, and it works
        secret = settings.admin_token_file.read_text().strip()
        assert stat.S_IMODE(settings.admin_token_file.stat().st_mode) == 0o600
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            ok = await client.post("/flags", json={"name": "first"}, headers={"Authorization": f"Bearer {secret}"})
            assert ok.status_code == 201
    # And a second start does not make another
    async with LifespanManager(create_app(settings)):
        assert settings.admin_token_file.read_text().strip() == secret


async def test_whoami__names_the_token_and_its_role(client: httpx.AsyncClient) -> None:
    server = await token(client, "sdk-reader", "server")
    assert (await client.get("/whoami", headers=ADMIN)).json() == {
        "kind": "token",
        "name": "admin",
        "role": "admin",
        "environment": None,
    }
    assert (await client.get("/whoami", headers={"x-api-key": server})).json() == {
        "kind": "token",
        "name": "sdk-reader",
        "role": "server",
        "environment": None,
    }
    assert (await client.get("/whoami")).status_code == 401
