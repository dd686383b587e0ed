"""Unleash's browser SDK, unleash-proxy-client 3.8.2, unmodified, against a real Vexil server: what it
reads from `/api/frontend` is what Vexil's own `POST /flags/{name}/evaluate` answers, for several
hundred contexts across flags of every kind (docs/unleash-frontend.md)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import ok

from .conftest import NodeSession, Vexil, run_node

CONTEXTS = 300
POSTED = 60
# Flags on for every context (no targeting), and off for all (off, or on only in production).
ALWAYS_ON = {"bool-on", "colors"}
NEVER_ON = {"bool-off", "prod-only"}


def make_flags(vexil: Vexil) -> list[str]:
    """A flag of every kind: boolean on and off, rollouts, rules on properties (text, list, number,
    SemVer, regex, segment), variants with every kind of payload, splits, an allowlist, an app scope,
    a prerequisite."""
    ok(
        vexil.http.post(
            "/segments", json={"name": "adults", "conditions": [{"field": "age", "operator": "gte", "value": 18}]}
        )
    )
    on = {"serve": "on", "rollout_percentage": 100}
    colors = [
        {"name": "grey", "payload": None, "weight": 0},
        {"name": "blue", "payload": "navy", "weight": 3},
        {"name": "green", "payload": 42, "weight": 2},
        {"name": "red", "payload": {"hex": "#f00", "tags": ["warm", 1]}, "weight": 2},
        {"name": "yellow", "payload": True, "weight": 1},
        {"name": "purple", "payload": 2.5, "weight": 1},
    ]
    specs: dict[str, dict[str, Any]] = {
        "bool-on": {"enabled": True},
        "bool-off": {"enabled": False},
        "rollout-half": {"enabled": True, "rollout_percentage": 50},
        "rollout-fine": {"enabled": True, "rollout_percentage": 12.5},
        "plan-rule": {
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [
                {"conditions": [{"field": "plan", "operator": "eq", "value": "pro", "case_insensitive": True}], **on}
            ],
        },
        "country-rule": {
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [
                {
                    "conditions": [{"field": "country", "operator": "in", "value": ["NL", "BE"]}],
                    "serve": "on",
                    "rollout_percentage": 50,
                }
            ],
        },
        "version-rule": {
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"field": "appVersion", "operator": "semver_gt", "value": "2.0.0"}], **on}],
        },
        "email-rule": {
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"field": "email", "operator": "matches", "value": "@example\\.org$"}], **on}],
        },
        "segment-rule": {
            "enabled": True,
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"operator": "in_segment", "value": "adults"}], **on}],
        },
        "colors": {"enabled": True, "variants": colors, "default_variant": "grey"},
        "colors-by-plan": {
            "enabled": True,
            "variants": colors,
            "default_variant": "grey",
            "rollout_percentage": 0,
            "rules": [{"conditions": [{"field": "plan", "operator": "in", "value": ["pro", "team"]}], "serve": None}],
        },
        "allowed": {"enabled": True, "rollout_percentage": 0, "allowlist": {"user-3": "on", "user-17": "on"}},
        "web-only": {"enabled": True, "apps": ["web"]},
        "needs-plan": {"enabled": True, "prerequisites": [{"flag": "plan-rule", "active": True}]},
        "prod-only": {"enabled": False, "environments": {"production": {"enabled": True}}},
    }
    for name, fields in specs.items():
        vexil.flag(name, **fields)
    return list(specs)


def make_contexts(count: int) -> list[dict[str, Any]]:
    """Unleash contexts as an app gives them to the SDK: a userId, and properties of every kind."""
    plans, countries = ["pro", "free", "PRO", "team"], ["NL", "BE", "US", "DE", "FR"]
    contexts = []
    for i in range(count):
        properties = {
            "plan": plans[i % 4],
            "country": countries[i % 5],
            "age": str(10 + i % 50),
            "appVersion": ["1.9.0", "2.0.0", "2.1.0", "10.0.0-rc.1"][i % 4],
            "email": f"u{i}@example.{'org' if i % 3 else 'com'}",
        }
        context: dict[str, Any] = {"userId": f"user-{i}", "appName": "web" if i % 2 else "mobile"}
        if i % 7:
            context["properties"] = properties
        contexts.append(context)
    return contexts


def vexil_context(context: dict[str, Any]) -> dict[str, Any]:
    """The same context in Vexil's own words (docs/unleash-frontend.md, "Context")."""
    return {"identifier": context["userId"], "app": context["appName"], "attributes": context.get("properties", {})}


