"""Fixtures of the store contract suite: a fresh `store` per test, on SQLite and on PostgreSQL.

PostgreSQL gets the session's throwaway database (`postgres_url`, tests/conftest.py), emptied
before each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.postgres import empty_database
from vexil.store import SqlStore, sqlite_url

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
