"""Engine creation and driver-error translation, shared by the store and the migration runner.

SQLite gets the settings that make an acknowledged write durable and concurrent writers safe:
WAL journal, `synchronous=FULL` (the commit is on disk when it returns), foreign keys, a busy
timeout, and SQLAlchemy in charge of BEGIN, so that a write transaction starts with
`BEGIN IMMEDIATE` (its read-modify-write cannot interleave with another writer's).

Switching a new database to WAL is the one step the busy timeout does not cover: SQLite upgrades
the statement's read lock to a write lock there, and a connection that meets another doing the
same gets "database is locked" at once (waiting could deadlock). It is retried until the busy
timeout has passed; once the file is in WAL mode (persistent), the PRAGMA takes no lock.

A SQLite file and its directory are created for their owner's eyes only (`_files.py`).

`db_errors()` turns driver errors into the store's own (`errors.py`), in plain words: the driver's
message, which may quote SQL, values, addresses or paths, goes to the log and never into a message.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vexil.store._files import private_directory, private_sqlite_files
from vexil.store.errors import Conflict, InvalidValue, StoreError, StoreUnavailable

log = logging.getLogger("vexil.store")

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
            database = Path(parsed.database)
            if not database.parent.is_dir():
                private_directory(database.parent)
            private_sqlite_files(database)
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


UNAVAILABLE = "the database is unavailable"
REFUSED_VALUE = "the database cannot store a value of this request"
# PostgreSQL's SQLSTATE classes (asyncpg reports most errors under one generic class).
_SQLSTATE_INVALID_VALUE = ("22",)  # data exception: bad encoding, out of range, ...
_SQLSTATE_CONFLICT = ("23", "40")  # integrity violation; serialization failure, deadlock
_SQLSTATE_UNAVAILABLE = ("08", "53", "57", "58")  # connection; resources (disk full); shutdown; system


def unavailable_reason(exc: BaseException) -> str:
    """Why the database is unavailable, in words that reveal nothing about the deployment."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")
    if "disk is full" in text or "no space left" in text or sqlstate.startswith("53100"):
        return "its disk is full"
    if "locked" in text or "busy" in text:
        return "it is locked by another process"
    if isinstance(exc, TimeoutError | PoolTimeoutError) or "timeout" in text or "timed out" in text:
        return "it did not answer in time"
    return "the connection failed"


def _unavailable(exc: BaseException) -> StoreUnavailable:
    # Logged where it is reported (the replicator, once per outage, with this detail): not per request.
    log.debug("database unavailable: %s", getattr(exc, "orig", None) or exc)
    return StoreUnavailable(f"{UNAVAILABLE}: {unavailable_reason(exc)}")


@asynccontextmanager
async def db_errors() -> AsyncIterator[None]:
    """Translate driver errors raised inside the block into `StoreError`s (chained), in plain words."""
    try:
        yield
    except DBAPIError as exc:
        raise _translated(exc) from exc
    except StatementError as exc:
        # Raised before the driver saw the statement, converting a parameter: a value no
        # column can hold (out of range, not encodable), which the store's checks should have caught.
        if isinstance(exc.orig, UnicodeError | OverflowError | ValueError | TypeError):
            log.warning("database refused a value: %s", exc.orig)
            raise InvalidValue(REFUSED_VALUE) from exc
        log.error("database error: %s", exc)
        raise StoreError("database error") from exc
    except (PoolTimeoutError, OSError, TimeoutError) as exc:
        raise _unavailable(exc) from exc
    except SQLAlchemyError as exc:
        log.error("database error: %s", exc)
        raise StoreError("database error") from exc


def _translated(exc: DBAPIError) -> StoreError:
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if isinstance(exc, IntegrityError) or sqlstate.startswith(_SQLSTATE_CONFLICT):
        log.info("write refused by the database: %s", exc.orig)
        return Conflict("the write conflicts with a concurrent change to the same data: reload and retry")
    if isinstance(exc, DataError) or sqlstate.startswith(_SQLSTATE_INVALID_VALUE):
        log.warning("database refused a value: %s", exc.orig)
        return InvalidValue(REFUSED_VALUE)
    if (
        isinstance(exc, OperationalError | InterfaceError)
        or exc.connection_invalidated
        or sqlstate.startswith(_SQLSTATE_UNAVAILABLE)
    ):
        # "unable to open database file", "database is locked", a server gone: about reaching
        # the data, not about the data.
        return _unavailable(exc)
    log.error("database error: %s", exc.orig)
    return StoreError("database error")
