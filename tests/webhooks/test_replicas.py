"""Webhooks with two `vexil serve` replicas on one PostgreSQL database, both killed (SIGKILL) and
restarted while 1,000 changes are made and delivered: every committed change still reaches the
receiver at least once, each event with its own id (docs/webhooks.md, "How it works")."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok
from tests.webhooks.receiver import receiver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def create(server: LiveServer, name: str) -> None:
    """Create a flag; a replica killed under the request may have committed it or not."""
    with contextlib.suppress(httpx.TransportError):
        httpx.post(f"{server.url}/flags", json={"name": name}, headers=ADMIN, timeout=30)


def test_replicas__both_killed_and_restarted_mid_way__every_committed_change_delivered(
    live_server: Callable[..., LiveServer], postgres_database: str, tmp_path: Path
) -> None:
    env = {**ADMIN_ENV, "VEXIL_DATABASE_URL": postgres_database, "VEXIL_WEBHOOK_TIMEOUT_SECONDS": "2"}

    def replica(label: str) -> LiveServer:
        return live_server(env=env, data_dir=tmp_path / label)

    # A receiver slow to answer: when the replicas are killed, deliveries are under way
    with receiver(delay=0.5) as hook:
        # Given two replicas and a webhook
        replicas = [replica("a1"), replica("b1")]
        ok(httpx.post(f"{replicas[0].url}/webhooks", json={"url": hook.url, "secret": "replica-secret"}, headers=ADMIN))
        with ThreadPoolExecutor(16) as pool:
            # When 500 flags are created across them, and both are killed while delivering
            list(pool.map(lambda n: create(replicas[n % 2], f"flag-{n}"), range(500)))
            for server in replicas:
                server.stop(signal.SIGKILL)
            # And two replicas start again, and 500 more flags are created across them
            replicas = [replica("a2"), replica("b2")]
            list(pool.map(lambda n: create(replicas[n % 2], f"flag-{n}"), range(500, 1000)))
        flags = {flag["name"] for flag in ok(httpx.get(f"{replicas[0].url}/flags", headers=ADMIN))["flags"]}
        assert len(flags) >= 990

        # Then every flag that exists was delivered (its create event), each event id naming one change
        def delivered() -> set[str]:
            return {item.json["entity_id"] for item in list(hook.received) if item.json["action"] == "create"}

        deadline = time.monotonic() + 120
        while not flags <= delivered():
            assert time.monotonic() < deadline, f"{len(flags - delivered())} changes never delivered"
            time.sleep(0.2)
        by_id: dict[int, str] = {}
        for item in list(hook.received):
            assert by_id.setdefault(item.json["id"], item.json["entity_id"]) == item.json["entity_id"]
        # And the kill did catch deliveries under way: received, never acknowledged, sent again
        ids = hook.event_ids()
        assert len(ids) > len(set(ids))
