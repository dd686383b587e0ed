"""A Server-Sent Events reader for tests against a real server: a thread reads the stream with
httpx and queues parsed events, and keeps every raw byte for assertions on what was sent."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import orjson


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: Any = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def flags(self) -> dict[str, Any]:
        flags: dict[str, Any] = self.data["flags"]
        return flags


CLOSED = Event(event="<closed>")


def parse(block: bytes) -> Event:
    event = Event()
    data: list[str] = []
    for line in block.decode().split("\n"):
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            event.comments.append(value)
        elif name == "data":
            data.append(value)
        elif name == "event":
            event.event = value
        elif name == "id":
            event.id = value
        elif name == "retry":
            event.retry = int(value)
    if data:
        event.data = orjson.loads("\n".join(data))
    return event


class SseStream:
    """`with SseStream(url, ...) as stream: stream.next()` (the next event, comments included)."""

    def __init__(self, url: str, *, method: str = "GET", **request: Any) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self.response = self._client.send(self._client.build_request(method, url, **request), stream=True)
        self.raw = bytearray()
        self.events: queue.Queue[Event] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buffer = b""
        try:
            for chunk in self.response.iter_raw():
                self.raw += chunk
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self.events.put(parse(block))
        except (httpx.HTTPError, OSError, ValueError):
            pass  # closed from the test's side
        finally:
            self.events.put(CLOSED)

    def next(self, timeout: float = 10, *, skip_pings: bool = True) -> Event:
        while True:
            event = self.events.get(timeout=timeout)
            if skip_pings and event.event is None and event.data is None and event.retry is None:
                continue
            return event

    def next_data(self, timeout: float = 10) -> Event:
        """The next event that carries data (skipping `retry:` and comments)."""
        while True:
            event = self.next(timeout)
            if event.data is not None or event is CLOSED:
                return event

    def nothing_within(self, seconds: float) -> bool:
        try:
            event = self.next(seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected event {event}")

    def close(self) -> None:
        # Closing the response from this thread does not wake the reader blocked in recv(): a
        # shutdown of the socket does.
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self.response.close()
        self._client.close()

    def __enter__(self) -> SseStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
