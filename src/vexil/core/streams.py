"""Event streams (docs/live.md): fan-out of every committed change to the open streams.

    ChangeHub.publish(names)  ─► each open stream's listener, synchronously, snapshot up to date:
                                 re-evaluate only `names` for its context, compare with what it
                                 last sent, queue one frame with the differences (or nothing)
    each stream's own task    ─► wakes, joins its queued frames and sends them in one write

A client that does not read blocks only its own task (in uvicorn's `send`, once the socket buffer
is full); its queue is bounded, and when it overflows the queue is dropped and the client is sent a
fresh snapshot once it drains. Frames are shared: streams whose differences are the same results
send the same bytes, serialized once per change.

Per stream, the cost is this object, a small dict of the results last sent, and what the HTTP layer
keeps (`api/sse.py`: one watcher task that waits for the disconnect, and uvicorn's connection). A
ticker sets a ping on every stream each `heartbeat` seconds. `close_all()` (on SIGTERM/SIGINT, at
the latest on shutdown) ends every stream, so that the server can exit promptly.

What all open streams hold together is bounded: each is charged `STREAM_BASE`, `RESULT_BYTES` per
result it keeps and what its request made it keep (its context and `flags`, as the HTTP layer
measures them), from the moment it opens until it ends, and `admit()` refuses a new stream that
would take the total past `memory`. An open stream is never dropped to make room.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import orjson

from vexil.core.changes import is_marker
from vexil.core.feed import SdkFeed, sse
from vexil.core.service import FlagService
from vexil.engine import COARSE_REASONS, Snapshot
from vexil.engine.types import Evaluation, Reason

RETRY = b"retry: 2000\n\n"
PING = b": ping\n\n"
MAX_PENDING = 16
# What one stream costs besides its context: this object, its task and connection (about 16 KiB
# per stream measured by bench/fanout.py with 21 flags), and per result it keeps.
STREAM_BASE = 16 * 1024
RESULT_BYTES = 100


class Streams:
    """The open streams of one app: heartbeats, shutdown, and frames shared across streams."""

    def __init__(self, service: FlagService, *, heartbeat: float = 15.0, memory: int = 1 << 30) -> None:
        self.service = service
        self.feed = SdkFeed(service)
        self.heartbeat = heartbeat
        self.memory = memory
        self.held = 0  # what the open streams are charged, together
        self.open: set[EventStream] = set()
        self.closing = False
        self._ticker: asyncio.Task[None] | None = None
        self._frames_seq = -1
        self._frames: dict[Hashable, tuple[list[tuple[str, Evaluation | None]], bytes]] = {}

    def admit(self, stream: EventStream, holds: int) -> bool:
        """Whether `stream`, keeping `holds` bytes, fits beside the open streams; if so it is
        charged that (plus `STREAM_BASE`) while it is open."""
        cost = STREAM_BASE + holds + RESULT_BYTES * stream.results_held(self.service.snapshot)
        if self.held + cost > self.memory:
            return False
        stream.cost = cost
        return True

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            for stream in list(self.open):
                stream.ping()

    def close_all(self) -> None:
        """End every open stream (and those that open from now on, after their first event)."""
        self.closing = True
        for stream in list(self.open):
            stream.close()

    async def stop(self) -> None:
        self.close_all()
        self.feed.close()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker

    def update_frame(self, seq: int, changes: list[tuple[str, Evaluation | None]], coarse: bool = False) -> bytes:
        """The `update` event for these changes of publication `seq`, serialized once per distinct set
        (and form of the reasons: `coarse`, docs/spec.md §2)."""
        if seq != self._frames_seq:
            self._frames_seq, self._frames = seq, {}
        # Results are shared engine objects, and the cache keeps them alive: an id is not reused.
        key: Hashable
        if len(changes) == 1:
            key = (changes[0][0], id(changes[0][1]), coarse)
        else:
            key = (coarse, *((name, id(result)) for name, result in changes))
        cached = self._frames.get(key)
        if cached is None:
            flags = {name: None if result is None else result.client_dict(coarse) for name, result in changes}
            data = orjson.dumps({"flags": flags})
            cached = self._frames[key] = (changes, sse("update", self.service.hub.event_id(seq), data))
        return cached[1]


class EventStream(ABC):
    """A Server-Sent Events response (an ASGI app) fed by the change hub; subclasses say what to send."""

    __slots__ = (
        "_closed",
        "_gone",
        "_pending",
        "_ping",
        "_resync",
        "_unsubscribe",
        "_waiter",
        "cost",
        "last_event_id",
        "streams",
    )
    markers = False  # whether the listener also wants `#` markers (see `ChangeHub`)

    def __init__(self, streams: Streams, *, last_event_id: str | None) -> None:
        self.streams = streams
        self.last_event_id = last_event_id
        self._unsubscribe: Callable[[], None] | None = None
        self._pending: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        self._resync = False
        self._ping = False
        self._closed = False
        self._gone = False
        self.cost = STREAM_BASE

    # --- what to send: subclasses ----------------------------------------------------------

    @abstractmethod
    def opening(self) -> bytes:
        """The first event(s); called with the listener already subscribed and nothing awaited since."""

    @abstractmethod
    def snapshot(self) -> bytes:
        """A fresh full state, for a client whose queue overflowed."""

    def missed(self) -> frozenset[str] | None:
        """What changed since the client's `Last-Event-ID`; None when that id is unknown here."""
        hub = self.streams.service.hub
        seq = hub.parse_event_id(self.last_event_id)
        return None if seq is None else hub.changed_since(seq)

    @abstractmethod
    def on_change(self, seq: int, names: frozenset[str]) -> None:
        """React to a publication of the hub: queue what changed for this client."""

    def results_held(self, snapshot: Snapshot) -> int:
        """How many results this stream keeps between changes."""
        return 0

    # --- queue -----------------------------------------------------------------------------

    def push(self, frame: bytes) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.clear()
            self._resync = True
        else:
            self._pending.append(frame)
        self._wake()

    def ping(self) -> None:
        self._ping = True
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- serving: the HTTP layer (`api/sse.py`) drives these ------------------------------

    def open(self) -> bytes:
        """Subscribe, and the first bytes to send (`retry` and the opening events)."""
        streams = self.streams
        self._unsubscribe = streams.service.hub.subscribe(self.on_change, markers=self.markers)
        streams.open.add(self)
        streams.held += self.cost
        chunk = RETRY + self.opening()
        if streams.closing:
            self._closed = True
        return chunk

    def waiter(self) -> asyncio.Future[None] | None:
        """None when something is due now (`take()` it), else a future that the next event resolves."""
        if self._pending or self._resync or self._ping or self._closed:
            return None
        self._waiter = asyncio.get_running_loop().create_future()
        return self._waiter

    def take(self) -> bytes | None:
        """What to send now (never empty), or None once the stream is closed."""
        self._waiter = None
        if self._closed:
            return None
        if self._resync:
            self._resync = False
            self._pending.clear()
            chunk = self.snapshot()
        else:
            chunk = b"".join(self._pending)
            self._pending.clear()
        self._ping = False
        return chunk or PING

    def gone(self) -> None:
        """The client disconnected: nothing more is sent, not even the end of the body."""
        self._gone = True
        self.close()

    @property
    def is_gone(self) -> bool:
        return self._gone

    def end(self) -> None:
        """Stop listening (the response is over)."""
        self._waiter = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        streams = self.streams
        if self in streams.open:
            streams.open.remove(self)
            streams.held -= self.cost


