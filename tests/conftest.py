"""Shared fixtures: an in-process app behind httpx, and real server processes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from asgi_lifespan import LifespanManager

from tests.postgres import create_database, drop_database, empty_database
from vexil.api.app import create_app
from vexil.config import Settings
from vexil.store import SqlStore, sqlite_url

ADMIN_TOKEN = "vx_test_admin_secret_0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The environment of a real server process whose admin token is ADMIN_TOKEN.
ADMIN_ENV = {"VEXIL_ADMIN_TOKEN": ADMIN_TOKEN}


def ok(response: httpx.Response) -> Any:
    """The JSON of a successful response (None when empty); fails the test with the body otherwise."""
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def admin_client(server: LiveServer) -> httpx.Client:
    """An httpx client for a live server, as admin."""
    return httpx.Client(base_url=server.url, headers=ADMIN, timeout=10)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where this test's database lives: its own SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store_url(database_url: str) -> str:
    """The URL of an empty database, not opened yet."""
    if database_url.startswith("postgresql"):
        await empty_database(database_url)
    return database_url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStore]:
    """A fresh store per test, on SQLite and on PostgreSQL."""
    opened = await SqlStore.open(store_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL database of this test session's own, dropped at the end (tests/postgres.py)."""
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test module's own, for real server processes."""
    url = asyncio.run(create_database())
    yield url
    asyncio.run(drop_database(url))


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """On a fresh SQLite file, or on the session's PostgreSQL database (emptied by `client`)."""
    database_url: str | None = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return Settings(data_dir=tmp_path / "data", database_url=database_url, admin_token=ADMIN_TOKEN)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """`app` started with its lifespan, and an HTTP client that asks it in process."""
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as http:
            yield http


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The whole ASGI app (fast path included) with its lifespan, on each backend."""
    if settings.database_url:
        await empty_database(settings.database_url)
    async with serve(create_app(settings)) as http:
        yield http


VEXIL_SCRIPT = Path(sys.executable).parent / "vexil"


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any VEXIL_* setting (so the caller's shell cannot leak in)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("VEXIL_")}
    environment.update(extra)
    return environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A real `vexil serve` process."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(data_dir: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None) -> LiveServer:
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"server-{port}.log"
    # The real console script when installed (as users run it), else the same entry point via -m.
    launcher = [str(VEXIL_SCRIPT)] if VEXIL_SCRIPT.exists() else [sys.executable, "-m", "vexil"]
    command = [*launcher, "serve", "--port", str(port), "--data-dir", str(data_dir), *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=clean_environ(**(env or {})))
    server = LiveServer(process, f"http://127.0.0.1:{port}", data_dir, log)
    wait_healthy(server)
    return server


def wait_healthy(server: LiveServer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"server not healthy within {timeout}s:\n{server.output()}")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers (`start(*args, env=...)`); all are stopped at the end."""
    started: list[LiveServer] = []

    def start(*args: str, env: dict[str, str] | None = None, data_dir: Path | None = None) -> LiveServer:
        server = start_server(data_dir or tmp_path / "data", *args, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


def flag_body(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields}