def decoded(payload: dict[str, str] | None) -> Any:
    """An Unleash payload `{type, value}` back as the JSON value it encodes."""
    if payload is None:
        return None
    return payload["value"] if payload["type"] == "string" else json.loads(payload["value"])


def expected(http: httpx.Client, flags: list[str], context: dict[str, Any]) -> list[dict[str, Any]]:
    answers = []
    for name in flags:
        result = ok(http.post(f"/flags/{name}/evaluate", json=vexil_context(context)))
        answers.append(
            {"name": name, "active": result["active"], "variant": result["variant"], "payload": result["payload"]}
        )
    return answers


def assert_same(seen: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    assert seen["enabled"] is wanted["active"], where
    variant = seen["variant"]
    if wanted["active"]:
        assert (variant["name"], variant["enabled"]) == (wanted["variant"], True), where
        assert decoded(variant["payload"]) == wanted["payload"], where
    else:
        assert (variant["name"], variant["enabled"], variant["payload"]) == ("disabled", False, None), where


def test_proxy_client__hundreds_of_contexts__reads_what_vexil_evaluates(vexil: Vexil) -> None:
    # Given flags of every kind, a client token, and 300 contexts
    flags = make_flags(vexil)
    key = vexil.token("browser", "client")
    contexts = make_contexts(CONTEXTS)
    # When the real browser SDK asks the frontend API for each (GET), and for some by POST
    job = {"url": vexil.server.url + "/api/frontend", "key": key, "appName": "web", "flags": flags}
    got = run_node("unleash_frontend.mjs", {"mode": "compare", **job, "contexts": contexts})[0]
    posted = run_node("unleash_frontend.mjs", {"mode": "compare", **job, "contexts": contexts[:POSTED], "post": True})[
        0
    ]
    # Then every isEnabled and getVariant is Vexil's own answer for that context
    with httpx.Client(base_url=vexil.server.url, timeout=10) as anonymous:
        for i, context in enumerate(contexts):
            wanted = expected(anonymous, flags, context)
            for seen, answer in zip(got["results"][i], wanted, strict=True):
                assert_same(seen, answer, f"GET {context} {answer}")
            if i < POSTED:
                for seen, answer in zip(posted["results"][i], wanted, strict=True):
                    assert_same(seen, answer, f"POST {context} {answer}")
    # and the answers were not all alike: each targeted flag was on for some contexts and off for
    # others, and the split served every variant that has a weight
    for index, name in enumerate(flags):
        states = {row[index]["enabled"] for row in got["results"]}
        assert states == {True} if name in ALWAYS_ON else {False} if name in NEVER_ON else {True, False}
    served = {row[flags.index("colors")]["variant"]["name"] for row in got["results"]}
    assert served == {"blue", "green", "red", "yellow", "purple"}
    # and asking again for the same context was answered 304 (the ETag the SDK kept)
    for run in (got, posted):
        assert [s["status"] for s in run["statuses"]][-1] == 304
        assert {s["status"] for s in run["statuses"]} == {200, 304}


def test_proxy_client__flag_switched_on__its_refresh_brings_it(vexil: Vexil) -> None:
    # Given a flag that is off, and the SDK polling every second
    vexil.flag("launch", enabled=False)
    key = vexil.token("browser", "client")
    session = NodeSession(
        "unleash_frontend.mjs",
        {
            "mode": "refresh",
            "url": vexil.server.url + "/api/frontend",
            "key": key,
            "appName": "web",
            "flag": "launch",
            "context": {"userId": "user-1"},
        },
    )
    try:
        assert session.read() == {"phase": "ready", "enabled": False}
        # When the flag is switched on
        ok(vexil.http.post("/flags/launch/toggle"))
        session.say("changed")
        # Then the SDK's own refresh brings it
        changed = session.read()
    finally:
        session.close()
    assert (changed["phase"], changed["enabled"]) == ("changed", True)
    statuses = [s["status"] for s in changed["statuses"]]
    assert statuses[0] == 200 and statuses[-1] == 200
