"""Connected SDKs seen through real, unmodified Unleash SDKs against a real server: the Python
`UnleashClient` 6.9.1 and Node `unleash-client` 6.12.2 register and post metrics, unleash-proxy-client
3.8.2 posts frontend metrics, and `GET /sdks` then lists each with its SDK, version, app and
environment (docs/unleash-frontend.md, "Connected SDKs").

Registering and posting metrics do not depend on the SDKs' feature fetch (`/api/client/features`,
docs/unleash.md): they count what they are asked whether or not they know the flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from UnleashClient.clients.unleash_client import UnleashClient
from UnleashClient.constants import SDK_VERSION

from tests.conftest import ok

from .conftest import Vexil, run_node


def listed(vexil: Vexil, app: str) -> list[dict[str, Any]]:
    sdks: list[dict[str, Any]] = ok(vexil.http.get("/sdks", params={"usage": "true"}))["sdks"]
    return [sdk for sdk in sdks if sdk["app"] == app]


def test_python_client__registers_and_posts_metrics__listed(vexil: Vexil, tmp_path: Path) -> None:
    # Given a flag, and a server token bound to production
    vexil.flag("checkout", enabled=True)
    key = vexil.token("py-backend", "server", environment="production")
    client = UnleashClient(
        url=vexil.server.url + "/api",
        app_name="py-shop",
        instance_id="py-shop-1",
        custom_headers={"Authorization": key},
        metrics_interval=3600,
        refresh_interval=3600,
        cache_directory=str(tmp_path / "unleash-cache"),
    )
    # When it starts (registering), asks the flag, and stops (posting its metrics)
    client.initialize_client()
    for _ in range(3):
        client.is_enabled("checkout")
    client.destroy()
    # Then it is listed with its SDK, version, app, instance and the token's environment
    [sdk] = listed(vexil, "py-shop")
    assert {key: sdk[key] for key in ("instance", "environment", "kind", "sdk", "sdk_version")} == {
        "instance": "py-shop-1",
        "environment": "production",
        "kind": "server",
        "sdk": "unleash-python-sdk",
        "sdk_version": SDK_VERSION,
    }
    assert SDK_VERSION == "6.9.1"
    assert sdk["usage"]["checkout"]["yes"] + sdk["usage"]["checkout"]["no"] == 3
    assert sdk["first_seen"] <= sdk["last_seen"]


def test_node_client__registers_and_posts_metrics__listed(vexil: Vexil, tmp_path: Path) -> None:
    # Given flags, and an unbound server token
    vexil.flag("checkout", enabled=True)
    vexil.flag("theme", enabled=True, variants=[{"name": "dark"}, {"name": "light"}])
    key = vexil.token("node-backend", "server")
    job = {
        "url": vexil.server.url + "/api",
        "key": key,
        "appName": "node-shop",
        "instanceId": "node-shop-1",
        "flags": ["checkout", "theme", "not-a-flag"],
        "backupPath": str(tmp_path),
    }
    # When the Node SDK registers, asks the flags and posts its metrics
    [done] = run_node("unleash_server_sdk.mjs", job)
    # Then it is listed with its SDK and version, no environment (an unbound token, none named),
    # and counts for this server's flags only
    assert done["sdkVersion"] == "unleash-node-sdk:6.12.2"
    assert sorted(done["toggles"]) == ["checkout", "not-a-flag", "theme"]
    [sdk] = listed(vexil, "node-shop")
    assert {key: sdk[key] for key in ("instance", "environment", "kind", "sdk", "sdk_version", "flags")} == {
        "instance": "node-shop-1",
        "environment": None,
        "kind": "server",
        "sdk": "unleash-node-sdk",
        "sdk_version": "6.12.2",
        "flags": 2,
    }
    assert set(sdk["usage"]) == {"checkout", "theme"}
    assert sdk["usage"]["theme"]["yes"] + sdk["usage"]["theme"]["no"] >= 2


def test_proxy_client__posts_frontend_metrics__listed(vexil: Vexil) -> None:
    # Given a flag and a client token bound to staging
    vexil.flag("banner", enabled=True)
    key = vexil.token("web-browser", "client", environment="staging")
    job = {"url": vexil.server.url + "/api/frontend", "key": key, "appName": "web-shop", "flags": ["banner"]}
    # When the browser SDK asks the flag and sends its metrics
    [done] = run_node("unleash_frontend.mjs", {"mode": "metrics", **job})
    # Then the post was accepted, and the browser is listed as a frontend SDK of staging
    metrics = [s for s in done["statuses"] if s["url"].endswith("/api/frontend/client/metrics")]
    assert [s["status"] for s in metrics] == [200]
    [sdk] = listed(vexil, "web-shop")
    assert {key: sdk[key] for key in ("instance", "environment", "kind", "sdk", "sdk_version")} == {
        "instance": "browser",
        "environment": "staging",
        "kind": "frontend",
        "sdk": "unleash-js-sdk",
        "sdk_version": "3.8.2",
    }
    assert sdk["usage"]["banner"]["yes"] == 2 and sdk["usage"]["banner"]["variants"] == {"on": 1}


def test_proxy_client__frontend_metrics__counted_as_client_reads_apart_from_frontend_answers(vexil: Vexil) -> None:
    # Given a boolean flag and a client token bound to staging
    vexil.flag("banner", enabled=True)
    key = vexil.token("web-browser", "client", environment="staging")
    job = {"url": vexil.server.url + "/api/frontend", "key": key, "appName": "web-shop", "flags": ["banner"]}
    # When the unmodified browser SDK fetches its flags, reads the flag twice (isEnabled, getVariant)
    # and posts its metrics
    [done] = run_node("unleash_frontend.mjs", {"mode": "metrics", **job})
    assert [s["status"] for s in done["statuses"] if s["url"].endswith("/client/metrics")] == [200]
    # Then the server's answer counts as `frontend` and the two reads as `client`, in staging and
    # for the browser's app (the SDK sends it with its context); the read that named its variant
    # counts under it
    usage = ok(vexil.http.get("/flags/banner/usage"))
    assert usage["by_source"] == {"client": 2, "frontend": 1}
    assert usage["total"] == 3
    assert usage["by_environment"] == {"staging": 3}
    assert usage["by_app"] == {"web-shop": 3}
    assert usage["by_variant"] == {"": 1, "on": 2}
