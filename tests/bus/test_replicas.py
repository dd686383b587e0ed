"""Real `vexil serve` processes on one PostgreSQL: three replicas with Redis, the LISTEN/NOTIFY
path, `--workers`, and outages of Redis and PostgreSQL (the acceptance of issue 4).

The replicas reach PostgreSQL through a proxy the test can cut, and Redis is a redis-server of the
test's own: the machine's shared services are never stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bus.harness import EventReader, RedisServer, TcpProxy, start_replicas, stop_all, through, wait_until
from tests.conftest import ADMIN, LiveServer
from tests.postgres import POSTGRES_SERVER, create_database, drop_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CHECK_INTERVAL = "0.5"


@dataclass
class Cluster:
    replicas: list[LiveServer]
    redis: RedisServer
    proxy: TcpProxy


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url = asyncio.run(create_database())
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture(scope="module")
def cluster(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three replicas on one database (through a proxy) and one Redis."""
    from sqlalchemy.engine import make_url

    tmp_path = tmp_path_factory.mktemp("cluster")
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    proxy = TcpProxy(make_url(POSTGRES_SERVER).port or 5432)
    env = {
        "VEXIL_DATABASE_URL": through(proxy, database),
        "VEXIL_REDIS_URL": redis.url,
        "VEXIL_SYNC_INTERVAL": CHECK_INTERVAL,
    }
    replicas = start_replicas(tmp_path, 3, env)
    try:
        yield Cluster(replicas, redis, proxy)
    finally:
        stop_all(replicas)
        redis.kill()
        proxy.close()


def evaluate(server: LiveServer, flag: str) -> bool | None:
    body = httpx.get(f"{server.url}/flags/{flag}/evaluate", params={"identifier": "u1"}, timeout=5).json()
    return None if body["reason"] == "flag_not_found" else bool(body["active"])


def everywhere(replicas: list[LiveServer], flag: str, expected: bool | None, timeout: float = 10.0) -> float:
    """Seconds until every replica evaluates `flag` as `expected`."""
    return wait_until(lambda: all(evaluate(r, flag) == expected for r in replicas), f"{flag} -> {expected}", timeout)


def _updates(reader: EventReader, flag: str, count: int) -> bool:
    return len(reader.updates_of(flag)) == count


def health(server: LiveServer) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{server.url}/health", timeout=5).json()
    return body


def test_three_replicas__writes_through_any__every_replica_evaluates_and_streams_them(cluster: Cluster) -> None:
    replicas = cluster.replicas
    wait_until(lambda: all(health(r)["bus"] == "redis: ok" for r in replicas), "every replica on the bus")
    # Given a client stream open on every replica
    readers = [EventReader(f"{r.url}/stream?identifier=u1") for r in replicas]
    try:
        for index, writer in enumerate(replicas):
            flag = f"through_{index}"
            # When a replica creates a flag, and the next one switches it off
            created = httpx.post(f"{writer.url}/flags", json={"name": flag, "enabled": True}, headers=ADMIN)
            assert created.status_code == 201
            # Then every replica evaluates it
            everywhere(replicas, flag, True)
            toggler = replicas[(index + 1) % 3]
            assert httpx.post(f"{toggler.url}/flags/{flag}/toggle", headers=ADMIN).status_code == 200
            everywhere(replicas, flag, False)
            # And every replica's stream carried both changes
            for reader in readers:
                wait_until(partial(_updates, reader, flag, 2), f"updates of {flag} on {reader.url}")
                assert [update["active"] for update in reader.updates_of(flag)] == [True, False]
    finally:
        for reader in readers:
            reader.close()


def test_1000_concurrent_toggles__spread_over_replicas__state_version_and_audit_exact(cluster: Cluster) -> None:
    replicas = cluster.replicas
    assert httpx.post(f"{replicas[0].url}/flags", json={"name": "busy"}, headers=ADMIN).status_code == 201

    # When 1,000 toggles arrive at once, 40 in flight at a time, spread over the three replicas
    async def toggle_all() -> list[int]:
        limit = asyncio.Semaphore(40)
        async with httpx.AsyncClient(headers=ADMIN, timeout=60) as http:

            async def toggle(index: int) -> int:
                async with limit:
                    response = await http.post(f"{replicas[index % 3].url}/flags/busy/toggle")
                    return response.status_code

            return await asyncio.gather(*(toggle(i) for i in range(1000)))

    statuses = asyncio.run(toggle_all())
    # Then each was applied exactly once: back to off, at version 1 + 1,000, with 1,000 audit events
    assert statuses == [200] * 1000
    for replica in replicas:
        flag = httpx.get(f"{replica.url}/flags/busy", headers=ADMIN).json()
        assert (flag["enabled"], flag["version"]) == (False, 1001)
    everywhere(replicas, "busy", False)
    events: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"flag": "busy", "limit": 1000, **({"before_id": before} if before else {})}
        page = httpx.get(f"{replicas[1].url}/audit", params=params, headers=ADMIN).json()
        events += page["events"]
        if (before := page["next_before_id"]) is None:
            break
    assert sum(event["action"] == "toggle" for event in events) == 1000
    # And every toggle started from the state the previous one left
    toggles = sorted((e for e in events if e["action"] == "toggle"), key=lambda e: e["id"])
    assert [e["before"]["version"] for e in toggles] == list(range(1, 1001))


