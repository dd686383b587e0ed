"""`GET /api/client/features` and `GET /flags/{name}/unleash` over HTTP, on SQLite and PostgreSQL: who
may read them, the environment of the feed, ETag and 304, what `Unleash-Client-Spec` changes, and
how the flags left out are named."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ADMIN, ok

FEATURES = "/api/client/features"
MODERN = {"Unleash-Client-Spec": "5.2.0"}


async def secret(client: httpx.AsyncClient, name: str, role: str = "server", environment: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "role": role}
    if environment is not None:
        body["environment"] = environment
    token: str = ok(await client.post("/tokens", json=body, headers=ADMIN))["token"]
    return token


async def flag(client: httpx.AsyncClient, **fields: Any) -> None:
    ok(await client.post("/flags", json=fields, headers=ADMIN))


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["name"]: feature for feature in body["features"]}


async def test_client_features__tokens__server_and_admin_read_client_forbidden_none_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    # Given a server and a client token
    server = await secret(client, "sdk")
    browser = await secret(client, "web", "client")
    # When each asks for the feed, as Unleash SDKs send a token (bare Authorization)
    answers = {
        "none": await client.get(FEATURES),
        "client": await client.get(FEATURES, headers={"Authorization": browser}),
        "server": await client.get(FEATURES, headers={"Authorization": server}),
        "admin": await client.get(FEATURES, headers=ADMIN),
        "wrong": await client.get(FEATURES, headers={"Authorization": "vx_nope"}),
    }
    # Then
    assert {who: answer.status_code for who, answer in answers.items()} == {
        "none": 401,
        "client": 403,
        "server": 200,
        "admin": 200,
        "wrong": 401,
    }
    assert answers["client"].json() == {"error": "this needs a server token"}
    assert answers["server"].json()["version"] == 2


async def test_client_features__etag__304_until_a_change_then_new_body(client: httpx.AsyncClient) -> None:
    # Given a feed fetched once
    await flag(client, name="beta", enabled=True)
    first = await client.get(FEATURES, headers={**ADMIN, **MODERN})
    etag = first.headers["ETag"]
    # When fetched again with its ETag, then after a change
    again = await client.get(FEATURES, headers={**ADMIN, **MODERN, "If-None-Match": etag})
    ok(await client.post("/flags/beta/toggle", headers=ADMIN))
    changed = await client.get(FEATURES, headers={**ADMIN, **MODERN, "If-None-Match": etag})
    # Then: 304 without a body, then 200 with the flag off and a new ETag
    assert again.status_code == 304 and again.content == b""
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert by_name(first.json())["beta"]["enabled"] is True
    assert by_name(changed.json())["beta"]["enabled"] is False


async def test_client_features__bound_token__its_environment_unbound_the_flags_own(client: httpx.AsyncClient) -> None:
    # Given a flag off, but on in production
    await flag(client, name="checkout", enabled=False, environments={"production": {"enabled": True}})
    production = await secret(client, "sdk-prod", environment="production")
    unbound = await secret(client, "sdk-any")
    # When each fetches the feed (SDKs put their own environment, such as "default", in their context only)
    bound_feed = ok(await client.get(FEATURES, headers={"Authorization": production, **MODERN}))
    own_feed = ok(await client.get(FEATURES, headers={"Authorization": unbound, **MODERN}))
    # Then
    assert by_name(bound_feed)["checkout"]["enabled"] is True
    assert by_name(own_feed)["checkout"]["enabled"] is False


async def test_client_features__client_spec__segments_global_from_4_2_inlined_before(client: httpx.AsyncClient) -> None:
    # Given a segment used by a rule
    segment = {"name": "pro", "conditions": [{"field": "plan", "operator": "in", "value": ["pro"]}]}
    ok(await client.post("/segments", json=segment, headers=ADMIN))
    rule = {"conditions": [{"operator": "in_segment", "value": "pro"}], "serve": "on"}
    await flag(client, name="pro-only", enabled=True, rollout_percentage=0, rules=[rule])
    # When a client of 4.2.0 and one of 4.1.0 fetch the feed
    modern = ok(await client.get(FEATURES, headers={**ADMIN, "Unleash-Client-Spec": "4.2.0"}))
    older = ok(await client.get(FEATURES, headers={**ADMIN, "Unleash-Client-Spec": "4.1.0"}))
    # Then: a global segment referred to by id, or its constraints in the strategy
    constraint = {
        "contextName": "plan",
        "operator": "IN",
        "values": ["pro"],
        "inverted": False,
        "caseInsensitive": False,
    }
    assert modern["segments"] == [{"id": 1, "name": "pro", "constraints": [constraint]}]
    assert by_name(modern)["pro-only"]["strategies"][0]["segments"] == [1]
    assert "segments" not in older
    assert by_name(older)["pro-only"]["strategies"][0]["constraints"] == [constraint]


async def test_client_features__older_client_spec__flags_it_cannot_evaluate_left_out(client: httpx.AsyncClient) -> None:
    # Given a boolean flag, a flag with variants, one with a prerequisite and one with a text operator
    await flag(client, name="plain", enabled=True, rollout_percentage=30)
    await flag(client, name="colours", enabled=True, variants=[{"name": "red"}, {"name": "blue"}])
    await flag(client, name="child", enabled=True, prerequisites=[{"flag": "plain"}])
    ends = {"field": "email", "operator": "ends_with", "value": "@acme.com"}
    await flag(client, name="staff", enabled=True, rules=[{"conditions": [ends], "serve": "on"}])
    # When clients of several levels fetch the feed (no header: the oldest)
    served = {}
    for spec in (None, "4.1.0", "4.3.0", "4.5.0", "not a version"):
        headers = {**ADMIN, **({"Unleash-Client-Spec": spec} if spec else {})}
        served[spec] = sorted(by_name(ok(await client.get(FEATURES, headers=headers))))
    # Then each gets what it can evaluate exactly
    assert served == {
        None: ["plain"],
        "4.1.0": ["plain", "staff"],
        "4.3.0": ["colours", "plain", "staff"],
        "4.5.0": ["child", "colours", "plain", "staff"],
        "not a version": ["plain"],
    }
    response = await client.get(FEATURES, headers={**ADMIN, "Unleash-Client-Spec": "4.3.0"})
    assert "child: has prerequisite `plain`" in response.headers["Vexil-Left-Out"]
    assert "4.5.0" in response.headers["Vexil-Left-Out"]


async def test_client_features__many_flags_left_out__header_bounded_and_counted(client: httpx.AsyncClient) -> None:
    # Given 200 flags using `matches`
    regex = {"field": "email", "operator": "matches", "value": "^a"}
    for index in range(200):
        await flag(client, name=f"regex-{index:03}", enabled=True, rules=[{"conditions": [regex], "serve": "on"}])
    # When the feed is fetched
    response = await client.get(FEATURES, headers={**ADMIN, **MODERN})
    # Then the header names the first ones, says how many more, and stays within 4 KiB
    named = response.headers["Vexil-Left-Out"]
    assert response.headers["Vexil-Left-Out-Count"] == "200"
    assert named.startswith("regex-000: rule 1 uses `matches`")
    assert len(named.encode()) <= 4096 and "more: GET /flags/{name}/unleash says why" in named
    assert response.json()["features"] == []


async def test_flag_unleash__per_environment__served_or_why_not(client: httpx.AsyncClient) -> None:
    # Given a flag expressible in its own configuration, but rolled out to 12.5 % in production
    await flag(client, name="half", enabled=True, environments={"production": {"rollout_percentage": 12.5}})
    production = await secret(client, "sdk-prod", environment="production")
    # When admin and a production-bound server token ask
    every = ok(await client.get("/flags/half/unleash", headers=ADMIN))
    bound = ok(await client.get("/flags/half/unleash", headers={"Authorization": production}))
    # Then
    environments = {item["environment"]: item for item in every["environments"]}
    assert environments[None] == {"environment": None, "served": True, "reason": None}
    assert environments["staging"]["served"] is True
    assert environments["production"] == {
        "environment": "production",
        "served": False,
        "reason": "the rollout rolls out to 12.5 %, and Unleash SDKs roll out whole percentages only",
    }
    assert bound == {"flag": "half", "environments": [environments["production"]]}


async def test_flag_unleash__unknown_flag_or_client_token__404_and_403(client: httpx.AsyncClient) -> None:
    # Given a flag and a client token
    browser = await secret(client, "web", "client")
    await flag(client, name="known", enabled=True)
    # When an unknown flag is asked for, and the client token asks
    missing = await client.get("/flags/nope/unleash", headers=ADMIN)
    forbidden = await client.get("/flags/known/unleash", headers={"Authorization": browser})
    # Then
    assert missing.status_code == 404 and missing.json() == {"error": "flag 'nope' not found"}
    assert forbidden.status_code == 403
