"""The two buses on their own: delivery, an outage, and the reconnection that follows."""

from __future__ import annotations

import asyncio

import pytest

from tests.bus.harness import RedisServer, eventually
from tests.postgres import admin
from vexil.bus.base import BusUnavailable, ChangeBus
from vexil.bus.postgres import APPLICATION_NAME, PostgresBus
from vexil.bus.redis import RedisBus


class Listener:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.connections = 0

    def deliver(self, payload: bytes) -> None:
        self.received.append(payload)

    def connected(self) -> None:
        self.connections += 1


async def _connected(bus: ChangeBus) -> None:
    async def up() -> bool:
        return bus.status == "ok"

    await eventually(up, what=f"{bus.name} bus connected: {bus.status}")


async def _delivers(bus: ChangeBus, listener: Listener, payload: bytes) -> None:
    async def arrived() -> bool:
        return payload in listener.received

    await bus.publish(payload)
    await eventually(arrived, what=f"{payload!r} delivered")


async def test_redis_bus__killed_then_restarted__unavailable_then_reconnects(redis_server: RedisServer) -> None:
    # Given two buses on one Redis
    first, second = RedisBus(redis_server.url, ping_interval=0.2), RedisBus(redis_server.url, ping_interval=0.2)
    listener = Listener()
    await first.start(Listener().deliver, lambda: None)
    await second.start(listener.deliver, listener.connected)
    try:
        await _connected(first)
        await _connected(second)
        assert first.channel == "vexil:changes:0"
        await _delivers(first, listener, b"one")
        # When Redis dies
        redis_server.kill()

        async def down() -> bool:
            return second.status.startswith("unavailable")

        await eventually(down, what="the subscriber notices")
        with pytest.raises(BusUnavailable):
            await first.publish(b"lost")
        # Then, once it is back, the subscriber reconnects (and says so again), and messages flow again
        redis_server.start()
        await _connected(second)
        assert listener.connections == 2
        await _delivers(first, listener, b"two")
    finally:
        await first.close()
        await second.close()


async def test_redis_bus__refused_from_the_start__reports_it_and_publish_fails() -> None:
    from tests.conftest import free_port

    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0")
    await bus.start(Listener().deliver, lambda: None)
    try:

        async def refused() -> bool:
            return bus.status.startswith("unavailable") and bus.status != "unavailable: connecting"

        await eventually(refused, what="connection refused reported")
        with pytest.raises(BusUnavailable):
            await bus.publish(b"x")
    finally:
        await bus.close()


@pytest.mark.postgres
async def test_postgres_bus__listen_connection_killed__reconnects_and_delivers(postgres_url: str) -> None:
    # Given two buses on one database
    first, second = PostgresBus(postgres_url), PostgresBus(postgres_url, ping_interval=0.2)
    listener = Listener()
    await first.start(Listener().deliver, lambda: None)
    await second.start(listener.deliver, listener.connected)
    try:
        await _connected(first)
        await _connected(second)
        await _delivers(first, listener, b'{"one": 1}')
        # When the server drops the LISTEN connections (as a restart or a failover would)
        database = postgres_url.rpartition("/")[2]
        await admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE application_name = '{APPLICATION_NAME}' AND datname = '{database}'"
        )

        async def reconnected() -> bool:
            return listener.connections == 2 and second.status == "ok" and first.status == "ok"

        # Then both reconnect, and messages flow again
        await eventually(reconnected, what="the buses reconnect")
        await asyncio.sleep(0)
        await _delivers(first, listener, b'{"two": 2}')
    finally:
        await first.close()
        await second.close()


async def test_postgres_bus__refused__reports_it_and_publish_fails() -> None:
    from tests.conftest import free_port

    bus = PostgresBus(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/vexil")
    await bus.start(Listener().deliver, lambda: None)
    try:

        async def refused() -> bool:
            return bus.status.startswith("unavailable") and bus.status != "unavailable: connecting"

        await eventually(refused, what="connection refused reported")
        with pytest.raises(BusUnavailable):
            await bus.publish(b"x")
    finally:
        await bus.close()