def test_outages__redis_then_postgres_then_back__no_acknowledged_write_lost(cluster: Cluster) -> None:
    replicas = cluster.replicas
    acknowledged: list[str] = []

    def write(replica: LiveServer, flag: str) -> int:
        response = httpx.post(f"{replica.url}/flags", json={"name": flag, "enabled": True}, headers=ADMIN, timeout=30)
        if response.status_code == 201:
            acknowledged.append(flag)
        return response.status_code

    for index, replica in enumerate(replicas):
        assert write(replica, f"before_{index}") == 201
    # When Redis dies, writes still succeed, and reach every replica through the version check
    cluster.redis.kill()
    wait_until(lambda: all(health(r)["bus"].startswith("redis: unavailable") for r in replicas), "bus down seen")
    assert all(health(r)["status"] == "degraded" for r in replicas)
    for index, replica in enumerate(replicas):
        assert write(replica, f"no_redis_{index}") == 201
    for flag in acknowledged:
        everywhere(replicas, flag, True, timeout=5)
    # When PostgreSQL goes away too, evaluation goes on from memory, and writes fail with a clear 503
    cluster.proxy.cut()
    wait_until(lambda: all(health(r)["storage"].startswith("unavailable") for r in replicas), "storage down seen")
    for index, replica in enumerate(replicas):
        refused = httpx.post(f"{replica.url}/flags", json={"name": f"refused_{index}"}, headers=ADMIN, timeout=30)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"].startswith("the database is unavailable")
        assert all(evaluate(replica, flag) is True for flag in acknowledged)
    # When both come back, every replica recovers without a restart
    cluster.proxy.restore()
    cluster.redis.start()
    wait_until(lambda: all(health(r)["status"] == "ok" for r in replicas), "every replica healthy again", 20)
    for index, replica in enumerate(replicas):
        assert write(replica, f"after_{index}") == 201
    # Then no acknowledged write is lost, nothing refused was stored, and every replica agrees
    for flag in acknowledged:
        everywhere(replicas, flag, True, timeout=5)
    for replica in replicas:
        stored = {f["name"] for f in httpx.get(f"{replica.url}/flags", headers=ADMIN).json()["flags"]}
        assert set(acknowledged) <= stored and not any(name.startswith("refused_") for name in stored)
    results = [
        httpx.post(f"{r.url}/evaluate", json={"identifier": "u1"}, headers=ADMIN).json()["flags"] for r in replicas
    ]
    assert results[0] == results[1] == results[2]


def test_workers__sqlite_first_start_with_demo__one_admin_token_demo_flags_workers_in_step(tmp_path: Path) -> None:
    # Given `vexil serve --workers 2 --demo` on a new SQLite data directory, without VEXIL_ADMIN_TOKEN
    [server] = start_replicas(tmp_path, 1, {}, "--workers", "2", "--demo", admin_token=False)
    try:
        # Then one worker created the admin token (the file holds it), and the demo flags exist once
        admin = {"Authorization": f"Bearer {(server.data_dir / 'admin-token').read_text().strip()}"}
        assert [t["name"] for t in httpx.get(f"{server.url}/tokens", headers=admin).json()["tokens"]] == ["admin"]
        names = [f["name"] for f in httpx.get(f"{server.url}/flags", headers=admin).json()["flags"]]
        assert names == ["beta_api_v2", "dark_mode", "new_dashboard"]
        # And every worker serves what any of them writes (the version check alone: no bus on SQLite)
        _toggles_reach_every_worker(server, "workers_sqlite", admin)
        assert health(server)["bus"] == "none"
        assert "Traceback" not in server.output()
    finally:
        stop_all([server])


def test_workers__postgres__notify_keeps_every_worker_in_step(database: str, tmp_path: Path) -> None:
    # Given `vexil serve --workers 2` on PostgreSQL, the version check slowed down so that only
    # LISTEN/NOTIFY can be in time
    [server] = start_replicas(
        tmp_path, 1, {"VEXIL_DATABASE_URL": database, "VEXIL_SYNC_INTERVAL": "30"}, "--workers", "2"
    )
    try:
        _toggles_reach_every_worker(server, "workers_postgres", ADMIN)
        assert health(server)["bus"] == "postgres: ok"
    finally:
        stop_all([server])


def _toggles_reach_every_worker(server: LiveServer, flag: str, admin: dict[str, str]) -> None:
    def evaluated_by_all(expected: bool) -> bool:
        # A new connection per request: the kernel hands them to either worker
        answers = {evaluate(server, flag) for _ in range(10)}
        return answers == {expected}

    # When one worker writes (whichever takes the request), then the flag is toggled repeatedly
    assert httpx.post(f"{server.url}/flags", json={"name": flag}, headers=admin).status_code == 201
    # (15 s: the periodic version check converges in about a second; a loaded test machine is slower)
    wait_until(partial(evaluated_by_all, False), "created flag everywhere", 15)
    for expected in (True, False, True):
        assert httpx.post(f"{server.url}/flags/{flag}/toggle", headers=admin).status_code == 200
        # Then every worker serves each new state within moments
        wait_until(partial(evaluated_by_all, expected), f"{flag} -> {expected} in every worker", 15)
