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

A change of more than `LARGE_CHANGE` flags (an import) is not diffed inside the write that made it:
each client stream it concerns is sent a fresh `snapshot` instead, evaluated in a worker thread, one
stream after the other (re-evaluating 10,000 flags takes a stream tens of ms: all at once, a few
hundred streams would stop the server for seconds).

A stream opened with a token keeps its principal, and the role the stream needs (client for
`/stream`, server for `/sdk/stream`). Each time the token cache is rebuilt with a change (a token
created or revoked, here or on another replica: the replicator reloads the cache on every one),
every stream whose token was revoked or no longer has that role is sent an `error` event saying why
and ended. Anonymous streams (an open server, no token given) are not concerned.

A stream opened with a person's session (the admin UI's) is checked against its session
(`SessionCheck`, `core/sessions.py`): at once after a sign-out or a change to people on this
replica, and at every heartbeat for expiry and what other replicas did. One whose session ended, or
whose person was given another role, is sent an `error` event saying why and ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

import orjson

from vexil.core.auth import Principal, Role
from vexil.core.changes import is_marker
from vexil.core.feed import SdkFeed, sse
from vexil.core.recent import RecentContexts
from vexil.core.service import FlagService
from vexil.core.usage import STREAM, Answered, Usage
from vexil.engine import Snapshot
from vexil.engine.types import Evaluation, Reason

log = logging.getLogger("vexil.streams")

RETRY = b"retry: 2000\n\n"
PING = b": ping\n\n"
MAX_PENDING = 16
# What one stream costs besides its context: this object, its task and connection (about 16 KiB
# per stream measured by bench/fanout.py with 21 flags), and per result it keeps.
STREAM_BASE = 16 * 1024
RESULT_BYTES = 100
LARGE_CHANGE = 500


class SessionCheck(Protocol):
    """What streams ask of people's sessions (`core/sessions.Sessions`)."""

    async def refusal(self, principal: Principal) -> str | None: ...


