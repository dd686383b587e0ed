"""Two replicas in one process (two apps on one database): what one writes, the other serves.

The bus tests set a long version-check interval, so that only the bus can be what delivered a
change in time; the version-check tests make the bus fail (a Redis port that refuses) or have none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bus.harness import RedisServer, Replica, TcpProxy, eventually, replica, through
from tests.conftest import ADMIN, free_port
from tests.postgres import empty_database

SLOW_CHECK = {"sync_interval": 60.0}  # the version check will not run during the test
FAST_CHECK = {"sync_interval": 0.05}
SEGMENT_RULE = {"conditions": [{"operator": "in_segment", "value": "staff"}], "rollout_percentage": 100}


@pytest.fixture
async def postgres(postgres_url: str) -> str:
    """The session's PostgreSQL database, emptied."""
    await empty_database(postgres_url)
    return postgres_url


@pytest.fixture(params=["notify", pytest.param("redis", marks=pytest.mark.redis)])
async def bus_settings(request: pytest.FixtureRequest, postgres: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """PostgreSQL with LISTEN/NOTIFY, or with a private Redis."""
    if request.param == "notify":
        yield {"database_url": postgres}
        return
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        yield {"database_url": postgres, "redis_url": redis.url}
    finally:
        redis.kill()


async def _bus_up(*replicas: Replica) -> None:
    async def up() -> bool:
        return all(r.replicator.health()["bus"].endswith(": ok") for r in replicas)

    await eventually(up, what="buses connected")


async def _sees(target: Replica, flag: str, enabled: bool | None, *, timeout: float = 5.0) -> float:
    async def check() -> bool:
        return await target.enabled(flag) == enabled

    return await eventually(check, timeout=timeout, what=f"{flag} -> {enabled}")


@pytest.mark.postgres
async def test_bus__flag_writes_on_a__served_by_b_and_announced_on_its_hub(
    bus_settings: dict[str, Any], tmp_path: Path
) -> None:
    async with (
        replica(tmp_path, "a", **bus_settings, **SLOW_CHECK) as a,
        replica(tmp_path, "b", **bus_settings, **SLOW_CHECK) as b,
    ):
        await _bus_up(a, b)
        announced: list[frozenset[str]] = []
        b.service.hub.subscribe(lambda _seq, names: announced.append(names))
        # When A creates, toggles and deletes a flag
        await a.http.post("/flags", json={"name": "beta", "enabled": True}, headers=ADMIN)
        # Then B serves each state within the bus's delay, far below the version check's minute
        assert await _sees(b, "beta", True, timeout=2) < 1
        await a.http.post("/flags/beta/toggle", headers=ADMIN)
        await _sees(b, "beta", False, timeout=2)
        assert (await a.http.delete("/flags/beta", headers=ADMIN)).status_code == 204
        await _sees(b, "beta", None, timeout=2)
        # And B's open streams heard of every change
        assert announced == [{"beta"}] * 3


@pytest.mark.postgres
async def test_bus__segment_and_token_changes_on_a__applied_on_b(bus_settings: dict[str, Any], tmp_path: Path) -> None:
    async with (
        replica(tmp_path, "a", **bus_settings, **SLOW_CHECK) as a,
        replica(tmp_path, "b", **bus_settings, **SLOW_CHECK) as b,
    ):
        await _bus_up(a, b)
        # Given a flag on for the staff segment, which matches nobody yet
        nobody = {"field": "identifier", "operator": "eq", "value": "nobody"}
        await a.http.post("/segments", json={"name": "staff", "conditions": [nobody]}, headers=ADMIN)
        flag = {"name": "internal", "enabled": True, "rollout_percentage": 0, "rules": [SEGMENT_RULE]}
        await a.http.post("/flags", json=flag, headers=ADMIN)
        await _sees(b, "internal", False)
        # When A changes the segment to match everyone
        condition = {"field": "identifier", "operator": "exists"}
        await a.http.patch("/segments/staff", json={"conditions": [condition]}, headers=ADMIN)
        # Then B evaluates with the new segment
        await _sees(b, "internal", True, timeout=2)
        assert [s["version"] for s in b.service.segments] == [2]
        # When A creates a token, B accepts it; when A revokes it, B refuses it
        created = (await a.http.post("/tokens", json={"name": "ci", "role": "server"}, headers=ADMIN)).json()
        bearer = {"Authorization": f"Bearer {created['token']}"}

        async def status(expected: int) -> bool:
            return (await b.http.get("/flags", headers=bearer)).status_code == expected

        await eventually(lambda: status(200), timeout=2, what="B accepts the new token")
        await a.http.delete("/tokens/ci", headers=ADMIN)
        await eventually(lambda: status(401), timeout=2, what="B refuses the revoked token")
        # And both serve the same SDK configuration: an ETag from one is a 304 on the other
        etag = (await a.http.get("/sdk/config", params={"environment": "production"}, headers=ADMIN)).headers["etag"]
        again = await b.http.get(
            "/sdk/config", params={"environment": "production"}, headers={**ADMIN, "If-None-Match": etag}
        )
        assert again.status_code == 304


@pytest.mark.postgres
async def test_bus__import_on_a__b_resyncs_everything(bus_settings: dict[str, Any], tmp_path: Path) -> None:
    async with (
        replica(tmp_path, "a", **bus_settings, **SLOW_CHECK) as a,
        replica(tmp_path, "b", **bus_settings, **SLOW_CHECK) as b,
    ):
        await _bus_up(a, b)
        await a.http.post("/flags", json={"name": "old", "enabled": True}, headers=ADMIN)
        await _sees(b, "old", True)
        state = (await a.http.get("/export", headers=ADMIN)).json()
        state["flags"] = [{"name": "new", "enabled": True}]
        assert (await a.http.post("/import", json=state, headers=ADMIN)).status_code == 200
        await _sees(b, "new", True, timeout=2)
        assert await b.enabled("old") is None


@pytest.mark.postgres
async def test_if_match__version_read_on_one_replica_changed_on_another__409(postgres: str, tmp_path: Path) -> None:
    async with (
        replica(tmp_path, "a", database_url=postgres) as a,
        replica(tmp_path, "b", database_url=postgres) as b,
    ):
        # Given both replicas read version 1 of a flag
        await a.http.post("/flags", json={"name": "price"}, headers=ADMIN)
        version = (await b.http.get("/flags/price", headers=ADMIN)).json()["version"]
        # When A updates it with If-Match, then B with the same, now stale, version
        first = await a.http.patch(
            "/flags/price", json={"enabled": True}, headers={**ADMIN, "If-Match": f'"{version}"'}
        )
        second = await b.http.patch("/flags/price", json={"description": "x", "version": version}, headers=ADMIN)
        # Then the second is refused, and A's update stands
        assert first.status_code == 200
        assert second.status_code == 409 and "version" in second.json()["error"]
        assert (await b.http.get("/flags/price", headers=ADMIN)).json()["enabled"] is True


@pytest.mark.postgres
async def test_redis_refused__version_check_carries_the_writes__health_degraded(postgres: str, tmp_path: Path) -> None:
    # Given two replicas whose Redis refuses connections
    settings = {"database_url": postgres, "redis_url": f"redis://127.0.0.1:{free_port()}/0", **FAST_CHECK}
    async with replica(tmp_path, "a", **settings) as a, replica(tmp_path, "b", **settings) as b:
        # When A writes
        await a.http.post("/flags", json={"name": "beta", "enabled": True}, headers=ADMIN)
        # Then B serves it all the same, and says what is degraded
        await _sees(b, "beta", True, timeout=3)
        health = (await b.http.get("/health")).json()
        assert health["status"] == "degraded" and health["storage"] == "ok"
        assert health["bus"] == "redis: unavailable"  # why (an address) only for token holders:
        assert (await b.http.get("/health", headers=ADMIN)).json()["bus"].startswith("redis: unavailable: ")


async def test_sqlite__two_processes_on_one_file__version_check_keeps_them_in_step(tmp_path: Path) -> None:
    # Given two apps on one SQLite file (as `--workers 2` runs them), without a bus
    data_dir = tmp_path / "shared"
    settings = {"database_url": f"sqlite+aiosqlite:///{data_dir / 'vexil.db'}", **FAST_CHECK}
    async with replica(tmp_path, "a", **settings) as a, replica(tmp_path, "b", **settings) as b:
        assert (await b.http.get("/health")).json()["bus"] == "none"
        # When A writes flags, a segment and a token
        await a.http.post("/flags", json={"name": "beta", "enabled": True}, headers=ADMIN)
        await _sees(b, "beta", True)
        await a.http.post("/flags/beta/toggle", headers=ADMIN)
        await _sees(b, "beta", False)
        await a.http.post("/segments", json={"name": "staff"}, headers=ADMIN)
        created = (await a.http.post("/tokens", json={"name": "ci", "role": "server"}, headers=ADMIN)).json()

        # Then B has them all
        async def in_step() -> bool:
            bearer = {"Authorization": f"Bearer {created['token']}"}
            token_ok = (await b.http.get("/flags", headers=bearer)).status_code == 200
            return token_ok and [s["name"] for s in b.service.segments] == ["staff"]

        await eventually(in_step, what="segment and token on B")
        await a.http.delete("/flags/beta", headers=ADMIN)
        await _sees(b, "beta", None)


@pytest.mark.postgres
async def test_storage_outage__memory_serves__writes_503__health_says_so__recovery_resyncs(
    postgres: str, postgres_proxy: TcpProxy, tmp_path: Path
) -> None:
    # Given replica A reaching PostgreSQL through a proxy, and B directly, without a bus between them
    proxied = through(postgres_proxy, postgres)
    async with (
        replica(tmp_path, "a", database_url=proxied, redis_url=f"redis://127.0.0.1:{free_port()}/0", **FAST_CHECK) as a,
        replica(tmp_path, "b", database_url=postgres, redis_url=f"redis://127.0.0.1:{free_port()}/0") as b,
    ):
        await a.http.post("/flags", json={"name": "beta", "enabled": True}, headers=ADMIN)
        # When the database goes away from A
        postgres_proxy.cut()

        async def storage_down() -> bool:
            storage: str = (await a.http.get("/health")).json()["storage"]
            return storage.startswith("unavailable: ")

        await eventually(storage_down, what="A's health reports the storage")
        # Then A evaluates from memory, and refuses writes with a 503 and a JSON error
        assert await a.enabled("beta") is True
        refused = await a.http.post("/flags/beta/toggle", headers=ADMIN)
        assert refused.status_code == 503
        assert refused.json()["error"].startswith("the database is unavailable")
        assert (await a.http.get("/health")).json()["status"] == "degraded"
        # When B writes meanwhile, and the database comes back
        await b.http.post("/flags/beta/toggle", headers=ADMIN)
        await b.http.post("/flags", json={"name": "during", "enabled": True}, headers=ADMIN)
        postgres_proxy.restore()
        # Then A resyncs without a restart, and writes again
        await _sees(a, "beta", False)
        await _sees(a, "during", True)
        assert (await a.http.get("/health")).json()["storage"] == "ok"
        assert (await a.http.post("/flags/beta/toggle", headers=ADMIN)).status_code == 200


async def test_sqlite__import_keeping_versions__other_process_reloads_every_document(tmp_path: Path) -> None:
    # Given two processes on one SQLite file, and an export edited by hand: same versions, new content
    data_dir = tmp_path / "shared"
    settings = {"database_url": f"sqlite+aiosqlite:///{data_dir / 'vexil.db'}", **FAST_CHECK}
    async with replica(tmp_path, "a", **settings) as a, replica(tmp_path, "b", **settings) as b:
        await a.http.post("/flags", json={"name": "beta", "enabled": True}, headers=ADMIN)
        await _sees(b, "beta", True)
        state = (await a.http.get("/export", headers=ADMIN)).json()
        state["flags"][0]["enabled"] = False
        # When it is imported through A
        assert (await a.http.post("/import", json=state, headers=ADMIN)).status_code == 200
        # Then B serves the new content, although no version changed
        await _sees(b, "beta", False)
        assert b.service.snapshot.get_doc("beta")["version"] == 1  # type: ignore[index]


@pytest.mark.postgres
async def test_version_check__change_behind_the_marker__periodic_scan_finds_it(postgres: str, tmp_path: Path) -> None:
    # Given B, without a bus, whose version check missed a write (as when a transaction that took
    # an older audit id commits after a newer one was seen)
    settings = {"database_url": postgres, "redis_url": f"redis://127.0.0.1:{free_port()}/0", **SLOW_CHECK}
    async with replica(tmp_path, "a", **settings) as a, replica(tmp_path, "b", **settings) as b:
        await b.replicator.check()
        await b.replicator.check()  # the tick after a change compares once more ("settles")
        await a.http.post("/flags", json={"name": "late", "enabled": True}, headers=ADMIN)
        b.replicator._marker = await b.service.store.change_marker()
        await b.replicator.check()
        assert await b.enabled("late") is None
        # When the periodic scan is due
        b.replicator._scan_due = 0
        await b.replicator.check()
        # Then B has it
        assert await b.enabled("late") is True


@pytest.mark.postgres
async def test_prerequisite_cycle__made_on_two_replicas_at_once__fails_closed_and_next_write_is_checked(
    postgres: str, tmp_path: Path
) -> None:
    # Given two replicas that have not yet heard of each other's latest writes (no bus, no check
    # due: the window the propagation delay leaves open)
    settings = {"database_url": postgres, "redis_url": f"redis://127.0.0.1:{free_port()}/0", **SLOW_CHECK}
    async with replica(tmp_path, "a", **settings) as a, replica(tmp_path, "b", **settings) as b:
        for name in ("first", "second"):
            await a.http.post("/flags", json={"name": name, "enabled": True}, headers=ADMIN)
        await b.replicator.check()
        # When A makes `first` require `second` while B makes `second` require `first`
        requires = {"first": "second", "second": "first"}
        for writer, name in ((a, "first"), (b, "second")):
            body = {"prerequisites": [{"flag": requires[name]}]}
            assert (await writer.http.patch(f"/flags/{name}", json=body, headers=ADMIN)).status_code == 200
        # Then both were accepted (the documented limit), and once in step both replicas fail closed
        for target in (a, b):
            await target.replicator.check()
            for name in requires:
                result = (await target.http.get(f"/flags/{name}/evaluate", params={"identifier": "u"})).json()
                assert (result["active"], result["reason"]) == (False, "prerequisite_failed")
        # And the next write to either is checked against the whole graph: keeping the cycle is
        # refused, breaking it is accepted
        kept = await a.http.patch("/flags/first", json={"description": "x"}, headers=ADMIN)
        assert kept.status_code == 409 and "cycle" in kept.json()["error"]
        assert (await b.http.patch("/flags/first", json={"prerequisites": []}, headers=ADMIN)).status_code == 200
