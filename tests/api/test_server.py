"""The real server process: first start, demo flags, restarts, kill -9 and SIGTERM, schemathesis."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, ADMIN_TOKEN, BACKENDS, LiveServer


def test_serve__demo__example_flags_and_default_environments(live_server: Callable[..., LiveServer]) -> None:
    server = live_server("--demo", env=ADMIN_ENV)
    names = [f["name"] for f in httpx.get(server.url + "/flags", headers=ADMIN).json()["flags"]]
    assert names == ["beta_api_v2", "dark_mode", "new_dashboard"]
    environments = httpx.get(server.url + "/environments", headers=ADMIN).json()["environments"]
    assert {e["name"] for e in environments} == {"development", "staging", "production"}
    dark = httpx.get(server.url + "/flags/dark_mode/evaluate?identifier=user-1").json()
    assert dark["variant"] in {"light", "dark"} and dark["payload"]["background"].startswith("#")


def test_serve__empty_database__default_environments_only(live_server: Callable[..., LiveServer]) -> None:
    server = live_server(env=ADMIN_ENV)
    assert httpx.get(server.url + "/flags", headers=ADMIN).json() == {"flags": []}


def test_serve__first_start_without_token__prints_it_once_and_keeps_it(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = live_server()
    secret = (server.data_dir / "admin-token").read_text().strip()
    assert secret in server.output()
    created = httpx.post(server.url + "/flags", json={"name": "x"}, headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201
    server.stop()
    again = live_server(data_dir=server.data_dir)
    assert secret not in again.output()


def test_kill_9__during_acknowledged_writes__restart_loses_none(live_server: Callable[..., LiveServer]) -> None:
    # Given a stream of writes from two clients, each acknowledged one remembered
    server = live_server(env=ADMIN_ENV)
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(prefix: str) -> None:
        with httpx.Client(base_url=server.url, headers=ADMIN, timeout=5) as http:
            for i in range(100_000):
                if stop.is_set():
                    return
                try:
                    response = http.post("/flags", json={"name": f"{prefix}-{i}", "enabled": True})
                except httpx.TransportError:
                    return
                if response.status_code == 201:
                    acknowledged.append(f"{prefix}-{i}")

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b")]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    # When the server is killed mid-stream
    server.stop(signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(acknowledged) >= 60
    # Then after a restart every acknowledged write is there, and served
    restarted = live_server(env=ADMIN_ENV, data_dir=server.data_dir)
    stored = {f["name"] for f in httpx.get(restarted.url + "/flags", headers=ADMIN).json()["flags"]}
    assert set(acknowledged) <= stored
    assert httpx.get(f"{restarted.url}/flags/{acknowledged[-1]}/evaluate").json()["active"] is True


def test_sigterm__drains_and_shuts_down_cleanly(live_server: Callable[..., LiveServer]) -> None:
    server = live_server("--verbose", env=ADMIN_ENV)  # uvicorn's lifecycle lines show only with --verbose
    # uvicorn finishes the shutdown, then re-raises the signal so the exit status tells why it stopped
    assert server.stop(signal.SIGTERM) in {0, -signal.SIGTERM}
    assert "Application shutdown complete" in server.output()
    assert "Traceback" not in server.output()


@pytest.mark.parametrize("backend", BACKENDS)
def test_schemathesis__live_openapi__no_5xx_and_responses_match_schema(
    live_server: Callable[..., LiveServer], backend: str, request: pytest.FixtureRequest
) -> None:
    # Given a live server with some data to find, on SQLite or on PostgreSQL
    args = ["--demo"]
    if backend == "postgres":
        args += ["--database-url", request.getfixturevalue("postgres_database")]
    server = live_server(*args, env=ADMIN_ENV)
    # When schemathesis fuzzes every operation of the server's own schema, as admin, in every phase
    # (the stateful one chains operations through the links it infers: create, then read, change, delete)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "20",
        "--seed",
        "1",
        "--header",
        f"Authorization: Bearer {ADMIN_TOKEN}",
        "--request-timeout",
        "10",
        "--no-color",
        "--workers",
        "2",
        # Event streams never end by themselves: they would only time out.
        "--exclude-path-regex",
        "stream$",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    # Then nothing failed
    report = result.stdout
    errors_at = report.find("=== ERRORS") if "=== ERRORS" in report else report.find("=== FAILURES")
    assert result.returncode == 0, report[max(errors_at, 0) :][:8000] + result.stderr[-2000:]
    assert server.process.poll() is None


@pytest.mark.parametrize("path", ["/flags/x/evaluate", "/health"])
def test_serve__concurrent_readers__all_answered(live_server: Callable[..., LiveServer], path: str) -> None:
    server = live_server(env=ADMIN_ENV)
    with httpx.Client(base_url=server.url) as http:
        statuses = {http.get(path).status_code for _ in range(50)}
    assert statuses == {200}
