"""What the replication tests run against: a private redis-server, a TCP proxy that can cut
PostgreSQL away, and replicas (in-process apps or real `vexil serve` processes).

The machine's shared PostgreSQL and Redis are never stopped: a replica "loses" PostgreSQL when the
proxy it connects through is cut, and Redis by killing a redis-server of the test's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN_TOKEN, LiveServer, free_port, wait_healthy
from vexil.api.app import create_app
from vexil.bus import Replicator
from vexil.config import Settings
from vexil.core.service import FlagService


def require_binary(name: str) -> str:
    """The path of an executable; skips the test without it (fails it under CI=true)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    return path


class RedisServer:
    """A redis-server of the test's own, on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.binary = require_binary("redis-server")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.directory), "--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_port`, in a thread of its own.

    `cut()` resets every open connection and refuses new ones, as a crashed server would look from
    the client; `restore()` accepts again on the same port. `stall()` stops forwarding in both
    directions without closing anything, as dropped packets look from either end (new connections
    hear nothing either); `resume()` delivers what was held and forwards again.
    """

    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.restore()

    def _run(self, coroutine: Awaitable[None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    def restore(self) -> None:
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._cut())

    def stall(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def resume(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    def close(self) -> None:
        self.resume()
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._flowing.wait()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        flowing = self._flowing
        await asyncio.gather(_pipe(reader, upstream_writer, flowing), _pipe(upstream_reader, writer, flowing))
        self._writers -= {writer, upstream_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event) -> None:
    try:
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.transport.abort()


def through(proxy: TcpProxy, database_url: str) -> str:
    """The same database URL, via the proxy."""
    head, _, rest = database_url.partition("@")
    _hostport, _, database = rest.partition("/")
    return f"{head}@127.0.0.1:{proxy.port}/{database}"


# --- in-process replicas ------------------------------------------------------------------------


@dataclass
class Replica:
    """One in-process app: its HTTP client, service and replicator."""

    http: httpx.AsyncClient
    service: FlagService
    replicator: Replicator

    async def enabled(self, flag: str) -> bool | None:
        """The flag's evaluation for one user here: True/False, None when this replica has no such flag."""
        body = (await self.http.get(f"/flags/{flag}/evaluate", params={"identifier": "u1"})).json()
        return None if body["reason"] == "flag_not_found" else bool(body["active"])


@asynccontextmanager
async def replica(tmp_path: Path, name: str, **settings: Any) -> AsyncIterator[Replica]:
    app = create_app(Settings(data_dir=tmp_path / name, admin_token=ADMIN_TOKEN, **settings))
    async with LifespanManager(app) as manager:
        state = app.runtime
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as http:
            yield Replica(http, state.service, state.replicator)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> float:
    """Seconds until `check()` holds; fails the test after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.01)
    return time.monotonic() - start


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 5.0, what: str = "") -> float:
    """Seconds until `check()` holds; fails the test after `timeout`."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.005)
    return time.monotonic() - start


# --- real processes -----------------------------------------------------------------------------


def start_replicas(
    tmp_path: Path, count: int, env: dict[str, str], *args: str, admin_token: bool = True
) -> list[LiveServer]:
    """`count` `vexil serve` processes started together, each with its own data directory."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VEXIL_")}
    environment.update({"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN} if admin_token else {})
    environment.update(env)
    servers = []
    for index in range(count):
        port = free_port()
        data_dir = tmp_path / f"replica-{index}"
        data_dir.mkdir(parents=True, exist_ok=True)
        log = tmp_path / f"replica-{index}.log"
        command = [sys.executable, "-m", "vexil", "serve", "--port", str(port), "--data-dir", str(data_dir), *args]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environment)
        servers.append(LiveServer(process, f"http://127.0.0.1:{port}", data_dir, log))
    try:
        for server in servers:
            wait_healthy(server, timeout=30)
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[LiveServer]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


class EventReader:
    """Reads a Server-Sent Events stream in a thread; `events` grows as they arrive."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[tuple[str, Any]] = []
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)
        self._thread.start()
        if not self._opened.wait(10):
            raise RuntimeError(f"stream {url} did not open")

    def _read(self) -> None:
        event = ""
        with httpx.Client(timeout=httpx.Timeout(5, read=None)) as http, http.stream("GET", self.url) as response:
            self._opened.set()
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    self.events.append((event, json.loads(line[6:])))

    def updates_of(self, flag: str) -> list[Any]:
        """The values an `update` event carried for `flag`, in order."""
        return [data["flags"][flag] for event, data in list(self.events) if event == "update" and flag in data["flags"]]

    def close(self) -> None:
        self._stop.set()
