"""`/health` tells the truth, at once, and nothing about the deployment to strangers.

PostgreSQL whose packets are dropped never refuses anything: it stops answering. The server reaches
it through a proxy of the test's own that can stop forwarding (connections stay open, nothing goes
through), and `/health` must say `degraded` within seconds while answering at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from tests.conftest import ADMIN, ADMIN_ENV, ADMIN_TOKEN, LiveServer, free_port
from tests.postgres import POSTGRES_SERVER, create_database, drop_database
from vexil.api.app import create_app
from vexil.config import Settings


class StallingProxy:
    """Forwards 127.0.0.1:`port` to a target in a thread of its own; `stall()` stops forwarding in
    both directions without closing anything (dropped packets, as seen from either end), and
    `resume()` delivers what was held and forwards again."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stalling-proxy", daemon=True)
        self._thread.start()
        self._flowing = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._call(self._start())

    def _call(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _start(self) -> None:
        self._flowing.set()
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    def stall(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def resume(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    def close(self) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._flowing.wait()  # a new connection while stalled hears nothing, as if lost
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()


@pytest.fixture
def proxy() -> Iterator[StallingProxy]:
    stalling = StallingProxy(make_url(POSTGRES_SERVER).port or 5432)
    try:
        yield stalling
    finally:
        stalling.resume()
        stalling.close()


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


def until(check: Callable[[], bool], what: str, timeout: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.postgres
@pytest.mark.slow
def test_health__postgres_stops_answering__degraded_within_seconds_answering_at_once_without_addresses(
    live_server: Callable[..., LiveServer], proxy: StallingProxy, database: str
) -> None:
    # Given a server on PostgreSQL through the proxy, with a Redis that refuses connections
    redis_port = free_port()
    head, _, rest = database.partition("@")
    env = {
        **ADMIN_ENV,
        "VEXIL_DATABASE_URL": f"{head}@127.0.0.1:{proxy.port}/{rest.partition('/')[2]}",
        "VEXIL_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    server = live_server(env=env)
    httpx.post(f"{server.url}/flags", json={"name": "beta", "enabled": True}, headers=ADMIN, timeout=10)
    assert timed_health(server)[1]["storage"] == "ok"

    # When PostgreSQL's packets stop going through
    proxy.stall()
    answers: list[tuple[float, dict[str, Any]]] = []

    def storage_down() -> bool:
        answers.append(timed_health(server))
        return bool(answers[-1][1]["storage"] != "ok")

    took = until(storage_down, "storage reported down", timeout=8)

    # Then /health says so within seconds, and every answer came at once
    assert took < 5
    assert max(seconds for seconds, _ in answers) < 0.5
    anonymous = answers[-1][1]
    assert anonymous["status"] == "degraded"
    assert anonymous["storage"] == "unavailable: no answer within 2 s"
    assert anonymous["bus"] == "redis: unavailable"
    assert not any(secret in str(anonymous) for secret in ("127.0.0.1", str(proxy.port), str(redis_port)))
    # (evaluations go on from memory, and an admin is told why the bus is down)
    evaluated = httpx.get(f"{server.url}/flags/beta/evaluate", params={"identifier": "u"}, timeout=2).json()
    assert evaluated["active"] is True
    detailed = timed_health(server, authorization=f"Bearer {ADMIN_TOKEN}")[1]
    assert str(redis_port) in detailed["bus"]

    # When the packets flow again, storage is ok again
    proxy.resume()
    until(lambda: timed_health(server)[1]["storage"] == "ok", "storage ok again", timeout=20)


def test_health__free_disk_below_threshold__degraded_low_disk_space_path_for_token_holders_only(
    live_server: Callable[..., LiveServer],
) -> None:
    # Given a server on SQLite that wants more free space than any disk has
    server = live_server(env={**ADMIN_ENV, "VEXIL_MIN_FREE_DISK_MB": str(10**12)})

    # When
    until(lambda: timed_health(server)[1]["storage"] != "ok", "low disk space reported", timeout=5)
    anonymous = timed_health(server)[1]
    detailed = timed_health(server, authorization=f"Bearer {ADMIN_TOKEN}")[1]

    # Then
    assert anonymous["status"] == "degraded"
    assert anonymous["storage"].startswith("low disk space: ")
    assert anonymous["storage"].endswith(f" MB free, below {10**12} MB")
    assert str(server.data_dir) not in str(anonymous)
    assert detailed["storage"] == f"{anonymous['storage']} (in {server.data_dir.resolve()})"
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
