"""`/health` tells the truth, at once, and nothing about the deployment to strangers.

PostgreSQL whose packets are dropped never refuses anything: it stops answering. The server reaches
it through a proxy of the test's own that can stop forwarding (`TcpProxy.stall()`: connections stay
open, nothing goes through), and `/health` must say `degraded` within seconds while answering at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.bus.harness import TcpProxy, through, wait_until
from tests.conftest import ADMIN, ADMIN_ENV, ADMIN_TOKEN, LiveServer, free_port
from tests.postgres import create_database, drop_database
from vexil.api.app import create_app
from vexil.bus.replicator import HealthProbe, Replicator
from vexil.config import Settings
from vexil.core.service import FlagService


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, migrated, dropped at the end."""
    url = asyncio.run(create_database())
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


def timed_health(server: LiveServer, **headers: str) -> tuple[float, dict[str, Any]]:
    start = time.monotonic()
    response = httpx.get(f"{server.url}/health", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return time.monotonic() - start, response.json()


@pytest.mark.postgres
@pytest.mark.slow
def test_health__postgres_stops_answering__degraded_within_seconds_answering_at_once_without_addresses(
    live_server: Callable[..., LiveServer], postgres_proxy: TcpProxy, database: str
) -> None:
    # Given a server on PostgreSQL through the proxy, with a Redis that refuses connections
    redis_port = free_port()
    env = {
        **ADMIN_ENV,
        "VEXIL_DATABASE_URL": through(postgres_proxy, database),
        "VEXIL_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    server = live_server(env=env)
    httpx.post(f"{server.url}/flags", json={"name": "beta", "enabled": True}, headers=ADMIN, timeout=10)
    assert timed_health(server)[1]["storage"] == "ok"

    # When PostgreSQL's packets stop going through
    postgres_proxy.stall()
    answers: list[tuple[float, dict[str, Any]]] = []

    def storage_down() -> bool:
        answers.append(timed_health(server))
        return bool(answers[-1][1]["storage"] != "ok")

    took = wait_until(storage_down, "storage reported down", timeout=8)

    # Then /health says so within seconds, and every answer came at once
    assert took < 5
    assert max(seconds for seconds, _ in answers) < 0.5
    anonymous = answers[-1][1]
    assert anonymous["status"] == "degraded"
    assert anonymous["storage"] == "unavailable: no answer within 2 s"
    assert anonymous["bus"] == "redis: unavailable"
    assert not any(secret in str(anonymous) for secret in ("127.0.0.1", str(postgres_proxy.port), str(redis_port)))
    # (evaluations go on from memory, and an admin is told why the bus is down)
    evaluated = httpx.get(f"{server.url}/flags/beta/evaluate", params={"identifier": "u"}, timeout=2).json()
    assert evaluated["active"] is True
    detailed = timed_health(server, authorization=f"Bearer {ADMIN_TOKEN}")[1]
    assert str(redis_port) in detailed["bus"]

    # When the packets flow again, storage is ok again
    postgres_proxy.resume()
    wait_until(lambda: timed_health(server)[1]["storage"] == "ok", "storage ok again", timeout=20)


def test_health__free_disk_below_threshold__degraded_low_disk_space_path_for_token_holders_only(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server on SQLite that wants more free space than any disk has
    server = live_server(env={**ADMIN_ENV, "VEXIL_MIN_FREE_DISK_MB": str(10**12)})

    # When
    wait_until(lambda: timed_health(server)[1]["storage"] != "ok", "low disk space reported", timeout=5)
    anonymous = timed_health(server)[1]
    detailed = timed_health(server, authorization=f"Bearer {ADMIN_TOKEN}")[1]

    # Then
    assert anonymous["status"] == "degraded"
    assert anonymous["storage"].startswith("low disk space: ")
    assert anonymous["storage"].endswith(f" MB free, below {10**12} MB")
    assert str(server.data_dir) not in str(anonymous)
    assert detailed["storage"].startswith("low disk space: ")
    assert detailed["storage"].endswith(f" MB (in {server.data_dir.resolve()})")
    metrics = httpx.get(f"{server.url}/metrics", timeout=5).text
    assert "vexil_healthy 0" in metrics


@pytest.fixture
async def refused_redis_app(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process app on SQLite whose Redis refuses connections; `request.param`: health details."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        health_details=request.param,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as http:
            yield http


@pytest.mark.parametrize("refused_redis_app", [False], indirect=True)
async def test_health__anonymous_caller__no_driver_message_server_token__the_why(
    refused_redis_app: httpx.AsyncClient,
) -> None:
    # Given / When
    anonymous = (await refused_redis_app.get("/health")).json()
    detailed = (await refused_redis_app.get("/health", headers=ADMIN)).json()
    wrong_token = await refused_redis_app.get("/health", headers={"Authorization": "Bearer nope"})

    # Then
    assert (anonymous["status"], anonymous["storage"], anonymous["bus"]) == ("degraded", "ok", "redis: unavailable")
    assert detailed["bus"].startswith("redis: unavailable: ") and "127.0.0.1" in detailed["bus"]
    assert wrong_token.status_code == 401


@pytest.mark.parametrize("refused_redis_app", [True], indirect=True)
async def test_health__details_setting__the_why_for_everyone(refused_redis_app: httpx.AsyncClient) -> None:
    # Given / When
    anonymous = (await refused_redis_app.get("/health")).json()

    # Then
    assert anonymous["bus"].startswith("redis: unavailable: ") and "127.0.0.1" in anonymous["bus"]


class _SlowStore:
    """A store whose `SELECT 1` takes a while: a probe is in flight when the replicator closes."""

    def __init__(self) -> None:
        self.probing = asyncio.Event()
        self.pings_finished = 0

    async def ping(self) -> None:
        self.probing.set()
        await asyncio.sleep(0.2)
        self.pings_finished += 1


async def test_replicator_close__probe_in_flight__finished_before_the_store_closes() -> None:
    # Given a replicator whose health probe is waiting for the database
    store = _SlowStore()
    service = cast(FlagService, SimpleNamespace(store=store, on_commit=None))
    replicator = Replicator(service, None, interval=3600, health=HealthProbe(interval=0.01, timeout=1))
    await replicator.start()
    await store.probing.wait()

    # When it closes (the store would close right after)
    await asyncio.wait_for(replicator.close(), timeout=2)

    # Then the probe was let finish, not cancelled inside the driver, and nothing is left running
    assert store.pings_finished == 1
    assert all(task.done() for task in asyncio.all_tasks() if task is not asyncio.current_task())
