"""OFREP over HTTP, on SQLite and on PostgreSQL (the `client` fixture: the whole app, raw layer first):
tokens, the context, every error in OFREP's shape and status, the ETag, bound tokens and coarse reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ADMIN, ADMIN_TOKEN, ok, serve
from vexil.api.app import create_app
from vexil.config import Settings

ONE = "/ofrep/v1/evaluate/flags/"
BULK = "/ofrep/v1/evaluate/flags"


async def token(client: httpx.AsyncClient, name: str, role: str = "client", environment: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "role": role} | ({"environment": environment} if environment else {})
    secret: str = ok(await client.post("/tokens", json=body, headers=ADMIN))["token"]
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def client_auth(client: httpx.AsyncClient) -> dict[str, str]:
    """A client token's headers, with a few flags in place."""
    flags = [
        {"name": "beta", "enabled": True},
        {"name": "half", "enabled": True, "rollout_percentage": 50},
        {
            "name": "theme",
            "enabled": True,
            "rollout_percentage": 0,
            "variants": [{"name": "light", "payload": {"bg": "#fff"}}, {"name": "dark", "payload": None}],
            "default_variant": "light",
            "rules": [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "dark"}],
        },
        {"name": "checkout", "enabled": False, "environments": {"production": {"enabled": True}}},
    ]
    for flag in flags:
        ok(await client.post("/flags", json=flag, headers=ADMIN))
    return bearer(await token(client, "ofrep-client"))


# --- answers --------------------------------------------------------------------------------------


