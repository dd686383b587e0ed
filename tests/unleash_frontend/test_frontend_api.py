"""`GET|POST /api/frontend` over real HTTP against a real server: tokens, the environment rule, the
context mapping, ETags, secrecy and bad input (docs/unleash-frontend.md)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import ok

from .conftest import Vexil


def toggles(response: httpx.Response) -> dict[str, Any]:
    """The answer's toggles by name."""
    assert response.status_code == 200, response.text
    return {toggle["name"]: toggle for toggle in response.json()["toggles"]}


def test_frontend__any_role__bare_authorization_accepted(vexil: Vexil) -> None:
    # Given an enabled flag and a token of each role
    vexil.flag("on", enabled=True)
    keys = [vexil.token(f"{role}-key", role) for role in ("client", "server", "admin")]
    # When each asks with the bare `Authorization: KEY` the SDKs send
    answers = [toggles(vexil.http.get("/api/frontend", headers={"Authorization": key})) for key in keys]
    # Then each is answered
    assert all(list(answer) == ["on"] for answer in answers)


def test_frontend__no_or_unknown_token__401(vexil: Vexil) -> None:
    # Given
    url = vexil.server.url + "/api/frontend"
    # When
    missing = httpx.get(url)
    unknown = httpx.post(url, headers={"Authorization": "vx_not_a_token"}, json={})
    # Then
    assert (missing.status_code, missing.json()) == (401, {"error": "this needs a client token"})
    assert (unknown.status_code, unknown.json()) == (401, {"error": "invalid token"})


def test_frontend__only_enabled_flags__in_unleash_shape(vexil: Vexil) -> None:
    # Given flags on and off, one with variants and payloads
    vexil.flag("off", enabled=False)
    vexil.flag("plain", enabled=True)
    variants = [{"name": "none", "weight": 0}, {"name": "blue", "payload": {"shade": "navy"}, "weight": 1}]
    vexil.flag("theme", enabled=True, variants=variants)
    key = vexil.token("browser", "client")
    # When
    answer = toggles(vexil.http.get("/api/frontend?userId=u1", headers={"Authorization": key}))
    # Then only the enabled ones are listed, with the variant Vexil served
    assert answer == {
        "plain": {
            "name": "plain",
            "enabled": True,
            "variant": {"name": "on", "enabled": True, "feature_enabled": True},
            "impressionData": False,
        },
        "theme": {
            "name": "theme",
            "enabled": True,
            "variant": {
                "name": "blue",
                "enabled": True,
                "feature_enabled": True,
                "payload": {"type": "json", "value": '{"shade":"navy"}'},
            },
            "impressionData": False,
        },
    }


def test_frontend__context_mapping__userid_appname_properties_and_fields(vexil: Vexil) -> None:
    # Given flags that read the identifier (allowlist), the app (scope) and attributes
    def rule(field: str, value: str) -> dict[str, Any]:
        condition = {"field": field, "operator": "eq", "value": value}
        return {"enabled": True, "rollout_percentage": 0, "rules": [{"conditions": [condition], "serve": "on"}]}

    vexil.flag("vip", enabled=True, rollout_percentage=0, allowlist={"user-7": "on"})
    vexil.flag("web-only", enabled=True, apps=["web"])
    vexil.flag("pro", **rule("plan", "pro"))
    vexil.flag("session", **rule("sessionId", "s-1"))
    vexil.flag("office", **rule("remoteAddress", "10.0.0.1"))
    vexil.flag("stray", **rule("tier", "gold"))
    key = {"Authorization": vexil.token("browser", "client")}
    query = "userId=user-7&appName=web&sessionId=s-1&remoteAddress=10.0.0.1&properties%5Bplan%5D=pro&tier=gold"
    body = {
        "context": {
            "userId": "user-7",
            "appName": "web",
            "sessionId": "s-1",
            "remoteAddress": "10.0.0.1",
            "tier": "gold",
            "properties": {"plan": "pro"},
        }
    }
    # When the context comes in the query string and in a POST body, and without any of it
    by_query = toggles(vexil.http.get(f"/api/frontend?{query}", headers=key))
    by_body = toggles(vexil.http.post("/api/frontend", headers=key, json=body))
    bare = toggles(vexil.http.get("/api/frontend?userId=user-8&appName=mobile&environment=default", headers=key))
    # Then every field reached the flag that reads it
    assert sorted(by_query) == sorted(by_body) == ["office", "pro", "session", "stray", "vip", "web-only"]
    assert bare == {}


def test_frontend__bound_token__its_environment_decides(vexil: Vexil) -> None:
    # Given a flag off except in production
    vexil.flag("launch", enabled=False, environments={"production": {"enabled": True}})
    bound = {"Authorization": vexil.token("prod-browser", "client", environment="production")}
    unbound = {"Authorization": vexil.token("browser", "client")}
    # When each asks, naming environments as SDKs do (`default`) or another one
    answers = {
        "bound, default": vexil.http.get("/api/frontend?userId=u&environment=default", headers=bound),
        "bound, development": vexil.http.post(
            "/api/frontend", headers=bound, json={"context": {"userId": "u", "environment": "development"}}
        ),
        "unbound, production": vexil.http.get("/api/frontend?userId=u&environment=production", headers=unbound),
        "unbound, none": vexil.http.post("/api/frontend", headers=unbound, json={"context": {"userId": "u"}}),
    }
    # Then the bound token evaluates in production whatever the context says (never a 403), and an
    # unbound one evaluates the flag's own configuration
    assert {name: list(toggles(response)) for name, response in answers.items()} == {
        "bound, default": ["launch"],
        "bound, development": ["launch"],
        "unbound, production": [],
        "unbound, none": [],
    }


