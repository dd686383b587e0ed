"""Engine creation and driver-error translation, shared by the store and the migration runner.

SQLite gets the settings that make an acknowledged write durable and concurrent writers safe:
WAL journal, `synchronous=FULL` (the commit is on disk when it returns), foreign keys, a busy
timeout, and SQLAlchemy in charge of BEGIN, so that a write transaction starts with
`BEGIN IMMEDIATE` (its read-modify-write cannot interleave with another writer's).

Switching a new database to WAL is the one step the busy timeout does not cover: SQLite upgrades
the statement's read lock to a write lock there, and a connection that meets another doing the
same gets "database is locked" at once (waiting could deadlock). It is retried until the busy
timeout has passed; once the file is in WAL mode (persistent), the PRAGMA takes no lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vexil.store.errors import Conflict, StoreError, StoreUnavailable

# Execution option marking a connection whose transaction will write (see `_begin`).
WRITE = "vexil_write"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_WAL_RETRY_S = 0.005
POSTGRES_CONNECT_TIMEOUT_S = 10

# What users type, and the async driver that serves it.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def sqlite_url(data_dir: Path) -> str:
    """The URL of the embedded database in a data directory.

    >>> sqlite_url(Path("/var/lib/vexil"))
    'sqlite+aiosqlite:////var/lib/vexil/vexil.db'
    """
    return f"sqlite+aiosqlite:///{(data_dir / 'vexil.db').as_posix()}"


def async_url(url: str) -> str:
    """`postgresql://...` and `sqlite:///...` as their async-driver URLs; others unchanged."""
    scheme, sep, rest = url.partition("://")
    return f"{_DRIVERS.get(scheme, scheme)}{sep}{rest}"


def make_engine(url: str) -> AsyncEngine:
    """An engine for `url`; for a SQLite file, creates its directory and sets up durability."""
    url = async_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_driver_name() == "asyncpg":
        connect_args["timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop the driver from issuing its own BEGIN (it skips SELECTs); `_sqlite_begin` does it.
    dbapi_connection.isolation_level = None
    dbapi_connection.run_async(_sqlite_wal)
    cursor = dbapi_connection.cursor()
    for pragma in (
        "synchronous=FULL",
        "foreign_keys=ON",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


async def _sqlite_wal(connection: Any) -> None:
    """`PRAGMA journal_mode=WAL` on the aiosqlite connection, retried while another switches too."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await (await connection.execute("PRAGMA journal_mode=WAL")).close()
            return
        except sqlite3.OperationalError as exc:
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(SQLITE_WAL_RETRY_S)


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads, then writes,
    # fails with SQLITE_BUSY_SNAPSHOT if another writer committed in between.
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@asynccontextmanager
async def db_errors() -> AsyncIterator[None]:
    """Translate driver errors raised inside the block into `StoreError`s (chained)."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"the write conflicts with stored data: {exc.orig}") from exc
    except (OperationalError, InterfaceError) as exc:
        # "unable to open database file", "database is locked", a server gone: about reaching
        # the data, not about the data.
        raise StoreUnavailable(f"the database is unavailable: {exc.orig}") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(f"the database is unavailable: {exc.orig}") from exc
        raise StoreError(f"database error: {exc.orig}") from exc
    except (PoolTimeoutError, OSError, TimeoutError) as exc:
        raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"database error: {exc}") from exc
