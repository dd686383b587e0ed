"""Fixtures of the store contract suite: a fresh `store` per test, on SQLite and on PostgreSQL.

PostgreSQL gets the session's throwaway database (`postgres_url`, tests/conftest.py), emptied
before each test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select, text

from vexil.store import SqlStore

RowCounter = Callable[[str], Awaitable[int]]


@pytest.fixture
def count_rows(store: SqlStore) -> RowCounter:
    """`await count_rows("flag_apps")`: rows of a table, read around the store's API."""

    async def count(table: str) -> int:
        async with store.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(text(table))) or 0)

    return count
