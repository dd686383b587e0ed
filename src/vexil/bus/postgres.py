"""The change bus over PostgreSQL LISTEN/NOTIFY, used when the database is PostgreSQL and no Redis
is configured: nothing else to run.

One dedicated asyncpg connection per replica LISTENs on `vexil_changes` and also sends the
NOTIFYs (a connection outside the store's pool, so a busy pool never delays a message). NOTIFY is
scoped to the database, so installations sharing a PostgreSQL server never hear each other.
Payloads stay under the 8000-byte limit (see `base.encode`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from vexil.bus.base import BusUnavailable, Connected, Deliver

__all__ = ["PostgresBus", "asyncpg_dsn"]

log = logging.getLogger("vexil.bus")

CHANNEL = "vexil_changes"
# How the LISTEN connection shows in pg_stat_activity.
APPLICATION_NAME = "vexil-bus"
CONNECT_TIMEOUT_S = 2.0
# The idle connection runs `SELECT 1` this often: a server gone without closing the socket
# (a network cut) is noticed within seconds, not at the next TCP keepalive.
PING_INTERVAL_S = 5.0
MAX_BACKOFF_S = 5.0

# asyncpg's connection errors: the server refused, went away, or failed the query.
_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://...`) as the DSN asyncpg itself takes.

    >>> asyncpg_dsn("postgresql+asyncpg://vexil:pw@db:5432/vexil")
    'postgresql://vexil:pw@db:5432/vexil'
    """
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBus:
    """LISTEN/NOTIFY on one connection; reconnects with backoff.

    >>> bus = PostgresBus("postgresql+asyncpg://vexil@db/vexil")
    >>> await bus.start(deliver=print, connected=lambda: None)
    """

    name = "postgres"

    def __init__(self, database_url: str, *, ping_interval: float = PING_INTERVAL_S) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._ping_interval = ping_interval
        self._connection: Any = None
        # asyncpg runs one query at a time per connection: NOTIFYs and pings take turns.
        self._busy = asyncio.Lock()
        self._error: str | None = "connecting"
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        return "ok" if self._error is None else f"unavailable: {self._error}"

    async def start(self, deliver: Deliver, connected: Connected) -> None:
        self._task = asyncio.create_task(self._listen(deliver, connected), name="vexil-postgres-bus")

    async def publish(self, payload: bytes) -> None:
        connection = self._connection
        if connection is None or connection.is_closed():
            raise BusUnavailable(f"postgres: {self._error or 'not connected'}")
        try:
            async with self._busy:
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload.decode(), timeout=2)
        except _ERRORS as exc:
            raise BusUnavailable(f"postgres: {exc}") from exc

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _listen(self, deliver: Deliver, connected: Connected) -> None:
        backoff = 0.1
        attempts = 0
        while True:
            attempts += 1
            connection: Any = None
            try:
                connection = await asyncpg.connect(
                    self._dsn, timeout=CONNECT_TIMEOUT_S, server_settings={"application_name": APPLICATION_NAME}
                )
                lost = asyncio.Event()
                connection.add_termination_listener(_setter(lost))
                await connection.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: deliver(payload.encode()))
                if self._error is not None and attempts > 1:
                    log.info("change bus: postgres LISTEN is back")
                self._connection, self._error, backoff = connection, None, 0.1
                connected()
                await self._watch(connection, lost)
            except _ERRORS as exc:
                if self._error is None or self._error == "connecting":
                    log.warning("change bus: postgres LISTEN unavailable (%s); relying on the version check", exc)
                self._error = str(exc) or exc.__class__.__name__
            finally:
                self._connection = None
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Return never; raise once the connection is gone."""
        while True:
            try:
                await asyncio.wait_for(lost.wait(), self._ping_interval)
            except TimeoutError:
                async with self._busy:
                    await connection.execute("SELECT 1", timeout=self._ping_interval)
            else:
                raise ConnectionError("the LISTEN connection was closed")


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: event.set()
