"""Fixtures of the store contract suite: a fresh `store` per test, on SQLite and on PostgreSQL.

PostgreSQL (127.0.0.1:5432, user postgres) gets one throwaway database per test session (so per
xdist worker), emptied before each test. If the server is unreachable its tests are skipped,
except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from vexil.store import SqlStore, migrate, sqlite_url
from vexil.store.tables import Base

POSTGRES_SERVER = os.environ.get("VEXIL_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
DATABASE_PREFIX = "vexil_test_"  # + pid of the test process + random
TABLES = ", ".join(table.name for table in Base.metadata.sorted_tables)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


async def _admin(statement: str) -> list[str]:
    engine = create_async_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(statement))
            return [str(row[0]) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def _drop_orphans() -> None:
    """Drop the databases of test sessions killed before their teardown (their process is gone).

    Test runs sharing the server are assumed to run on this machine, where their pids are visible.
    """
    names = await _admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{DATABASE_PREFIX}%'")
    for name in names:
        pid = name.removeprefix(DATABASE_PREFIX).partition("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A migrated database of its own for this session, dropped at the end."""
    name = f"{DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    try:
        await _drop_orphans()
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable ({exc.__class__.__name__}: {exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(f"{message}; start it or deselect these tests with -m 'not postgres'")
    url = f"{POSTGRES_SERVER}/{name}"
    try:
        await migrate(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()
    return database_url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlStore]:
    opened = await SqlStore.open(store_url)
    try:
        yield opened
    finally:
        await opened.close()


RowCounter = Callable[[str], Awaitable[int]]


@pytest.fixture
def count_rows(store: SqlStore) -> RowCounter:
    """`await count_rows("flag_apps")`: rows of a table, read around the store's API."""

    async def count(table: str) -> int:
        async with store.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(text(table))) or 0)

    return count
