"""Usage counting against a real `vexil serve` process (docs/usage.md): every server surface and the
Unleash SDKs' metrics arrive in `GET /flags/{name}/usage`, answers served again from the answer
cache count too, SIGTERM flushes what was counted before the process exits, and what clients report
to two replicas on one PostgreSQL adds up."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.api.sse import SseStream
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, admin_client, ok
from tests.sdk.fakes import wait_for
from vexil.sdk import Client

THEME = {
    "name": "theme",
    "enabled": True,
    "variants": [{"name": "light", "weight": 0}, {"name": "dark", "weight": 1}],
}
BUCKET = {"start": "2026-12-04T20:10:00Z", "stop": "2026-12-04T20:11:00Z"}


def usage(admin: httpx.Client, flag: str, **params: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(admin.get(f"/flags/{flag}/usage", params=params))
    return found


def client_token(admin: httpx.Client) -> dict[str, str]:
    secret = ok(admin.post("/tokens", json={"name": "browser", "role": "client"}))["token"]
    return {"Authorization": secret}


def test_usage__every_surface__counted_by_source_variant_environment_and_app(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server with a flag that serves `dark`, and a client token
    server = live_server(env=ADMIN_ENV)
    admin = admin_client(server)
    ok(admin.post("/flags", json=THEME))
    client = client_token(admin)
    anonymous = httpx.Client(base_url=server.url, timeout=10)
    # When each surface evaluates it
    for _ in range(3):  # the same request three times: the repeats are answered from the answer cache
        ok(anonymous.get("/flags/theme/evaluate", params={"identifier": "u1", "environment": "production"}))
    ok(anonymous.post("/evaluate", json={"identifier": "u2", "app": "web", "flags": ["theme"]}))
    ok(anonymous.post("/flags/check", json={"name": "theme", "identifier": "u3"}))
    ok(anonymous.post("/api/evaluate", json={"environment": "staging", "user": {"id": "u4"}}))
    ok(anonymous.post("/ofrep/v1/evaluate/flags/theme", headers=client, json={"context": {"targetingKey": "u5"}}))
    ok(anonymous.post("/ofrep/v1/evaluate/flags", headers=client, json={"context": {"targetingKey": "u6"}}))
    ok(anonymous.get("/api/frontend", headers=client, params={"userId": "u7"}))
    toggles = {"theme": {"yes": 4, "no": 1, "variants": {"dark": 3}}, "ghost": {"yes": 9}}
    metrics = {"appName": "shop", "instanceId": "shop-1", "environment": "qa", "bucket": {**BUCKET, "toggles": toggles}}
    ok(admin.post("/api/client/metrics", json=metrics))
    # Then every evaluation is counted, by surface, variant, environment and app
    found = usage(admin, "theme")
    assert found["by_source"] == {"bulk": 1, "compat": 2, "frontend": 1, "ofrep": 2, "sdk": 5, "server": 3}
    assert found["total"] == 14
    assert found["by_variant"] == {"": 2, "dark": 12}
    assert found["by_environment"] == {"": 5, "production": 3, "qa": 5, "staging": 1}
    assert found["by_app"] == {"": 8, "shop": 5, "web": 1}
    assert found["last_seen"] is not None
    assert sum(point["count"] for point in found["series"]) == 14
    # And a flag nobody asked for is not counted, and unknown flags are not kept
    assert ok(admin.get("/usage"))["flags"]["theme"]["total"] == 14
    assert "ghost" not in ok(admin.get("/usage"))["flags"]


def test_usage__sigterm__counts_flushed_before_exit(live_server: Callable[..., LiveServer]) -> None:
    # Given a server that evaluated a flag five times
    server = live_server(env=ADMIN_ENV)
    admin = admin_client(server)
    ok(admin.post("/flags", json=THEME))
    for i in range(5):
        ok(httpx.get(f"{server.url}/flags/theme/evaluate", params={"identifier": f"u{i}"}))
    # When it is sent SIGTERM and started again on the same data
    assert server.stop(signal.SIGTERM) in {0, -signal.SIGTERM}
    again = live_server(env=ADMIN_ENV, data_dir=server.data_dir)
    # Then the five evaluations were saved
    found = ok(httpx.get(f"{again.url}/flags/theme/usage", headers=ADMIN))
    assert found["total"] == 5 and found["by_source"] == {"server": 5}


def test_usage__client_stream__snapshot_and_updates_counted(live_server: Callable[..., LiveServer]) -> None:
    # Given a server with a flag, and a client stream open on it
    server = live_server(env=ADMIN_ENV)
    admin = admin_client(server)
    ok(admin.post("/flags", json=THEME))
    with SseStream(f"{server.url}/stream?identifier=u1&environment=production") as stream:
        assert stream.next_data().event == "snapshot"
        # When the flag changes so that the stream is sent an update
        ok(admin.patch("/flags/theme", json={"enabled": False}))
        assert stream.next_data().event == "update"
    # Then the snapshot and the update each count, as the stream's
    found = usage(admin, "theme")
    assert found["by_source"] == {"stream": 2}
    assert found["by_variant"] == {"dark": 1, "light": 1}
    assert found["by_environment"] == {"production": 2}


def test_usage__client_reports_to_two_replicas_on_postgres__add_up(
    live_server: Callable[..., LiveServer], postgres_database: str, tmp_path: Path
) -> None:
    # Given two replicas on one PostgreSQL database, flushing every second, and a flag both know
    env = {**ADMIN_ENV, "VEXIL_DATABASE_URL": postgres_database, "VEXIL_SYNC_INTERVAL": "1"}
    env["VEXIL_USAGE_FLUSH_SECONDS"] = "1"
    first = live_server(env=env, data_dir=tmp_path / "first")
    second = live_server(env=env, data_dir=tmp_path / "second")
    admin = admin_client(first)
    flag = f"theme-{first.url.rsplit(':', 1)[1]}"  # the database is the module's: a name of this test's own
    ok(admin.post("/flags", json={**THEME, "name": flag}))
    assert wait_for(lambda: httpx.get(f"{second.url}/flags/{flag}", headers=ADMIN).status_code == 200, timeout=15)
    server_token = ok(admin.post("/tokens", json={"name": "sdk", "role": "server"}))["token"]
    # When a Python SDK evaluating locally reports to the first, and a browser and an Unleash SDK to the second
    with Client(first.url, token=server_token, mode="local", environment="production", app="shop") as sdk:
        assert sdk.wait_until_ready(10)
        for _ in range(2):
            sdk.is_enabled(flag, {"identifier": "u1"})
    reads = {"appName": "web", "bucket": {**BUCKET, "toggles": {flag: {"yes": 3, "variants": {"dark": 3}}}}}
    assert httpx.post(f"{second.url}/usage/reads", json=reads).status_code == 202
    metrics = {"appName": "api", "bucket": {**BUCKET, "toggles": {flag: {"yes": 4, "variants": {"dark": 4}}}}}
    ok(httpx.post(f"{second.url}/api/client/metrics", json=metrics, headers={"Authorization": server_token}))
    # Then either replica answers the sum, each source apart
    for replica in (first, second):
        assert wait_for(lambda r=replica: usage_of(r, flag)["total"] == 9, timeout=15), usage_of(replica, flag)
        found = usage_of(replica, flag)
        assert found["by_source"] == {"client": 3, "sdk": 6}
        assert found["by_app"] == {"api": 4, "shop": 2, "web": 3}


def usage_of(server: LiveServer, flag: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(httpx.get(f"{server.url}/flags/{flag}/usage", headers=ADMIN))
    return found


def test_usage__counting_off__evaluations_answered_and_not_counted(live_server: Callable[..., LiveServer]) -> None:
    # Given a server started with VEXIL_USAGE=off, and a flag
    server = live_server(env={**ADMIN_ENV, "VEXIL_USAGE": "off"})
    admin = admin_client(server)
    ok(admin.post("/flags", json=THEME))
    anonymous = httpx.Client(base_url=server.url, timeout=10)
    # When it is evaluated, twice with the same request (the second answered from the answer cache)
    for _ in range(2):
        assert ok(anonymous.get("/flags/theme/evaluate", params={"identifier": "u1"}))["variant"] == "dark"
    ok(anonymous.post("/evaluate", json={"identifier": "u2", "flags": ["theme"]}))
    # Then the answers are right, and nothing was counted
    found = usage(admin, "theme")
    assert found["total"] == 0 and found["by_source"] == {} and found["last_seen"] is None