def test_frontend__etag__304_until_the_answer_changes(vexil: Vexil) -> None:
    # Given
    vexil.flag("launch", enabled=True)
    key = {"Authorization": vexil.token("browser", "client")}
    first = vexil.http.get("/api/frontend?userId=u1", headers=key)
    etag = first.headers["etag"]
    # When asked again with the ETag, by GET and POST; then after a change
    again = vexil.http.get("/api/frontend?userId=u1", headers=key | {"If-None-Match": etag})
    posted = vexil.http.post("/api/frontend", headers=key | {"If-None-Match": etag}, json={"context": {"userId": "u1"}})
    ok(vexil.http.post("/flags/launch/toggle"))
    changed = vexil.http.get("/api/frontend?userId=u1", headers=key | {"If-None-Match": etag})
    # Then 304 with no body while the answer is the same, and the new answer after the change
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert (posted.status_code, posted.headers["etag"]) == (304, etag)
    assert (changed.status_code, changed.json()) == (200, {"toggles": []})
    assert changed.headers["etag"] != etag
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["access-control-expose-headers"] == "ETag"


def test_frontend__raw_bytes__no_rules_values_ids_or_percentages(vexil: Vexil) -> None:
    # Given flags whose targeting holds recognizable values
    ok(
        vexil.http.post(
            "/segments",
            json={
                "name": "insiders",
                "conditions": [{"field": "email", "operator": "ends_with", "value": "@segment-secret.example"}],
            },
        )
    )
    vexil.flag(
        "targeted",
        enabled=True,
        rollout_percentage=37.25,
        allowlist={"vip-user-4711": "on"},
        rules=[
            {
                "conditions": [{"field": "plan", "operator": "eq", "value": "secret-plan-xyz"}],
                "serve": "on",
                "rollout_percentage": 63.5,
            },
            {"conditions": [{"operator": "in_segment", "value": "insiders"}], "serve": "on"},
        ],
        environments={"production": {"rollout_percentage": 41.75, "allowlist": {"prod-vip-0815": "on"}}},
        salt="salty-secret-salt",
    )
    key = {"Authorization": vexil.token("browser", "client")}
    # When the frontend API answers users the targeting singles out, and others
    queries = [
        "userId=vip-other&properties%5Bplan%5D=secret-plan-xyz",
        "userId=someone&properties%5Bemail%5D=a%40segment-secret.example",
        "userId=nobody",
        "",
    ]
    raw = b"".join(vexil.http.get(f"/api/frontend?{query}", headers=key).content for query in queries)
    raw += vexil.http.post("/api/frontend", headers=key, json={"context": {"userId": "vip-user-4711"}}).content
    # Then none of the targeting leaves: no condition values, segment, allowlisted ids, percentages,
    # salts, reasons or rule vocabulary
    assert b'"targeted"' in raw
    for secret in (
        b"secret-plan-xyz",
        b"segment-secret",
        b"insiders",
        b"vip-user-4711",
        b"prod-vip-0815",
        b"37.25",
        b"63.5",
        b"41.75",
        b"salty",
        b"rule",
        b"allowlist",
        b"rollout",
        b"reason",
        b"condition",
        b"production",
    ):
        assert secret not in raw, secret


def test_frontend__bad_input__400_in_plain_words(vexil: Vexil) -> None:
    # Given
    key = {"Authorization": vexil.token("browser", "client")}
    bad_bodies = {
        "context: use an object such as": {"context": ["u"]},
        "context.properties: use an object of property names and values": {"context": {"properties": "pro"}},
        "context.userId: use a string or a whole number": {"context": {"userId": True}},
        "context.appName: use a string": {"context": {"appName": 5}},
    }
    # When
    answers = {
        expected: vexil.http.post("/api/frontend", headers=key, json=body) for expected, body in bad_bodies.items()
    }
    not_json = vexil.http.post("/api/frontend", headers=key, content=b"{nope")
    too_long = vexil.http.get("/api/frontend?userId=" + "x" * 20_000, headers=key)
    # Then each is a 400 whose message says what is wrong
    for expected, response in answers.items():
        assert response.status_code == 400 and response.json()["error"].startswith(expected), response.text
    assert (not_json.status_code, not_json.json()) == (400, {"error": "the body is not valid JSON"})
    assert too_long.status_code == 400 and too_long.json()["error"].startswith("userId: use strings of at most")


def test_frontend__browser_preflight__sdk_headers_allowed(vexil: Vexil) -> None:
    # Given the headers a browser's unleash-proxy-client sends from another origin
    sent = "authorization,unleash-sdk,unleash-appname,unleash-connection-id,if-none-match"
    # When the browser asks first (CORS preflight), then asks
    preflight = httpx.options(
        vexil.server.url + "/api/frontend",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": sent,
        },
    )
    key = vexil.token("browser", "client")
    answer = vexil.http.get("/api/frontend", headers={"Authorization": key, "Origin": "https://shop.example"})
    # Then both are allowed, and the ETag is readable by the page's script
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://shop.example")
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-expose-headers"] == "ETag"
