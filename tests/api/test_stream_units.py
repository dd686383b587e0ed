"""The fan-out machinery in process: listeners, bounded queues, shared frames, disconnects, signals."""

from __future__ import annotations

import asyncio
import signal
import threading
from pathlib import Path
from types import FrameType, SimpleNamespace
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.types import Message

from tests.api.sse import parse
from tests.conftest import ADMIN_TOKEN
from vexil.api.app import create_app
from vexil.api.lifecycle import on_shutdown_signal
from vexil.api.sse import respond
from vexil.config import Settings
from vexil.core.auth import TokenCache
from vexil.core.changes import SEGMENTS, ChangeHub
from vexil.core.streams import LARGE_CHANGE, MAX_PENDING, ClientStream, Streams
from vexil.engine import Snapshot
from vexil.engine.types import Evaluation


def fake_service(*flags: dict[str, Any]) -> Any:
    return SimpleNamespace(snapshot=Snapshot(list(flags)), hub=ChangeHub(), segments=[], tokens=TokenCache())


class Connection:
    """An ASGI client side: `send` records bodies (blocking while `paused`), `receive` disconnects on demand."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.received = asyncio.Event()
        self.paused = asyncio.Event()
        self.paused.set()
        self.gone = asyncio.Event()
        self._requested = False

    async def send(self, message: Message) -> None:
        await self.paused.wait()
        if message["type"] == "http.response.body":
            self.bodies.append(message.get("body", b""))
            self.received.set()

    async def receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def next_body(self) -> bytes:
        await asyncio.wait_for(self.received.wait(), 5)
        self.received.clear()
        return self.bodies[-1]


def test_hub__markers__only_for_listeners_that_ask() -> None:
    # Given one listener with markers and one without
    hub = ChangeHub()
    plain: list[frozenset[str]] = []
    marked: list[frozenset[str]] = []
    hub.subscribe(lambda seq, names: plain.append(names))
    hub.subscribe(lambda seq, names: marked.append(names), markers=True)
    # When a segment-only change and a flag change with the marker are published
    hub.publish([SEGMENTS])
    hub.publish(["a", SEGMENTS])
    # Then the plain listener sees flag names only, and no call without any
    assert plain == [{"a"}]
    assert marked == [{SEGMENTS}, {"a", SEGMENTS}]
    assert hub.changed_since(0) == frozenset({"a", SEGMENTS})


def test_update_frame__same_results__one_shared_bytes_object() -> None:
    # Given two streams' identical differences
    service = fake_service({"name": "a", "enabled": True})
    streams = Streams(service)
    result = service.snapshot.evaluate("a", {"identifier": "u1"})
    # When both ask for the frame of the same publication
    first = streams.update_frame(7, [("a", result)])
    second = streams.update_frame(7, [("a", service.snapshot.evaluate("a", {"identifier": "u2"}))])
    # Then it was serialized once
    assert first is second
    event = parse(first.rstrip(b"\n"))
    assert event.event == "update" and event.id == service.hub.event_id(7)
    assert event.flags == {"a": {"active": True, "variant": "on", "payload": None, "reason": "enabled"}}


async def test_client_stream__queue_overflows_while_send_blocks__fresh_snapshot_instead_of_backlog() -> None:
    # Given a stream whose client stops reading after its snapshot
    service = fake_service({"name": "a"})
    stream = ClientStream(Streams(service), {"identifier": "u1"}, flags=None, last_event_id=None)
    connection = Connection()
    task = asyncio.create_task(respond(stream, connection.receive, connection.send, cors=False))
    assert b"event: snapshot" in await connection.next_body()
    connection.paused.clear()
    # When more changes than the queue holds are published
    for i in range(MAX_PENDING + 5):
        service.snapshot.upsert_flag({"name": "a", "enabled": i % 2 == 0})
        service.hub.publish(["a"])
        await asyncio.sleep(0)
    # Then, once it reads again, it gets the update it was being sent, then a snapshot, not the backlog
    connection.paused.set()
    async with asyncio.timeout(5):
        while len(connection.bodies) < 3:
            await asyncio.sleep(0.01)
    events = [parse(body.rstrip(b"\n")).event for body in connection.bodies]
    assert events == ["snapshot", "update", "snapshot"]
    stream.close()
    await asyncio.wait_for(task, 5)


async def test_client_streams__large_change__fresh_snapshots_one_stream_per_loop_turn() -> None:
    # Given four client streams open on LARGE_CHANGE + 100 flags, and a counter of event-loop turns
    flags = [{"name": f"f{i:04d}", "enabled": True} for i in range(LARGE_CHANGE + 100)]
    service = fake_service(*flags)
    streams = Streams(service)
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    sent_at: list[tuple[int, bytes]] = []
    connections = [Connection() for _ in range(4)]
    clients = [ClientStream(streams, {"identifier": f"u{i}"}, flags=None, last_event_id=None) for i in range(4)]
    tasks = []
    for stream, connection in zip(clients, connections, strict=True):

        async def send(message: Message, connection: Connection = connection) -> None:
            sent_at.append((turns, message.get("body", b"")))
            await connection.send(message)

        tasks.append(asyncio.create_task(respond(stream, connection.receive, send, cors=False)))
        await connection.next_body()
    sent_at.clear()
    # When every flag changes at once (an import)
    for doc in flags:
        service.snapshot.upsert_flag({**doc, "enabled": False})
    service.hub.publish(doc["name"] for doc in flags)
    # Then nothing was evaluated inside the publication, and each stream then sends a fresh snapshot
    # of the new values, each in a turn of the event loop of its own
    assert all(stream.last["f0000"].active for stream in clients)
    async with asyncio.timeout(5):
        while len(sent_at) < 4:
            await asyncio.sleep(0.001)
    events = [parse(body.rstrip(b"\n")) for _, body in sent_at]
    assert [event.event for event in events] == ["snapshot"] * 4
    assert all(event.flags["f0000"]["active"] is False for event in events)
    assert len({turn for turn, _ in sent_at}) == 4
    for stream in clients:
        stream.close()
    await asyncio.gather(*tasks)
    counter.cancel()
    await streams.stop()


async def test_client_stream__change_while_its_fresh_snapshot_is_made__update_follows_the_snapshot() -> None:
    # Given a client stream whose fresh snapshot, after a large change, is being made in a thread
    flags = [{"name": f"f{i:04d}", "enabled": True} for i in range(LARGE_CHANGE + 100)]
    service = fake_service(*flags)
    streams = Streams(service)
    release = threading.Event()
    started = threading.Event()

    class Slow(ClientStream):
        __slots__ = ()

        def _fresh(self, snapshot: Snapshot) -> tuple[dict[str, Evaluation], bytes]:
            fresh = super()._fresh(snapshot)
            if self.refreshing:  # not the opening snapshot
                started.set()
                release.wait(5)
            return fresh

    stream = Slow(streams, {"identifier": "u1"}, flags=None, last_event_id=None)
    stream.open()
    stream.take()
    service.hub.publish(doc["name"] for doc in flags)
    await asyncio.to_thread(started.wait, 5)
    # When one flag changes once it was evaluated (the stream ignores the change while refreshing)
    service.snapshot.upsert_flag({"name": "f0001", "enabled": False})
    service.hub.publish(["f0001"])
    release.set()
    async with asyncio.timeout(5):
        while stream.refreshing or stream.waiter() is not None:
            await asyncio.sleep(0.001)
    sent = stream.take()
    # Then the client gets the snapshot, then an update with that flag's new value
    assert sent is not None
    events = [parse(block) for block in sent.rstrip(b"\n").split(b"\n\n")]
    assert [event.event for event in events] == ["snapshot", "update"]
    assert events[1].flags == {"f0001": {"active": False, "variant": "off", "payload": None, "reason": "disabled"}}
    assert stream.last["f0001"].active is False
    await streams.stop()


async def test_live_path__client_disconnects__listener_and_stream_removed(tmp_path: Path) -> None:
    # Given a running app and a stream opened through its raw ASGI layer
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN))
    async with LifespanManager(app) as manager:
        state = app.runtime
        connection = Connection()
        baseline = state.service.hub.listeners  # (the SDK feed's own)
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/stream",
            "query_string": b"identifier=u1&plan=pro",
            "headers": [(b"host", b"vexil")],
        }

        async def serve() -> None:
            await manager.app(scope, connection.receive, connection.send)

        task = asyncio.create_task(serve())
        first = await connection.next_body()
        listening = state.service.hub.listeners - baseline
        open_streams = len(state.streams.open)
        # When the client goes away
        connection.gone.set()
        await asyncio.wait_for(task, 5)
        # Then the stream's listener and registration are gone
        assert b"event: snapshot" in first
        assert (listening, open_streams) == (1, 1)
        assert state.service.hub.listeners == baseline
        assert state.streams.open == set()


async def test_live_path__bad_requests__json_errors(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN))
    async with LifespanManager(app) as manager:
        for method, path, query, body, status in [
            ("POST", "/stream", b"", b"[1]", 400),
            ("POST", "/stream", b"", b"{", 400),
            ("POST", "/stream", b"", b'{"flags": "a"}', 400),
            ("GET", "/sdk/stream", b"", b"", 401),
            ("GET", "/stream", b"token=vx_wrong", b"", 401),
        ]:
            sent: list[Message] = []

            async def receive(body: bytes = body) -> Message:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: Message, sent: list[Message] = sent) -> None:
                sent.append(message)

            scope = {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}
            await manager.app(scope, receive, send)
            assert sent[0]["status"] == status, (path, body)
            assert b'"error"' in sent[1]["body"]


async def test_on_shutdown_signal__chains_the_handler_in_place() -> None:
    # Given a Python-level SIGTERM handler (as uvicorn installs)
    seen: list[str] = []

    def previous(signum: int, frame: FrameType | None) -> None:
        seen.append("previous")

    original = signal.signal(signal.SIGTERM, previous)
    try:
        undo = on_shutdown_signal(lambda: seen.append("streams closed"))
        # When the signal arrives
        signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0.05)
        undo()
        # Then both ran, and the previous handler is back in place
        assert seen == ["previous", "streams closed"]
        assert signal.getsignal(signal.SIGTERM) is previous
    finally:
        signal.signal(signal.SIGTERM, original)


def test_on_shutdown_signal__default_action__left_alone() -> None:
    async def run() -> None:
        on_shutdown_signal(lambda: None)()

    original = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        asyncio.run(run())
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, original)


@pytest.mark.parametrize("path", ["/stream", "/sdk/stream"])
async def test_openapi__streams_documented_as_event_streams(client: httpx.AsyncClient, path: str) -> None:
    schema = (await client.get("/openapi.json")).json()
    responses = schema["paths"][path]["get"]["responses"]
    assert "text/event-stream" in responses["200"]["content"]
