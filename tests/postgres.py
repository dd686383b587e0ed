"""Throwaway PostgreSQL databases for the tests (127.0.0.1:5432, user postgres, trust auth).

Each test session (so each xdist worker) creates databases of its own, named after its pid, and
drops them at the end; databases of sessions killed before their teardown are dropped by the next
session that starts. If the server is unreachable, its tests are skipped with the reason, except
under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from vexil.store import migrate
from vexil.store.tables import Base

POSTGRES_SERVER = os.environ.get("VEXIL_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")
DATABASE_PREFIX = "vexil_test_"  # + pid of the test process + random
TABLES = ", ".join(table.name for table in Base.metadata.sorted_tables)


async def admin(statement: str) -> list[str]:
    """Run one statement on the server's `test` database, outside a transaction."""
    engine = create_async_engine(f"{POSTGRES_SERVER}/test", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text(statement))
            return [str(row[0]) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def drop_orphans() -> None:
    """Drop the databases of test sessions killed before their teardown (their process is gone).

    Test runs sharing the server are assumed to run on this machine, where their pids are visible.
    """
    names = await admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{DATABASE_PREFIX}%'")
    for name in names:
        pid = name.removeprefix(DATABASE_PREFIX).partition("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def create_database() -> str:
    """A new, migrated database of this test process; `drop_database(url)` when done.

    Skips the test (fails it under CI=true) when the server cannot be reached.
    """
    name = f"{DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    try:
        await drop_orphans()
        await admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER} is unreachable ({exc.__class__.__name__}: {exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(f"{message}; start it or deselect these tests with -m 'not postgres'")
    url = f"{POSTGRES_SERVER}/{name}"
    try:
        await migrate(url)
    except BaseException:
        await drop_database(url)
        raise
    return url


async def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_database(url: str) -> None:
    """Delete every row (the schema stays), for the next test."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
