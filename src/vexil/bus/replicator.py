"""Keeping one replica's in-memory state in step with the database the replicas share.

    a write here ──> FlagService.on_commit ──> outbox ──> bus.publish ──> the other replicas
    a bus message ──> pending (coalesced) ──> FlagService.sync_from_store(names) ──> snapshot, ChangeHub
    every `interval` s: the store's change marker moved? ──> compare stored versions with the snapshot
    every `scan_interval` s: compare stored versions with the snapshot, whatever the marker says
    after a storage outage, a bus reconnection, an import: FlagService.resync() (every document)

The bus makes a change visible everywhere within milliseconds; the version check is the safety net
for whatever the bus lost (Redis down, a replica disconnected, a publisher that died between its
commit and its publish), and the only mechanism with SQLite, where several processes (`--workers`)
share one file and there is no bus. Messages are hints: what is applied is always read back from
the database, under the service's lock, so the snapshot only moves forward.

Comparing versions reads one small row per flag and segment, outside the service's lock; only the
flags that differ are read in full. Reading every document happens only when versions cannot be
trusted to tell: after an outage or a reconnection (anything may have happened), and after an
import (imported documents keep the versions written in the file).

Health (`health()`, served by `/health`) does not wait on any of this: a probe asks the database
`SELECT 1` every `probe_interval` seconds, and reports it unavailable when that fails or has not
answered within `probe_timeout` (a database whose packets are dropped never says no: it only stops
answering, and so would the version check). With SQLite, the probe also reads the free space of the
database's directory: below `min_free_bytes`, storage is `low disk space`. What the probe found is
kept, so `/health` answers at once whatever the database does. Why storage or the bus is down comes
in two parts: a problem in plain words that anyone may read, and the driver's message (addresses,
paths) that only `health(details=True)` adds.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vexil.bus.base import BusUnavailable, ChangeBus, Message, Stamp, decode, encode
from vexil.core.service import Committed, FlagService
from vexil.store import differing
from vexil.store.errors import StoreError, StoreUnavailable

__all__ = ["Replicator", "file_probe"]

log = logging.getLogger("vexil.bus")

# The store's change marker is the newest audit id, and PostgreSQL hands out ids before commit:
# a write can become visible after a later one did, leaving the marker where it was. Comparing
# versions once more on the tick after a change catches such a straggler; the periodic scan
# catches anything slower.
SCAN_INTERVAL_S = 60.0
# With a probe, the change marker is still read this often (so /health notices a storage failure).
PROBE_TRUST_S = 5.0
# The health probe: `SELECT 1` this often, and storage is unavailable past this wait for its answer.
HEALTH_PROBE_INTERVAL_S = 1.0
HEALTH_PROBE_TIMEOUT_S = 2.0
MEBIBYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class HealthProbe:
    """How storage is probed for `/health`: `disk` is the directory whose free space is watched
    (SQLite's; None: none), below `min_free_bytes`."""

    disk: Path | None = None
    min_free_bytes: int = 0
    interval: float = HEALTH_PROBE_INTERVAL_S
    timeout: float = HEALTH_PROBE_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class Problem:
    """Why storage is not ok: `what` in plain words for anyone, `detail` (driver text) on request."""

    what: str
    detail: str | None = None

    @classmethod
    def of(cls, exc: StoreError) -> Problem:
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        reason = message.partition(": ")[2] if isinstance(exc, StoreUnavailable) else ""
        cause = exc.__cause__
        cause = getattr(cause, "orig", None) or cause
        detail = None if cause is None else f"{type(cause).__name__}: {cause}"
        return cls(f"unavailable: {reason or message}", detail)

    def shown(self, details: bool) -> str:
        return f"{self.what} ({self.detail})" if details and self.detail else self.what


@dataclass
class _Pending:
    """Changes heard on the bus and not applied yet, merged."""

    flags: dict[str, Stamp | None] = field(default_factory=dict)
    segments: bool = False
    tokens: bool = False
    everything: bool = False
    check: bool = False  # compare versions with the database

    def add(self, message: Message) -> None:
        self.flags.update(message.flags)
        self.segments |= message.segments
        self.tokens |= message.tokens
        self.everything |= message.everything

    def message(self, origin: str) -> Message:
        return Message(origin, self.flags, self.segments, self.tokens, self.everything)


class Replicator:
    """Runs beside the service in one replica (a `vexil serve` process or one of its workers).

    >>> replicator = Replicator(service, RedisBus("redis://cache:6379/0"), interval=1.0)
    >>> await replicator.start()
    >>> replicator.health()
    {'bus': 'redis: ok', 'storage': 'ok'}
    >>> await replicator.close()
    """

    def __init__(
        self,
        service: FlagService,
        bus: ChangeBus | None,
        *,
        interval: float,
        scan_interval: float = SCAN_INTERVAL_S,
        probe: Callable[[], object] | None = None,
        health: HealthProbe | None = None,
    ) -> None:
        """`probe()`: a cheap value that changes whenever the database may have (see `file_probe`);
        while it stays the same, the check skips its query (but still runs one every few seconds).
        `health`: how `/health` probes storage (default: `SELECT 1` alone)."""
        self.service = service
        self.bus = bus
        self.interval = interval
        self.scan_interval = scan_interval
        self.origin = secrets.token_hex(8)
        self._marker: int | None = None  # None: compare versions on the first check
        self._settle = False
        self._scan_due = time.monotonic() + scan_interval
        self._last_import: int | None = None
        self._needs_resync = False
        self._storage_error: Problem | None = None  # the version check's last failure
        # Whether the database answers, as last found by the probe or the version check, whichever
        # looked last; and the probe's finding about free disk space.
        self._reachable: Problem | None = None
        self._disk: Problem | None = None
        self.health_probe = health or HealthProbe()
        self._probe_task: asyncio.Task[None] | None = None  # the health probe in flight, or the last
        self._incoming = _Pending()
        self._incoming_ready = asyncio.Event()
        self._outgoing = _Pending()
        self._outgoing_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._bus_was_connected = False
        self._probe = probe
        self._probed: object = None
        self._query_due = 0.0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.service.on_commit = self._committed
        self._spawn(self._check_loop(), "check")
        self._spawn(self._health_loop(), "health")
        if self.bus is not None:
            self._spawn(self._apply_loop(), "apply")
            self._spawn(self._publish_loop(), "publish")
            await self.bus.start(self._received, self._bus_connected)

    async def close(self) -> None:
        self.service.on_commit = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        probe = self._probe_task
        if probe is not None and not probe.done():
            # Let a probe in flight finish while the store is still open (the store closes next).
            await asyncio.wait({probe}, timeout=self.health_probe.timeout)
            probe.cancel()
        if self.bus is not None:
            await self.bus.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=f"vexil-replicator-{name}")
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    def health(self, *, details: bool = False) -> dict[str, str]:
        """`storage`: `ok`, `unavailable: <why>` or `low disk space: ...`, as last probed or checked;
        `bus`: `<name>: ok`, `<name>: unavailable` or `none`. `details` adds the drivers' messages
        (they may name addresses and paths: not for anonymous callers)."""
        if self.bus is None:
            bus = "none"
        else:
            status = self.bus.status
            bus = f"{self.bus.name}: {status if status == 'ok' or details else 'unavailable'}"
        problem = self._reachable or self._disk
        return {"bus": bus, "storage": "ok" if problem is None else problem.shown(details)}

    # --- health ---------------------------------------------------------------------------------

    async def _health_loop(self) -> None:
        """Probe storage every `interval` s; never more than one probe in flight."""
        settings = self.health_probe
        while True:
            probe = self._probe_task
            if probe is None or probe.done():
                probe = self._probe_task = asyncio.create_task(self._probe_storage(), name="vexil-replicator-probe")
            done, _ = await asyncio.wait({probe}, timeout=settings.timeout)
            if not done:
                # Left to finish (cancelling it in the driver would leave its connection to be reset
                # over the same silent network): a connection whose packets vanish may take minutes
                # to give up. The next probe starts once this one is over.
                self._reached(Problem(f"unavailable: no answer within {settings.timeout:g} s"))
            await asyncio.sleep(settings.interval)

    async def _probe_storage(self) -> None:
        try:
            await self.service.store.ping()
        except StoreError as exc:
            self._reached(Problem.of(exc))
            return
        except Exception as exc:  # a bug must not stop the probe loop: say so, and probe again
            log.exception("the storage probe failed")
            self._reached(Problem("unavailable: the probe failed", f"{type(exc).__name__}: {exc}"))
            return
        self._reached(None)
        disk = await self._disk_problem()
        if disk != self._disk:
            log.log(logging.INFO if disk is None else logging.WARNING, "storage: %s", _shown(disk))
            self._disk = disk

    async def _disk_problem(self) -> Problem | None:
        disk, minimum = self.health_probe.disk, self.health_probe.min_free_bytes
        if disk is None:
            return None
        try:
            free = (await asyncio.to_thread(shutil.disk_usage, disk)).free
        except OSError as exc:
            return Problem("unavailable: the data directory cannot be read", f"{disk}: {exc}")
        if free >= minimum:
            return None
        return Problem(f"low disk space: {free // MEBIBYTE} MB free, below {minimum // MEBIBYTE} MB", f"in {disk}")

    def _reached(self, problem: Problem | None) -> None:
        """Whether the database answered, just found (by the probe or the version check)."""
        if problem == self._reachable:
            return
        if problem is None:
            log.info("storage: the database answers again")
        else:
            log.warning("storage %s; serving evaluations from memory", problem.shown(details=True))
        self._reachable = problem

    # --- outgoing -----------------------------------------------------------------------------

    def _committed(self, committed: Committed) -> None:
        """Called by the service after each of its writes; never blocks the write."""
        if self.bus is None:
            return
        stamps: dict[str, Stamp | None] = {
            name: None if doc is None else (int(doc["version"]), str(doc["updated_at"]))
            for name, doc in committed.flags.items()
        }
        self._outgoing.add(Message(self.origin, stamps, committed.segments, committed.tokens, committed.everything))
        self._outgoing_ready.set()

    async def _publish_loop(self) -> None:
        assert self.bus is not None
        while True:
            await self._outgoing_ready.wait()
            self._outgoing_ready.clear()
            # Everything committed since the last publish goes as one message.
            pending, self._outgoing = self._outgoing, _Pending()
            try:
                await self.bus.publish(encode(pending.message(self.origin)))
            except BusUnavailable as exc:
                log.debug("change not published (%s); the other replicas' version check will find it", exc)

    # --- incoming -----------------------------------------------------------------------------

    def _received(self, payload: bytes) -> None:
        try:
            message = decode(payload)
        except ValueError as exc:
            log.warning("ignored a message on the change bus: %s", exc)
            return
        if message.origin == self.origin:
            return
        self._incoming.add(message)
        self._incoming_ready.set()

    def _bus_connected(self) -> None:
        # Whatever was committed before this replica subscribed was announced to others only: on
        # the first connection, compare versions (writes since `load()`); after a reconnection,
        # resync everything (messages sent while it was away are gone).
        if self._bus_was_connected:
            self._incoming.everything = True
        else:
            self._bus_was_connected = True
            self._incoming.check = True
        self._incoming_ready.set()

    async def _apply_loop(self) -> None:
        while True:
            await self._incoming_ready.wait()
            self._incoming_ready.clear()
            pending, self._incoming = self._incoming, _Pending()
            try:
                if pending.everything:
                    await self.service.resync()
                    continue
                await self.service.sync_from_store(
                    self._stale(pending.flags), segments=pending.segments, tokens=pending.tokens
                )
                if pending.check:
                    await self._catch_up()
            except StoreError as exc:
                # The version check resyncs once the database answers again.
                log.warning("could not apply a change from another replica: %s", exc)
                self._needs_resync = True

    def _stale(self, flags: dict[str, Stamp | None]) -> list[str]:
        """The flags whose announced version is not the one already held."""
        stale = []
        for name, stamp in flags.items():
            doc = self.service.snapshot.get_doc(name)
            held = None if doc is None else (doc["version"], doc["updated_at"])
            if held != stamp:
                stale.append(name)
        return stale

    # --- the version check ----------------------------------------------------------------------

    async def _check_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except StoreError as exc:
                self._storage_error = Problem.of(exc)
                self._reached(self._storage_error)
                self._needs_resync = True

    async def check(self) -> None:
        """One round of the safety net: bring the snapshot in step with anything the bus missed."""
        if self._probe is not None and not (self._needs_resync or self._settle):
            probed, now = self._probe(), time.monotonic()
            if probed == self._probed and now < min(self._query_due, self._scan_due):
                return
            self._probed, self._query_due = probed, now + PROBE_TRUST_S
        marker = await self.service.store.change_marker()
        self._reached(None)
        if self._needs_resync:
            await self.service.resync()
            if self._storage_error is not None:
                log.info("storage is back; resynced")
            self._needs_resync, self._storage_error = False, None
            self._marker, self._settle = marker, True
            return
        self._storage_error = None
        scan = time.monotonic() >= self._scan_due
        if marker == self._marker and not self._settle and not scan:
            return
        self._settle = marker != self._marker
        self._marker = marker
        if scan:
            self._scan_due = time.monotonic() + self.scan_interval
        await self._catch_up()

    async def _catch_up(self) -> None:
        stored = await self.service.store.stored_versions()
        imported, self._last_import = self._last_import not in (None, stored.last_import), stored.last_import
        if imported:
            log.info("version check: an import happened; reloading everything")
            await self.service.resync()
            return
        snapshot = self.service.snapshot
        held = {name: doc for name in snapshot.names() if (doc := snapshot.get_doc(name)) is not None}
        flags = differing(stored.flags, held)
        segments = bool(differing(stored.segments, {s["name"]: s for s in self.service.segments}))
        if flags or segments:
            log.info("version check: reloading %d flags%s", len(flags), " and the segments" if segments else "")
        await self.service.sync_from_store(sorted(flags), segments=segments, tokens=True)


def _shown(problem: Problem | None) -> str:
    return "ok" if problem is None else problem.shown(details=True)


def _report_crash(task: asyncio.Task[None]) -> None:
    # The loops only end by cancellation; anything else is a bug that stops replication: say so.
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped: replication is off until a restart", task.get_name(), exc_info=task.exception())


def file_probe(database: Path) -> Callable[[], object]:
    """For SQLite: the size and modification time of the database file and its write-ahead log.

    Every commit appends to `<file>-wal` (and a checkpoint rewrites both), so an unchanged result
    means no process wrote: a `stat()` of two files instead of a query, five times a second.
    """
    wal = database.with_name(database.name + "-wal")

    def probe() -> object:
        return tuple(_stat(path) for path in (database, wal))

    return probe


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        result = path.stat()
    except OSError:  # absent (no WAL yet), or unreadable: the query that follows will tell
        return None
    return result.st_ino, result.st_size, result.st_mtime_ns
