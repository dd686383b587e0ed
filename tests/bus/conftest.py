"""Fixtures of the replication tests: a private Redis, and a proxy in front of PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.bus.harness import RedisServer, TcpProxy
from tests.postgres import POSTGRES_SERVER


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (`kill()` it, `start()` it again on the same port)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def postgres_proxy() -> Iterator[TcpProxy]:
    """A TCP proxy to the PostgreSQL server: `cut()` takes the database away from whoever uses it."""
    proxy = TcpProxy(make_url(POSTGRES_SERVER).port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()