class ClientStream(EventStream):
    """`GET`/`POST /stream`: client results for one context (docs/live.md); with `coarse`, their
    reasons as `COARSE_REASONS` puts them (docs/spec.md §2), and a change the client would not see
    in them sends nothing."""

    __slots__ = ("coarse", "context", "last", "only")

    def __init__(
        self,
        streams: Streams,
        context: dict[str, Any],
        *,
        flags: Iterable[str] | None,
        last_event_id: str | None,
        coarse: bool = False,
    ) -> None:
        super().__init__(streams, last_event_id=last_event_id)
        self.coarse = coarse
        self.context = context
        self.only = None if flags is None else frozenset(flags)
        self.last: dict[str, Evaluation] = {}

    def results_held(self, snapshot: Snapshot) -> int:
        return len(snapshot) if self.only is None else min(len(self.only), len(snapshot))

    def _evaluate(self, snapshot: Snapshot) -> list[Evaluation]:
        if self.only is None:
            return snapshot.evaluate_all(self.context)
        return snapshot.evaluate_many(sorted(self.only), self.context)

    def snapshot(self) -> bytes:
        results = self._evaluate(self.streams.service.snapshot)
        self.last = _kept(results)
        data = orjson.dumps({"flags": {result.flag: result.client_dict(self.coarse) for result in results}})
        return sse("snapshot", self.streams.service.hub.event_id(), data)

    def opening(self) -> bytes:
        names = self.missed()
        if names is None:
            return self.snapshot()
        # A known id: what changed since, at its current value; what the client held is unknown.
        snapshot = self.streams.service.snapshot
        self.last = _kept(self._evaluate(snapshot))
        changed = sorted(name for name in names if not is_marker(name) and (self.only is None or name in self.only))
        if not changed:
            return b""
        flags = {name: self.last[name].client_dict(self.coarse) if name in snapshot else None for name in changed}
        return sse("update", self.streams.service.hub.event_id(), orjson.dumps({"flags": flags}))

    def on_change(self, seq: int, names: frozenset[str]) -> None:
        # Runs once per open stream on every change, inside the write that made it: kept lean.
        if self._resync or self._closed:
            return
        if self.only is not None:
            names = names & self.only
            if not names:
                return
        snapshot = self.streams.service.snapshot
        if len(names) == 1:
            (name,) = names
            results: Iterable[tuple[str, Evaluation]] = ((name, snapshot.evaluate(name, self.context)),)
        else:
            ordered = sorted(names)
            results = zip(ordered, snapshot.evaluate_many(ordered, self.context), strict=True)
        last = self.last
        changes: list[tuple[str, Evaluation | None]] = []
        for name, result in results:
            old = last.get(name)
            if name not in snapshot:
                if old is not None:
                    del last[name]
                    changes.append((name, None))
            elif old is None or not _same(old, result, self.coarse):
                last[name] = result
                changes.append((name, result))
        if changes:
            self.push(self.streams.update_frame(seq, changes, self.coarse))


