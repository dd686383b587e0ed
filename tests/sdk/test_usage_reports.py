"""The Python SDK's usage reports against a real server (docs/usage.md): a local client counts its
evaluations and reports them after its interval and on close, they arrive in
`GET /flags/{name}/usage` as the source `sdk` with the client's environment, app and variants; a
report the server could not take is sent again; a remote client reports nothing (the server counted).

The clients' clock is a test's: time moves at once, and the server's heartbeat every 0.05 s wakes
the client's feed as the 15 s one would."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.conftest import Vexil, start_vexil
from tests.sdk.fakes import FAST, await_for, wait_for
from vexil.sdk import AsyncClient, Client
from vexil.sdk._usage import MAX_TOGGLES, Key, metrics_bodies

THEME = {"enabled": True, "variants": [{"name": "light", "weight": 0}, {"name": "dark", "weight": 1}]}
INTERVAL = 60.0


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vexil(tmp_path: Path) -> Iterator[Vexil]:
    started = start_vexil(tmp_path / "data", env={"VEXIL_STREAM_HEARTBEAT": "0.05"})
    yield started
    started.close()


def usage(vexil: Vexil, flag: str) -> dict[str, Any]:
    response = vexil.admin.get(f"/flags/{flag}/usage")
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def local_client(vexil: Vexil, clock: Clock, **fields: Any) -> Client:
    options = dataclasses.replace(FAST, metrics_interval=INTERVAL, clock=clock)
    client = Client(vexil.url, token=vexil.server_token, mode="local", options=options, **fields)
    assert client.wait_until_ready(10)
    return client


def test_local_client__interval_passed__evaluations_reported_by_variant_environment_and_app(vexil: Vexil) -> None:
    # Given a flag serving `dark`, a boolean flag, and a local client of production for the app `shop`
    vexil.create_flag("theme", **THEME)
    vexil.create_flag("banner", enabled=True)
    clock = Clock()
    client = local_client(vexil, clock, environment="production", app="shop")
    try:
        # When it evaluates, every way it can, and its interval passes
        for _ in range(3):
            assert client.is_enabled("theme", {"identifier": "u1"})
        assert client.variant("theme") == "dark"
        client.evaluate_all({"identifier": "u2"})
        assert not client.is_enabled("not-a-flag")
        clock.now += INTERVAL
        # Then the evaluations arrive, without closing the client, as the SDK's
        assert wait_for(lambda: usage(vexil, "theme")["total"] == 5, timeout=10), usage(vexil, "theme")
        theme = usage(vexil, "theme")
        assert theme["by_source"] == {"sdk": 5}
        assert theme["by_variant"] == {"dark": 5}
        assert theme["by_environment"] == {"production": 5}
        assert theme["by_app"] == {"shop": 5}
        assert usage(vexil, "banner")["by_variant"] == {"on": 1}
    finally:
        client.close()
    # And closing reports nothing more (everything was reported)
    assert usage(vexil, "theme")["total"] == 5


def test_local_client__closed_before_the_interval__evaluations_reported(vexil: Vexil) -> None:
    # Given a local client without app or environment, that evaluated twice for staging
    vexil.create_flag("theme", **THEME)
    client = local_client(vexil, Clock())
    for _ in range(2):
        client.is_enabled("theme", {"identifier": "u1", "environment": "staging"})
    # When it is closed, its interval far from over
    client.close()
    # Then the evaluations are reported, the app as `default` (a report must name one)
    found = usage(vexil, "theme")
    assert (found["total"], found["by_source"]) == (2, {"sdk": 2})
    assert (found["by_environment"], found["by_app"]) == ({"staging": 2}, {"default": 2})


def test_remote_client__evaluations__counted_by_the_server_only(vexil: Vexil) -> None:
    # Given a remote client
    vexil.create_flag("theme", **THEME)
    client = Client(vexil.url, options=FAST, app="shop")
    # When it evaluates three times and is closed
    for _ in range(3):
        assert client.variant("theme", {"identifier": "u1"}) == "dark"
    client.close()
    # Then the server counted them, and the client reported nothing more
    assert usage(vexil, "theme")["by_source"] == {"server": 3}


def test_local_client__metrics_interval_0__counts_and_reports_nothing(vexil: Vexil) -> None:
    # Given a local client told to report nothing
    vexil.create_flag("theme", **THEME)
    options = dataclasses.replace(FAST, metrics_interval=0)
    client = Client(vexil.url, token=vexil.server_token, mode="local", options=options)
    assert client.wait_until_ready(10)
    # When it evaluates and is closed
    assert client.variant("theme", {"identifier": "u1"}) == "dark"
    client.close()
    # Then the server counted nothing
    assert usage(vexil, "theme")["total"] == 0


def test_local_client__server_down_at_a_report__counts_sent_with_the_next(
    vexil: Vexil, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a local client that evaluated once
    vexil.create_flag("theme", **THEME)
    clock = Clock()
    client = local_client(vexil, clock, environment="production")
    try:
        client.is_enabled("theme", {"identifier": "u1"})
        # When the server is down when the report is due
        vexil.stop()
        caplog.set_level(logging.INFO, logger="vexil.sdk")
        clock.now += INTERVAL
        assert wait_for(lambda: "usage report could not be sent" in caplog.text, timeout=10)
        # and it evaluates again, and the server comes back, and the next report is due
        client.is_enabled("theme", {"identifier": "u1"})
        vexil.restart()
        assert wait_for(lambda: client.state == "ready", timeout=10)
        clock.now += INTERVAL
        # Then both evaluations arrive
        assert wait_for(lambda: usage(vexil, "theme")["total"] == 2, timeout=10), usage(vexil, "theme")
        assert usage(vexil, "theme")["by_source"] == {"sdk": 2}
    finally:
        client.close()


async def test_async_local_client__evaluations__reported_after_the_interval_and_on_close(vexil: Vexil) -> None:
    # Given an asynchronous local client
    vexil.create_flag("theme", **THEME)
    clock = Clock()
    options = dataclasses.replace(FAST, metrics_interval=INTERVAL, clock=clock)
    async with AsyncClient(vexil.url, token=vexil.server_token, mode="local", app="shop", options=options) as client:
        assert await client.wait_until_ready(10)
        # When it evaluates, its interval passes, and it evaluates again before closing
        await client.is_enabled("theme", {"identifier": "u1"})
        clock.now += INTERVAL
        assert await await_for(lambda: usage(vexil, "theme")["total"] == 1, timeout=10)
        await client.evaluate("theme", {"identifier": "u1"})
    # Then both arrive, from the interval's report and the closing one
    found = usage(vexil, "theme")
    assert (found["total"], found["by_source"], found["by_app"]) == (2, {"sdk": 2}, {"shop": 2})


def test_metrics_bodies__more_flags_than_a_post_takes__split_per_environment_app_and_size() -> None:
    # Given counts of 5,001 flags in production for `shop`, and one in staging for no app
    counts: dict[Key, int] = {(f"f{i:05}", "production", "shop", "on", True): 1 for i in range(MAX_TOGGLES + 1)}
    counts[("f00000", "staging", "", "off", False)] = 2
    # When they are made into metrics bodies
    bodies = metrics_bodies(counts, "2026-12-04T20:00:00Z", "2026-12-04T20:01:00Z", instance="i", sdk="s")
    # Then each post stays within what the server takes, and together they carry every count
    assert [(b["environment"], b["appName"], len(b["bucket"]["toggles"])) for _, b in bodies] == [
        ("production", "shop", MAX_TOGGLES),
        ("production", "shop", 1),
        ("staging", "default", 1),
    ]
    assert bodies[2][1]["bucket"]["toggles"] == {"f00000": {"yes": 0, "no": 2, "variants": {"off": 2}}}
    assert sum(len(carried) for carried, _ in bodies) == len(counts)
