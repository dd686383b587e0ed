"""The flag page's playground for signed-in people (docs/people.md, Roles; docs/evaluation.md):
`POST /flags/{name}/explain` answers what a context gets and why, for a viewer or above (a person's
session, or a server token and up), whether or not the server requires client tokens for evaluation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from tests.conftest import ADMIN, ok, serve
from tests.people.helpers import person_session
from tests.postgres import empty_database
from vexil.api.app import create_app
from vexil.config import Settings

ALLOWLISTED = {
    "name": "checkout",
    "enabled": True,
    "rollout_percentage": 0,
    "environments": {"production": {"rules": [{"conditions": [], "rollout_percentage": 100}]}},
}


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A server that requires a client token for every evaluation (VEXIL_REQUIRE_CLIENT_TOKEN)."""
    if settings.database_url:
        await empty_database(settings.database_url)
    async with serve(create_app(replace(settings, require_client_token=True))) as http:
        yield http


async def test_explain__viewer_session_while_client_tokens_required__answers_with_the_deciding_rule(
    strict: httpx.AsyncClient,
) -> None:
    # Given a server that requires client tokens, a flag with a rule in production, and a viewer signed in
    ok(await strict.post("/flags", json=ALLOWLISTED, headers=ADMIN))
    viewer = await person_session(strict, "vera@example.com", "viewer")
    body = {"identifier": "user-1", "environment": "production"}
    # When the viewer's playground asks what user-1 gets in production
    answer = ok(await strict.post("/flags/checkout/explain", json=body, headers=viewer.headers))
    # Then it answers with the reason and the deciding rule
    assert (answer["flag"], answer["active"], answer["reason"], answer["rule"]) == ("checkout", True, "rule_match", 0)
    # While evaluating without a token is still refused
    assert (await strict.post("/flags/checkout/evaluate", json=body, headers=viewer.headers)).status_code == 401


async def test_explain__unknown_environment__says_the_flags_own_configuration_answered(
    client: httpx.AsyncClient,
) -> None:
    # Given a flag, and an editor signed in
    ok(await client.post("/flags", json=ALLOWLISTED, headers=ADMIN))
    editor = await person_session(client, "ed@example.com", "editor")
    # When the playground names an environment that does not exist
    answer = ok(await client.post("/flags/checkout/explain", json={"environment": "prodution"}, headers=editor.headers))
    # Then the flag's own configuration answered, and the details say so
    assert answer["reason"] == "rollout_excluded" and answer["details"]["unknown_environment"] == "prodution"


@pytest.mark.parametrize(
    ("who", "status"),
    [("nobody", 401), ("client token", 403), ("session without csrf", 403)],
)
async def test_explain__caller_below_viewer_or_without_csrf__refused(
    strict: httpx.AsyncClient, who: str, status: int
) -> None:
    # Given a flag, a client token and a viewer signed in
    ok(await strict.post("/flags", json=ALLOWLISTED, headers=ADMIN))
    client_token = ok(await strict.post("/tokens", json={"name": "web", "role": "client"}, headers=ADMIN))["token"]
    viewer = await person_session(strict, "vera@example.com", "viewer")
    headers = {
        "nobody": {},
        "client token": {"authorization": f"Bearer {client_token}"},
        "session without csrf": viewer.cookie,
    }[who]
    # When that caller asks the playground
    response = await strict.post("/flags/checkout/explain", json={"identifier": "u"}, headers=headers)
    # Then it is refused in words
    assert response.status_code == status and response.json()["error"]


@pytest.mark.parametrize(
    ("body", "says"),
    [({"attributes": ["plan"]}, "attributes"), ({"identifier": {"id": 1}}, "identifier"), ([1], "")],
)
async def test_explain__bad_context__400_in_words(client: httpx.AsyncClient, body: object, says: str) -> None:
    # Given a flag and a viewer signed in
    ok(await client.post("/flags", json=ALLOWLISTED, headers=ADMIN))
    viewer = await person_session(client, "vera@example.com", "viewer")
    # When the playground sends a context that is not one
    response = await client.post("/flags/checkout/explain", json=body, headers=viewer.headers)
    # Then 400, naming what is wrong
    assert response.status_code == 400 and says in response.json()["error"]
