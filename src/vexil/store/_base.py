"""The base every part of `SqlStore` stands on: one SQLAlchemy async engine, and the sessions each
part reads and writes in (`_read`: one snapshot for several SELECTs; `_write`: one unit of work,
queued behind this process's other writers on SQLite, which has one writer at a time)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vexil.store._engine import WRITE, db_errors


class StoreBase:
    """The engine and its sessions; the parts of the store (`sql.py`, `_flag_writer.py` and the
    `_*_store.py` modules) are its subclasses, joined in `SqlStore` (`sql.py`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        """Wrap a migrated engine; use `open()`, which migrates and seeds."""
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time: queue this process's writers here, not in SQLite's
        # sleeping busy handler (which stays as the guard against other processes).
        self._writers: asyncio.Lock | nullcontext[None] = nullcontext() if self._postgres else asyncio.Lock()
        # Reads span several SELECTs (a flag, its overrides, its apps): one snapshot for all.
        self._read_options: dict[str, Any] = {"isolation_level": "REPEATABLE READ"} if self._postgres else {}

    # --- sessions ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        async with db_errors(), self._sessions() as session:
            await session.connection(execution_options=self._read_options)
            yield session

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the body commits, leaving without a commit rolls back.

        The body wraps its own database calls in `db_errors()`: it may also run a caller's
        callback, whose exceptions must come out unchanged.
        """
        async with self._writers:
            session = self._sessions()
            try:
                async with db_errors():
                    await session.connection(execution_options={WRITE: True})
                yield session
            finally:
                async with db_errors():
                    await session.close()
