"""A real HTTP receiver for webhook tests: an `http.server` on a free loopback port, in a thread,
that keeps what it is sent and answers as told (a status per request, or never)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG = -1  # an answer that never comes


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    # Answers for the first requests, in order; 200 once they are used up.
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.received.append(received)
            return self.answers.pop(0) if self.answers else 200

    def event_ids(self) -> list[int]:
        with self.lock:
            return [item.json["id"] for item in self.received]


@contextmanager
def receiver(*answers: int, delay: float = 0.0) -> Iterator[Receiver]:
    """A receiver answering `answers` in order (HANG: never), then 200, each `delay` seconds after
    the request came (and was kept); stopped on exit."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = box[0].answer(Received(dict(self.headers.items()), body))
            if status == HANG:
                box[0].released.wait(60)
                return
            if delay:
                box[0].released.wait(delay)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", list(answers)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        box[0].released.set()
        server.shutdown()
        server.server_close()
