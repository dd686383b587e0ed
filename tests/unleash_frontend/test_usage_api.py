"""`POST /api/client/register|metrics` and `/api/frontend/client/register|metrics` over real HTTP
against a real server: who may post, what is recorded, and bad input (docs/unleash-frontend.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import ok

from .conftest import Vexil

REGISTER = {
    "appName": "shop",
    "instanceId": "shop-1",
    "sdkVersion": "unleash-go-sdk:4.1.0",
    "strategies": ["default", "flexibleRollout"],
    "started": "2026-12-04T20:10:00.000Z",
    "interval": 60000,
    "connectionId": "0d6f1c4e",
    "platformName": "go",
}
BUCKET = {"start": "2026-12-04T20:10:00Z", "stop": "2026-12-04T20:11:00Z"}


def metrics(toggles: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"appName": "shop", "instanceId": "shop-1", "bucket": {**BUCKET, "toggles": toggles}, **fields}


def sdks(vexil: Vexil) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = ok(vexil.http.get("/sdks", params={"usage": "true"}))["sdks"]
    return listed


def test_client_register__server_token__202_and_listed(vexil: Vexil) -> None:
    # Given a server token
    key = {"Authorization": vexil.token("backend", "server")}
    # When an SDK registers
    answer = vexil.http.post("/api/client/register", headers=key, json=REGISTER)
    # Then 202, and it is listed
    assert (answer.status_code, answer.content) == (202, b"")
    [sdk] = sdks(vexil)
    assert {k: v for k, v in sdk.items() if k not in ("first_seen", "last_seen")} == {
        "app": "shop",
        "instance": "shop-1",
        "environment": None,
        "kind": "server",
        "sdk": "unleash-go-sdk",
        "sdk_version": "4.1.0",
        "flags": 0,
        "usage": {},
    }


def test_client_endpoints__client_token__403_and_none__401(vexil: Vexil) -> None:
    # Given
    client_key = {"Authorization": vexil.token("browser", "client")}
    url = vexil.server.url
    # When
    refused = [
        vexil.http.post(path, headers=client_key, json=body)
        for path, body in (("/api/client/register", REGISTER), ("/api/client/metrics", metrics({})))
    ]
    anonymous = httpx.post(url + "/api/client/metrics", json=metrics({}))
    frontend_anonymous = httpx.post(url + "/api/frontend/client/metrics", json=metrics({}))
    # Then nothing is recorded
    assert [r.status_code for r in refused] == [403, 403]
    assert refused[0].json() == {"error": "this needs a server token"}
    assert (anonymous.status_code, frontend_anonymous.status_code) == (401, 401)
    assert sdks(vexil) == []


def test_metrics__counts_added__known_flags_and_variants_only(vexil: Vexil) -> None:
    # Given a flag with variants, and a server SDK that already registered
    vexil.flag("theme", enabled=True, variants=[{"name": "dark"}, {"name": "light"}])
    key = {"Authorization": vexil.token("backend", "server")}
    ok(vexil.http.post("/api/client/register", headers=key, json=REGISTER))
    # When it posts metrics twice, naming unknown flags and variants too
    first = metrics({"theme": {"yes": 3, "no": 1, "variants": {"dark": 2, "sepia": 9}}, "ghost": {"yes": 5}})
    second = metrics({"theme": {"yes": 1, "variants": {"dark": 1, "light": 1, "disabled": 4}}})
    answers = [vexil.http.post("/api/client/metrics", headers=key, json=body) for body in (first, second)]
    # Then each is accepted, and the counts add up for the flag Vexil has and its variants
    assert [a.status_code for a in answers] == [202, 202]
    [sdk] = sdks(vexil)
    usage = sdk["usage"]["theme"]
    assert (usage["yes"], usage["no"], usage["variants"]) == (4, 1, {"dark": 3, "light": 1, "disabled": 4})
    assert (sdk["flags"], sdk["sdk"], usage["last_seen"]) == (1, "unleash-go-sdk", sdk["last_seen"])


def test_usage__environment__bound_token_else_what_the_client_says(vexil: Vexil) -> None:
    # Given a token bound to production and an unbound one
    bound = {"Authorization": vexil.token("prod-backend", "server", environment="production")}
    unbound = {"Authorization": vexil.token("browser", "client")}
    # When SDKs post naming an environment
    ok(vexil.http.post("/api/client/metrics", headers=bound, json=metrics({}, appName="a", environment="staging")))
    ok(
        vexil.http.post(
            "/api/frontend/client/metrics", headers=unbound, json=metrics({}, appName="b", environment="qa")
        )
    )
    ok(vexil.http.post("/api/frontend/client/register", headers=unbound, json={"appName": "c"}))
    # Then the bound token's environment wins, else the one named, else none
    assert [(s["app"], s["environment"], s["kind"], s["instance"]) for s in sdks(vexil)] == [
        ("a", "production", "server", "shop-1"),
        ("b", "qa", "frontend", "shop-1"),
        ("c", None, "frontend", "default"),
    ]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/client/register", {**REGISTER, "appName": None}, "appName: this field is required"),
        ("/api/client/register", {**REGISTER, "started": None}, "started: this field is required"),
        ("/api/client/register", {**REGISTER, "started": "yesterday"}, "started: use an ISO 8601 date and time"),
        ("/api/client/register", {**REGISTER, "interval": "60s"}, "interval: use a number of milliseconds"),
        ("/api/client/register", {**REGISTER, "appName": ["shop"]}, "appName: use a string of at most 200"),
        ("/api/client/register", {**REGISTER, "instanceId": "i" * 201}, "instanceId: use at most 200 characters"),
        ("/api/client/register", {**REGISTER, "appName": "a\nb"}, "appName: use printable characters"),
        ("/api/client/register", {**REGISTER, "strategies": "default"}, "strategies: use a list"),
        ("/api/client/register", [REGISTER], "the body must be a JSON object"),
        ("/api/client/metrics", metrics({"theme": {"yes": -1}}), "bucket.toggles.theme.yes: use a whole number"),
        ("/api/client/metrics", metrics({"theme": {"no": 1.5}}), "bucket.toggles.theme.no: use a whole number"),
        ("/api/client/metrics", metrics({"a b": {"yes": "3"}}), 'bucket.toggles["a b"].yes: use a whole number'),
        (
            "/api/client/metrics",
            metrics({"theme": {"variants": {"dark": True}}}),
            "bucket.toggles.theme.variants.dark:",
        ),
        ("/api/client/metrics", metrics({"theme": [1]}), "bucket.toggles.theme: use an object"),
        ("/api/client/metrics", {**metrics({}), "bucket": {"toggles": {}}}, "bucket.start: this field is required"),
        ("/api/client/metrics", {**metrics({}), "bucket": {**BUCKET}}, "bucket.toggles: this field is required"),
        ("/api/client/metrics", {**metrics({}), "bucket": "x"}, "bucket: use an object"),
        ("/api/client/metrics", metrics({f"f{i}": {} for i in range(5001)}), "bucket.toggles: report at most 5000"),
        ("/api/frontend/client/metrics", {"bucket": None}, "appName: this field is required"),
        ("/api/frontend/client/register", {"appName": 7}, "appName: use a string"),
    ],
)
def test_usage__bad_input__400_in_plain_words(shared_vexil: Vexil, path: str, body: Any, message: str) -> None:
    # Given an admin token (every role may post)
    # When
    answer = shared_vexil.http.post(path, json=body)
    # Then a 400 that says what is wrong, and nothing recorded
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(message), answer.json()
    assert sdks(shared_vexil) == []


def test_usage__body_over_the_client_limit__413(vexil: Vexil) -> None:
    # Given a client token, whose bodies are held to 64 KiB
    key = {"Authorization": vexil.token("browser", "client")}
    big = metrics({f"flag-{i}": {"yes": 1, "no": 1} for i in range(3000)})
    # When a browser posts more
    answer = vexil.http.post("/api/frontend/client/metrics", headers=key, json=big)
    # Then 413, while a server token may post it
    assert answer.status_code == 413
    assert vexil.http.post("/api/client/metrics", json=big).status_code == 202