def _kept(results: Iterable[Evaluation]) -> dict[str, Evaluation]:
    """The results a stream keeps to compare with: those of flags that exist (a listed name that is
    no flag costs nothing until a flag of that name is created)."""
    return {result.flag: result for result in results if result.reason is not Reason.FLAG_NOT_FOUND}


def _same(old: Evaluation, new: Evaluation, coarse: bool) -> bool:
    """The same client result (`rule` is not shown to clients, nor, with `coarse`, how targeting decided)."""
    if old is new:
        return True
    if old.active is not new.active or old.variant != new.variant:
        return False
    if old.reason is not new.reason and (not coarse or COARSE_REASONS[old.reason] is not COARSE_REASONS[new.reason]):
        return False
    # 1 == True and 1 == 1.0 in Python, not in JSON: compare what the client would read.
    return old.payload is new.payload or orjson.dumps(old.payload) == orjson.dumps(new.payload)


class SdkStream(EventStream):
    """`GET /sdk/stream`: the changed configuration itself, for SDKs that evaluate locally."""

    __slots__ = ("environment",)
    markers = True

    def __init__(self, streams: Streams, environment: str | None, *, last_event_id: str | None) -> None:
        super().__init__(streams, last_event_id=last_event_id)
        self.environment = environment

    def snapshot(self) -> bytes:
        return self.streams.feed.config_event(self.environment)

    def opening(self) -> bytes:
        names = self.missed()
        if names is None:
            return self.snapshot()
        return self.streams.feed.replay_event(names, self.environment)

    def on_change(self, seq: int, names: frozenset[str]) -> None:
        if self._resync or self._closed:  # a fresh `config` is due anyway
            return
        event = self.streams.feed.flags_event(seq, names, self.environment)
        if event is not None:
            self.push(event)
