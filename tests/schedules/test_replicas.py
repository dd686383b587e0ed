"""Three replicas on one PostgreSQL race for the same due plan steps (docs/schedules.md): each step
applies exactly once, in order, whichever replica takes it. In-process apps run their executors in
the background every 50 ms as well as when the test runs them, all on one clock the test moves;
three real `vexil serve` processes race on real time for steps a fraction of a second apart."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN_ENV, LiveServer, admin_client, ok
from tests.postgres import empty_database
from tests.schedules.harness import Clock, Replica, replica, settings_for

pytestmark = pytest.mark.postgres


async def vexil_events(node: Replica, flag: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await node.call("GET", f"/audit?flag={flag}&limit=500"))["events"]
    return [event for event in reversed(events) if event["actor"] == "vexil"]


async def test_plan__three_replicas_racing_on_postgres__each_step_once_in_order(
    postgres_url: str, tmp_path: Path
) -> None:
    await empty_database(postgres_url)
    clock = Clock()
    async with AsyncExitStack() as stack:
        # Given three replicas on one PostgreSQL database, their executors running every 50 ms
        nodes = [
            await stack.enter_async_context(
                replica(settings_for(postgres_url, tmp_path / f"r{i}", interval=0.05), clock)
            )
            for i in range(3)
        ]
        # And a flag with two plans: ten hourly steps, and ten steps that will all be overdue at once
        await nodes[0].call("POST", "/flags", {"name": "hourly", "enabled": True, "rollout_percentage": 0})
        await nodes[0].call("POST", "/flags", {"name": "burst", "enabled": True, "rollout_percentage": 0})
        percentages = [10 * n for n in range(1, 11)]
        hourly = await nodes[1].call(
            "POST",
            "/release-plans",
            {"flag": "hourly", "steps": [{"after_hours": 1, "rollout_percentage": p} for p in percentages]},
        )
        burst = await nodes[2].call(
            "POST",
            "/release-plans",
            {
                "flag": "burst",
                "steps": [{"after_hours": 0.01 * (n + 1), "rollout_percentage": p} for n, p in enumerate(percentages)],
            },
        )
        # When the clock moves an hour at a time and all three run their executors at once, each time
        for _ in percentages:
            clock.move(hours=1)
            await asyncio.gather(*(node.run_due() for node in nodes))
        # And the background runs settle (nothing is left pending)
        for _ in range(200):
            plans = [await nodes[0].call("GET", f"/release-plans/{plan['id']}") for plan in (hourly, burst)]
            if all(plan["state"] == "done" for plan in plans):
                break
            await asyncio.sleep(0.05)
        # Then both plans are done, every step applied
        assert [plan["state"] for plan in plans] == ["done", "done"]
        for plan, flag in ((hourly, "hourly"), (burst, "burst")):
            events = await vexil_events(nodes[0], flag)
            # And each step's flag write happened exactly once, in the order of the steps
            assert [event["via"]["step"] for event in events] == list(range(1, 11)), flag
            assert [event["after"]["rollout_percentage"] for event in events] == percentages
            assert {event["via"]["release_plan"] for event in events} == {plan["id"]}
            # And the flag moved one version per step
            assert (await nodes[0].call("GET", f"/flags/{flag}"))["version"] == 1 + len(percentages)
        # And each step was marked applied by one event only
        audit = (await nodes[0].call("GET", "/audit?limit=500"))["events"]
        applied = Counter(
            event["entity_id"] for event in audit if event["entity"] == "schedule" and event["action"] == "apply"
        )
        assert len(applied) == 20 and set(applied.values()) == {1}


def test_plan__three_vexil_serve_processes__each_step_once_in_order(
    live_server: Callable[..., LiveServer], postgres_database: str, tmp_path: Path
) -> None:
    # Given three `vexil serve` processes on one PostgreSQL, their executors running every 0.1 s
    env = {**ADMIN_ENV, "VEXIL_DATABASE_URL": postgres_database, "VEXIL_SCHEDULE_SECONDS": "0.1"}
    servers = [live_server(env=env, data_dir=tmp_path / f"r{i}") for i in range(3)]
    with admin_client(servers[0]) as api:
        ok(api.post("/flags", json={"name": "processes", "enabled": True, "rollout_percentage": 0}))
        # When a plan's five steps fall due a fraction of a second apart (real time: these are processes)
        steps = [{"after_hours": 0.0001, "rollout_percentage": p} for p in (20, 40, 60, 80, 100)]
        plan = ok(api.post("/release-plans", json={"flag": "processes", "steps": steps}))
        deadline = time.monotonic() + 60
        while ok(api.get(f"/release-plans/{plan['id']}"))["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        # Then every step applied once, in order, whichever process took it
        events = ok(api.get("/audit?flag=processes&limit=100"))["events"]
        applied = [event for event in reversed(events) if event["actor"] == "vexil"]
        assert [event["via"]["step"] for event in applied] == [1, 2, 3, 4, 5]
        assert [event["after"]["rollout_percentage"] for event in applied] == [20, 40, 60, 80, 100]
    # And every process serves the flag as it ends (the bus brings the others' writes within moments)
    for server in servers:
        with admin_client(server) as api:
            deadline = time.monotonic() + 10
            while ok(api.get("/flags/processes"))["rollout_percentage"] != 100 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ok(api.get("/flags/processes"))["rollout_percentage"] == 100