class Streams:
    """The open streams of one app: heartbeats, shutdown, and frames shared across streams."""

    def __init__(self, service: FlagService, *, heartbeat: float = 15.0, memory: int = 1 << 30) -> None:
        self.service = service
        self.feed = SdkFeed(service)
        self.heartbeat = heartbeat
        self.memory = memory
        self.held = 0  # what the open streams are charged, together
        self.open: set[EventStream] = set()
        self.usage: Usage | None = None  # where client streams count what they send, when set
        self.recent: RecentContexts | None = None  # where client streams offer their context, when set
        self.closing = False
        self._ticker: asyncio.Task[None] | None = None
        self._frames_seq = -1
        self._frames: dict[Hashable, tuple[list[tuple[str, Evaluation | None]], bytes]] = {}
        self._unsubscribe_tokens = service.tokens.subscribe(self.check_tokens)
        self._due: deque[ClientStream] = deque()
        self._pacer: asyncio.Task[None] | None = None
        self.sessions: SessionCheck | None = None  # where streams opened with a session are checked, when set
        self._checking: asyncio.Task[None] | None = None
        self._check_again = False

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
            self.sessions_changed()

    def close_all(self) -> None:
        """End every open stream (and those that open from now on, after their first event)."""
        self.closing = True
        for stream in list(self.open):
            stream.close()

    def check_tokens(self) -> None:
        """End the streams whose token was revoked or narrowed (the token cache changed)."""
        for stream in list(self.open):
            refusal = stream.refusal()
            if refusal is not None:
                stream.close(refusal)

    def sessions_changed(self) -> None:
        """Check the streams opened with a session, soon (a session may have ended)."""
        if self.sessions is None:
            return
        if self._checking is not None:
            self._check_again = True  # the check under way may have read that session already
            return
        if any(stream.principal is not None and stream.principal.is_person for stream in self.open):
            self._checking = asyncio.get_running_loop().create_task(self._check_sessions(self.sessions))

    async def _check_sessions(self, sessions: SessionCheck) -> None:
        """End the streams whose session ended or whose person has another role; each session is
        looked up once however many streams it opened."""
        try:
            self._check_again = False
            refusals: dict[str, str | None] = {}
            for stream in list(self.open):
                principal = stream.principal
                if principal is None or not principal.is_person:
                    continue
                if principal.key not in refusals:
                    try:
                        refusals[principal.key] = await sessions.refusal(principal)
                    except Exception:  # the database unreachable: the next heartbeat asks again
                        log.warning("could not check the sessions of open streams", exc_info=True)
                        return
                refusal = refusals[principal.key]
                if refusal is not None:
                    stream.close(refusal)
        finally:
            self._checking = None
        if self._check_again:
            self.sessions_changed()

    def refresh(self, stream: ClientStream) -> None:
        """Have `stream` send a fresh snapshot in its turn: the streams a large change concerns are
        refreshed one after the other, each evaluated in a worker thread, so that requests are
        answered meanwhile."""
        stream.refreshing = True
        self._due.append(stream)
        if self._pacer is None:
            self._pacer = asyncio.get_running_loop().create_task(self._pace())

    async def _pace(self) -> None:
        try:
            while self._due:
                await self._due.popleft().refresh()
        finally:
            self._pacer = None

    async def stop(self) -> None:
        self._unsubscribe_tokens()
        self.close_all()
        self.feed.close()
        for task in (self._ticker, self._pacer, self._checking):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

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
        "_farewell",
        "_gone",
        "_pending",
        "_ping",
        "_resync",
        "_unsubscribe",
        "_waiter",
        "cost",
        "last_event_id",
        "principal",
        "streams",
    )
    markers = False  # whether the listener also wants `#` markers (see `ChangeHub`)
    role = Role.CLIENT  # what the token it was opened with must still allow

    def __init__(self, streams: Streams, *, last_event_id: str | None, principal: Principal | None = None) -> None:
        self.streams = streams
        self.last_event_id = last_event_id
        self.principal = principal  # None: opened without a token, on an open server
        self._farewell: bytes | None = None
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
            self.resync()
        else:
            self._pending.append(frame)
            self.wake()

    def resync(self) -> None:
        """Send a fresh snapshot instead of what is queued."""
        self._pending.clear()
        self._resync = True
        self.wake()

    def ping(self) -> None:
        self._ping = True
        self.wake()

    def close(self, reason: str | None = None) -> None:
        """End the stream; with a `reason`, an `error` event saying it is sent first."""
        if not self._closed and reason is not None:
            self._farewell = b"event: error\ndata: %s\n\n" % orjson.dumps({"error": reason})
        self._closed = True
        self.wake()

    def refusal(self) -> str | None:
        """Why the token this stream was opened with no longer lets it run; None while it does."""
        if self.principal is None:
            return None
        return self.streams.service.tokens.refusal(self.principal, self.role)

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- serving: the HTTP layer (`api/sse.py`) drives these ------------------------------

    def open(self) -> bytes:
        """Subscribe, and the first bytes to send (`retry` and the opening events)."""
        streams = self.streams
        self._unsubscribe = streams.service.hub.subscribe(self._listen, markers=self.markers)
        streams.open.add(self)
        streams.held += self.cost
        # The token may have been revoked since the request was authenticated (while its body was read).
        refusal = self.refusal()
        if refusal is not None:
            self.close(refusal)
            return RETRY
        chunk = RETRY + self.opening()
        if streams.closing:
            self._closed = True
        return chunk

    def _listen(self, seq: int, names: frozenset[str]) -> None:
        try:
            self.on_change(seq, names)
        except Exception:
            # What this client holds is unknown now: end the stream (it reconnects for a fresh
            # start), and let the hub log the failure.
            self.close("the server could not prepare an update; reconnect")
            raise

    def waiter(self) -> asyncio.Future[None] | None:
        """None when something is due now (`take()` it), else a future that the next event resolves."""
        if self._pending or self._resync or self._ping or self._closed:
            return None
        self._waiter = asyncio.get_running_loop().create_future()
        return self._waiter

    def take(self) -> bytes | None:
        """What to send now (never empty), or None once the stream is closed (after its `error` event)."""
        self._waiter = None
        if self._closed:
            farewell, self._farewell = self._farewell, None
            return farewell
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
        self._farewell = None
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

    __slots__ = ("coarse", "context", "last", "offered", "only", "refreshing")

    def __init__(
        self,
        streams: Streams,
        context: dict[str, Any],
        *,
        flags: Iterable[str] | None,
        last_event_id: str | None,
        coarse: bool = False,
        principal: Principal | None = None,
    ) -> None:
        super().__init__(streams, last_event_id=last_event_id, principal=principal)
        self.coarse = coarse
        self.context = context
        self.only = None if flags is None else frozenset(flags)
        self.last: dict[str, Evaluation] = {}
        self.refreshing = False  # a fresh snapshot is being made (`refresh`): changes wait for it
        self.offered = False  # whether the context went to the recent sample (`core/recent.py`)

    def results_held(self, snapshot: Snapshot) -> int:
        return len(snapshot) if self.only is None else min(len(self.only), len(snapshot))

    def _evaluate(self, snapshot: Snapshot) -> list[Evaluation]:
        if self.only is None:
            return snapshot.evaluate_all(self.context)
        return snapshot.evaluate_many(sorted(self.only), self.context)

    def _fresh(self, snapshot: Snapshot) -> tuple[dict[str, Evaluation], bytes]:
        """The results to keep for this context, and the `data` of a `snapshot` event (pure: any thread)."""
        results = self._evaluate(snapshot)
        data = orjson.dumps({"flags": {result.flag: result.client_dict(self.coarse) for result in results}})
        return _kept(results), data

    def _count(self, results: Iterable[Evaluation | None]) -> None:
        """Count the results this stream sends (docs/usage.md, source `stream`)."""
        usage = self.streams.usage
        if usage is not None:
            context = self.context
            usage.count_answer(Answered.of((r for r in results if r is not None), context), STREAM)
        recent = self.streams.recent
        if recent is not None:
            # Encoded once per stream; later sends only mark it recent again (by the stream's id:
            # no reference that would keep a closed stream alive).
            if self.offered:
                recent.seen(id(self))
            else:
                recent.offer(self.context, id(self))
                self.offered = True

    def snapshot(self) -> bytes:
        self.last, data = self._fresh(self.streams.service.snapshot)
        self._count(self.last.values())
        return sse("snapshot", self.streams.service.hub.event_id(), data)

    async def refresh(self) -> None:
        """A fresh snapshot after a large change, evaluated in a worker thread (the snapshot is safe
        to read from another thread), then queued in place of anything pending, followed by an
        update with whatever changed meanwhile."""
        service = self.streams.service
        seq = service.hub.seq
        try:
            self.last, data = await asyncio.to_thread(self._fresh, service.snapshot)
        finally:
            self.refreshing = False
        if self._closed:
            return
        self._count(self.last.values())
        self._pending = [sse("snapshot", service.hub.event_id(seq), data)]
        since = service.hub.changed_since(seq)
        if since is None:
            self.resync()
            return
        self.wake()
        self.on_change(service.hub.seq, frozenset(name for name in since if not is_marker(name)))

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
        self._count(self.last.get(name) for name in changed)
        return sse("update", self.streams.service.hub.event_id(), orjson.dumps({"flags": flags}))

    def on_change(self, seq: int, names: frozenset[str]) -> None:
        # Runs once per open stream on every change, inside the write that made it: kept lean.
        if self._resync or self._closed or self.refreshing:
            return
        if self.only is not None:
            names = names & self.only
        if len(names) > LARGE_CHANGE:
            self.streams.refresh(self)
        elif names:
            changes = self._changes(names)
            if changes:
                self._count(result for _, result in changes)
                self.push(self.streams.update_frame(seq, changes, self.coarse))

    def _changes(self, names: frozenset[str]) -> list[tuple[str, Evaluation | None]]:
        """The client results among `names` that differ from those last sent (None: deleted)."""
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
        return changes


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
    if old.client_reason(coarse) is not new.client_reason(coarse):
        return False
    # 1 == True and 1 == 1.0 in Python, not in JSON: compare what the client would read.
    return old.payload is new.payload or orjson.dumps(old.payload) == orjson.dumps(new.payload)


class SdkStream(EventStream):
    """`GET /sdk/stream`: the changed configuration itself, for SDKs that evaluate locally."""

    __slots__ = ("environment",)
    markers = True
    role = Role.SERVER

    def __init__(
        self, streams: Streams, environment: str | None, *, last_event_id: str | None, principal: Principal | None
    ) -> None:
        super().__init__(streams, last_event_id=last_event_id, principal=principal)
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
