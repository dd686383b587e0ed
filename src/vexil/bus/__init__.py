"""Several replicas in step: the change bus and the replicator.

    ChangeBus (base.py)      RedisBus (redis.py)        with --redis-url
                             PostgresBus (postgres.py)  PostgreSQL and no Redis: LISTEN/NOTIFY
                             none                       SQLite: the version check alone
    Replicator (replicator.py)  publishes this replica's writes, applies the others', and runs
                                the periodic version check against the database

Errors: `BusUnavailable` (publishing failed; the version check carries the change); the database's
own errors are the store's (`StoreUnavailable`), reported by `/health`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.engine import make_url

from vexil.bus.base import BusUnavailable, ChangeBus, Message
from vexil.bus.replicator import HealthProbe, Replicator, file_probe
from vexil.config import Settings
from vexil.core.service import FlagService

BUS_READY_TIMEOUT_S = 3.0

__all__ = ["BusUnavailable", "ChangeBus", "Message", "Replicator", "make_bus", "start_replicator"]

# Seconds between version checks: with a bus they are only the safety net; without one (SQLite,
# `--workers`) they are how the workers learn of each other's writes, and most of them are a
# `stat()` of the database files (`file_probe`).
CHECK_INTERVAL_WITH_BUS_S = 1.0
CHECK_INTERVAL_ALONE_S = 0.2


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database.startswith((":", "file:")):
        return None
    return Path(parsed.database)


def make_bus(settings: Settings) -> ChangeBus | None:
    """Redis when configured, else LISTEN/NOTIFY on PostgreSQL, else none."""
    if settings.redis_url:
        from vexil.bus.redis import RedisBus

        return RedisBus(settings.redis_url)
    url = settings.resolved_database_url()
    if url.startswith(("postgres://", "postgresql")):
        from vexil.bus.postgres import PostgresBus

        return PostgresBus(url)
    return None


async def start_replicator(settings: Settings, service: FlagService) -> Replicator:
    """The replicator of this process, started.

    Startup waits up to `BUS_READY_TIMEOUT_S` for the bus's first connection, so that a replica
    that says it is healthy hears the others' writes from then on; a bus that is down by then keeps
    connecting in the background (the version check covers the gap, and `/health` says so).
    """
    bus = make_bus(settings)
    interval = settings.sync_interval or (CHECK_INTERVAL_WITH_BUS_S if bus is not None else CHECK_INTERVAL_ALONE_S)
    url = settings.resolved_database_url()
    database = _sqlite_file(url)
    replicator = Replicator(
        service,
        bus,
        interval=interval,
        probe=None if database is None else file_probe(database),
        health=HealthProbe(
            disk=None if database is None else database.parent, min_free_bytes=settings.min_free_disk_bytes
        ),
    )
    await replicator.start()
    if bus is not None:
        deadline = asyncio.get_running_loop().time() + BUS_READY_TIMEOUT_S
        while bus.status != "ok" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
    return replicator
