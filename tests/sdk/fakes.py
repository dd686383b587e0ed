"""A fake Vexil behind `httpx.MockTransport`: the endpoints the SDK uses, as docs/live.md describes them.

It serves `/sdk/config` (with an ETag and 304s), `/sdk/stream` (the events a test pushes, until it
pushes `END`), and `POST /flags/{name}/evaluate` and `POST /evaluate` from a real `Snapshot`, and
records every request. Failures are switched on per test: `down` (connection refused) and `status`
(every answer that status).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import httpx
import orjson

from vexil.engine import Snapshot
from vexil.sdk import Options, SyncState
from vexil.sdk._base import BaseClient

END = b""  # pushed to end the current stream response

# Short waits, so that reconnection tests do not wait out a real backoff.
FAST = Options(timeout=2.0, backoff_initial=0.02, backoff_max=0.1)


def flag(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "enabled": True, **fields}


def sse(event: str, data: Any, event_id: str) -> bytes:
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (event_id.encode(), event.encode(), orjson.dumps(data))


class FakeVexil:
    def __init__(self, flags: Sequence[Mapping[str, Any]] = (), segments: Sequence[Mapping[str, Any]] = ()) -> None:
        self.flags = list(flags)
        self.segments = list(segments)
        self.etag = '"v1"'
        self.event_id = "e-1"
        self.requests: list[httpx.Request] = []
        self.down = False
        self.status: int | None = None
        self.evaluate_body: bytes | None = None  # replaces the evaluation answer when set
        self.closed = threading.Event()
        self._events: queue.Queue[bytes] = queue.Queue()
        self.streams_opened = 0

    # --- what tests do ---------------------------------------------------------------------------

    def push(self, chunk: bytes) -> None:
        self._events.put(chunk)

    def end_streams_on_close(self, client: BaseClient) -> None:
        """A mock stream has no socket for `close()` to shut down: end it when the client closes."""
        client.on_state(lambda state: self.closed.set() if state is SyncState.CLOSED else None)

    def paths(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]

    def sync_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: self._handle(request, self._stream()))

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: self._handle(request, self._astream()))

    # --- the service -----------------------------------------------------------------------------

    def _handle(self, request: httpx.Request, stream: Any) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.status is not None:
            return httpx.Response(self.status, json={"error": "refused by the test"})
        path = request.url.path
        if path == "/sdk/config":
            if request.headers.get("if-none-match") == self.etag:
                return httpx.Response(304, headers={"ETag": self.etag})
            body = {"environment": None, "flags": self.flags, "segments": self.segments, "event_id": self.event_id}
            return httpx.Response(200, content=orjson.dumps(body), headers={"ETag": self.etag})
        if path == "/sdk/stream":
            self.streams_opened += 1
            return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=stream)
        if path == "/evaluate" or path.endswith("/evaluate"):
            return self._evaluate(request)
        return httpx.Response(404, json={"error": "not found"})

    def _evaluate(self, request: httpx.Request) -> httpx.Response:
        if self.evaluate_body is not None:
            return httpx.Response(200, content=self.evaluate_body)
        context = orjson.loads(request.content)
        snapshot = Snapshot(self.flags, self.segments)
        if request.url.path == "/evaluate":
            return httpx.Response(
                200, json={"flags": {e.flag: e.client_dict() for e in snapshot.evaluate_all(context)}}
            )
        name = request.url.path.removeprefix("/flags/").removesuffix("/evaluate")
        return httpx.Response(200, json=snapshot.evaluate(name, context).admin_dict())

    def _next(self) -> bytes | None:
        try:
            return self._events.get_nowait()
        except queue.Empty:
            return None

    def _stream(self) -> Iterator[bytes]:
        yield b"retry: 2000\n\n"
        while not self.closed.is_set():
            chunk = self._next()
            if chunk is None:
                time.sleep(0.005)
            elif chunk == END:
                return
            else:
                yield chunk

    async def _astream(self) -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        while not self.closed.is_set():
            chunk = self._next()
            if chunk is None:
                await asyncio.sleep(0.005)
            elif chunk == END:
                return
            else:
                yield chunk


def wait_for(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return bool(predicate())


async def await_for(predicate: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.005)
    return bool(predicate())