async def test_single__each_role__value_reason_variant_metadata(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # Given a client, a server and the admin token
    server = bearer(await token(client, "ofrep-server", "server"))
    # When each asks for the same flags
    answers = [
        (await client.post(ONE + name, json={"context": {"targetingKey": "u1", "plan": "pro"}}, headers=auth)).json()
        for auth in (client_auth, server, ADMIN)
        for name in ("beta", "theme")
    ]
    # Then all get the same client answer: a boolean flag's `active`, a payload-less variant's name
    assert answers[:2] == answers[2:4] == answers[4:]
    assert answers[:2] == [
        {
            "key": "beta",
            "value": True,
            "reason": "STATIC",
            "variant": "on",
            "metadata": {"reason": "enabled", "active": True},
        },
        {
            "key": "theme",
            "value": "dark",
            "reason": "TARGETING_MATCH",
            "variant": "dark",
            "metadata": {"reason": "rule_match", "active": True},
        },
    ]


async def test_single__context_keys__identifier_environment_app_and_attributes(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # When the context names an environment, an attribute, and a user as a number and as its text
    in_production = await client.post(
        ONE + "checkout", json={"context": {"environment": "production"}}, headers=client_auth
    )
    light = await client.post(
        ONE + "theme", json={"context": {"targetingKey": "u", "plan": "free"}}, headers=client_auth
    )
    as_number = [
        (await client.post(ONE + "half", json={"context": {"targetingKey": key}}, headers=client_auth)).json()
        for key in (7, "7")
    ]
    # Then each is Vexil's context: the environment's override, the attribute's rule, one user
    assert (in_production.json()["value"], in_production.json()["reason"]) == (True, "STATIC")
    assert light.json() | {"metadata": None} == {
        "key": "theme",
        "value": {"bg": "#fff"},
        "reason": "SPLIT",
        "variant": "light",
        "metadata": None,
    }
    assert as_number[0] == as_number[1]


async def test_single__no_context_or_empty_body__empty_context(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # When the body has no context, or there is no body at all
    answers = [
        await client.post(ONE + "beta", json={}, headers=client_auth),
        await client.post(ONE + "beta", content=b"", headers=client_auth),
        await client.post(ONE + "beta", json={"context": None}, headers=client_auth),
    ]
    # Then the flag is evaluated for an empty context
    assert [(a.status_code, a.json()["value"]) for a in answers] == [(200, True)] * 3


async def test_bulk__every_flag__items_and_etag_then_304(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # When every flag is evaluated for a user, then again with the ETag it was given
    body = {"context": {"targetingKey": "u1", "plan": "pro"}}
    first = await client.post(BULK, json=body, headers=client_auth)
    again = await client.post(BULK, json=body, headers=client_auth | {"If-None-Match": first.headers["etag"]})
    other = await client.post(BULK, json={"context": {"targetingKey": "u1"}}, headers=client_auth)
    # Then the answer lists every flag, and the same answer is not sent twice
    assert [item["key"] for item in first.json()["flags"]] == ["beta", "checkout", "half", "theme"]
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", first.headers["etag"])
    assert other.status_code == 200 and other.headers["etag"] != first.headers["etag"]


async def test_bulk__flag_changes__new_etag(client: httpx.AsyncClient, client_auth: dict[str, str]) -> None:
    # Given an answer and its ETag
    body = {"context": {"targetingKey": "u1"}}
    first = await client.post(BULK, json=body, headers=client_auth)
    # When a flag changes
    ok(await client.post("/flags/beta/toggle", headers=ADMIN))
    after = await client.post(BULK, json=body, headers=client_auth | {"If-None-Match": first.headers["etag"]})
    # Then the old ETag no longer matches: the new answer comes
    assert after.status_code == 200
    assert {k: after.json()["flags"][0][k] for k in ("key", "value")} == {"key": "beta", "value": False}


async def test_targeting_key_missing__percentage_rollout_without_key__400_and_bulk_item(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # When a 50 % rollout is asked without a targeting key, alone and in bulk
    single = await client.post(ONE + "half", json={"context": {"plan": "pro"}}, headers=client_auth)
    empty_key = await client.post(ONE + "half", json={"context": {"targetingKey": ""}}, headers=client_auth)
    bulk = await client.post(BULK, json={"context": {}}, headers=client_auth)
    # Then its answer would be a random draw: TARGETING_KEY_MISSING, and the other flags are answered
    assert single.status_code == empty_key.status_code == 400
    assert single.json()["key"] == "half" and single.json()["errorCode"] == "TARGETING_KEY_MISSING"
    items = {item["key"]: item for item in bulk.json()["flags"]}
    assert items["half"]["errorCode"] == "TARGETING_KEY_MISSING" and "value" not in items["half"]
    assert items["beta"]["value"] is True


# --- errors ---------------------------------------------------------------------------------------


async def test_flag_not_found__404_in_ofrep_shape(client: httpx.AsyncClient, client_auth: dict[str, str]) -> None:
    response = await client.post(ONE + "nope", json={"context": {"targetingKey": "u1"}}, headers=client_auth)
    assert (response.status_code, response.json()) == (
        404,
        {"key": "nope", "errorCode": "FLAG_NOT_FOUND", "errorDetails": 'there is no flag named "nope"'},
    )


@pytest.mark.parametrize("path", [ONE + "beta", BULK])
async def test_tokens__none_or_unknown__401_general(client: httpx.AsyncClient, path: str) -> None:
    # When OFREP is asked without a token, and with one that does not exist (bare and as X-API-Key too)
    answers = [
        await client.post(path, json={"context": {}}, headers=headers)
        for headers in ({}, bearer("vx_unknown"), {"Authorization": "vx_unknown"}, {"X-API-Key": "vx_unknown"})
    ]
    # Then 401 in OFREP's shape, even though Vexil's own evaluation is open
    assert [a.status_code for a in answers] == [401] * 4
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers)
    assert all(a.json()["errorCode"] == "GENERAL" for a in answers)
    assert all(("key" in a.json()) is (path != BULK) for a in answers)
    assert answers[0].json()["errorDetails"] == "this needs a client token"
    assert answers[1].json()["errorDetails"] == "invalid token"


async def test_tokens__accepted_headers__x_api_key_and_bare(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    secret = client_auth["Authorization"].removeprefix("Bearer ")
    for headers in ({"X-API-Key": secret}, {"Authorization": secret}):
        assert (await client.post(ONE + "beta", json={}, headers=headers)).status_code == 200


async def test_token_before_body__huge_body_without_token__401_not_413(client: httpx.AsyncClient) -> None:
    response = await client.post(BULK, content=b"[" * (2 * 1024 * 1024))
    assert response.status_code == 401


async def test_body_limit__client_token__413_general(client: httpx.AsyncClient, client_auth: dict[str, str]) -> None:
    # Given a context past a client's 64 KiB
    body = orjson.dumps({"context": {"targetingKey": "u1", "blob": "x" * (70 * 1024)}})
    # When a client token sends it, and the admin token
    client_sent = await client.post(ONE + "beta", content=body, headers=client_auth)
    admin_sent = await client.post(ONE + "beta", content=body, headers=ADMIN)
    # Then the client is refused for its size, in OFREP's shape; the admin's limit is 1 MiB
    assert client_sent.status_code == 413 and client_sent.json()["errorCode"] == "GENERAL"
    assert admin_sent.status_code == 400 and admin_sent.json()["errorCode"] == "INVALID_CONTEXT"


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        (b"{oops", "PARSE_ERROR", "the body is not valid JSON"),
        (b'{"context": NaN}', "PARSE_ERROR", "the body is not valid JSON: NaN and Infinity are not JSON numbers"),
        (b"[1, 2]", "PARSE_ERROR", 'the body must be a JSON object such as {"context": {"targetingKey": "user-1"'),
        (b'"u1"', "PARSE_ERROR", "the body must be a JSON object"),
        (b'{"context": "u1"}', "INVALID_CONTEXT", 'context: use an object such as {"targetingKey": "user-1"'),
        (b'{"context": {"targetingKey": true}}', "INVALID_CONTEXT", "context.targetingKey: use a string or a whole"),
        (b'{"context": {"targetingKey": 7.5}}', "INVALID_CONTEXT", "context.targetingKey: use a string or a whole"),
        (b'{"context": {"targetingKey": ["u1"]}}', "INVALID_CONTEXT", "context.targetingKey: use a string or a whole"),
        (b'{"context": {"environment": 5}}', "INVALID_CONTEXT", "context.environment: use a string"),
        (b'{"context": {"app": {"name": "web"}}}', "INVALID_CONTEXT", "context.app: use a string"),
        (b'{"context": {"a": [[[[[[[[1]]]]]]]]}}', "INVALID_CONTEXT", "context: a context is nested at most 8 levels"),
    ],
)
@pytest.mark.parametrize("path", [ONE + "beta", BULK])
async def test_bad_input__ofrep_error_code_and_400(
    client: httpx.AsyncClient, client_auth: dict[str, str], path: str, body: bytes, code: str, details: str
) -> None:
    # When OFREP is sent a body it cannot read
    response = await client.post(path, content=body, headers=client_auth)
    # Then 400 with OFREP's error code and plain words, the flag's key on the single endpoint
    assert response.status_code == 400
    answer = response.json()
    assert answer["errorCode"] == code and answer["errorDetails"].startswith(details), answer
    assert answer.get("key") == ("beta" if path != BULK else None)


async def test_context_bound__too_many_keys__invalid_context(client: httpx.AsyncClient) -> None:
    body = {"context": {f"k{i}": i for i in range(1200)}}
    response = await client.post(BULK, json=body, headers=ADMIN)
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_CONTEXT")


async def test_bound_token__evaluates_in_its_environment__another_named_403(
    client: httpx.AsyncClient, client_auth: dict[str, str]
) -> None:
    # Given a client token bound to production, where `checkout` is on (off everywhere else)
    production = bearer(await token(client, "ofrep-production", environment="production"))
    # When it asks without an environment, naming its own, and naming another
    unnamed = await client.post(ONE + "checkout", json={"context": {"targetingKey": "u1"}}, headers=production)
    own = await client.post(
        BULK, json={"context": {"targetingKey": "u1", "environment": "production"}}, headers=production
    )
    other = await client.post(ONE + "checkout", json={"context": {"environment": "staging"}}, headers=production)
    other_bulk = await client.post(BULK, json={"context": {"environment": "staging"}}, headers=production)
    anonymous_user = await client.post(ONE + "checkout", json={"context": {"targetingKey": "u1"}}, headers=client_auth)
    # Then it evaluates in production, and naming another environment is refused in OFREP's shape
    assert unnamed.json()["value"] is True and anonymous_user.json()["value"] is False
    assert {item["key"]: item["value"] for item in own.json()["flags"]}["checkout"] is True
    assert (other.status_code, other.json()["errorCode"], other.json()["key"]) == (403, "GENERAL", "checkout")
    assert (other_bulk.status_code, other_bulk.json()["errorCode"]) == (403, "GENERAL")
    assert "bound to the environment 'production'" in other.json()["errorDetails"]


# --- coarse reasons -------------------------------------------------------------------------------


@pytest.fixture
async def coarse(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN, client_reasons="coarse")
    async with serve(create_app(settings)) as http:
        yield http


async def test_coarse_reasons__allowlist_and_rollout__same_reason_as_everyone(coarse: httpx.AsyncClient) -> None:
    # Given VEXIL_CLIENT_REASONS=coarse, a flag with an allowlist and a rollout, and a killed one
    flag = {"name": "gated", "enabled": True, "rollout_percentage": 100, "allowlist": {"vip": "on"}}
    ok(await coarse.post("/flags", json=flag, headers=ADMIN))
    ok(await coarse.post("/flags", json={"name": "killed"}, headers=ADMIN))
    # When the listed user and another ask, even with the admin token
    vip = (await coarse.post(ONE + "gated", json={"context": {"targetingKey": "vip"}}, headers=ADMIN)).json()
    user = (await coarse.post(ONE + "gated", json={"context": {"targetingKey": "u2"}}, headers=ADMIN)).json()
    killed = (await coarse.post(ONE + "killed", json={"context": {"targetingKey": "u2"}}, headers=ADMIN)).json()
    # Then both get the same bytes: nothing tells who is on the allowlist
    assert vip == user
    assert (vip["reason"], vip["metadata"]["reason"]) == ("TARGETING_MATCH", "targeting_match")
    assert (killed["reason"], killed["metadata"]["reason"]) == ("DISABLED", "disabled")
