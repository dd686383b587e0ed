"""uvicorn's HTTP protocol (httptools), with what it lacks against slow and greedy clients.

uvicorn closes a kept-alive connection that stays idle after a response, but it waits forever for a
new connection's first request, for headers that arrive a byte at a time and for a body that never
ends, and it reads request lines and headers of any size. `EdgeProtocol` adds, per connection:

- a **header timeout**: the request line and headers must be complete within `header_timeout`
  seconds of the connection (or of the first byte of a later request on a kept-alive one);
- a **body timeout**: the body must be complete within `body_timeout` seconds of the headers,
  even when the app answered early (a 401 before the body, say) and uvicorn only discards it;
- a limit on **bodies still arriving** per process: a request that has sent part of its body holds
  up to its limit in memory until the rest comes, so past `max_pending_bodies` such requests a new
  one is answered 503 with `Retry-After` and its connection closed (a body that arrives whole, as
  evaluation bodies do, is never counted);
- a **header size limit**: at most `max_header_bytes` of request line and headers (431);
- a **connection limit** per process, streams included (a stream is a connection): a connection
  made while `max_connections` are open gets one second to send its request, then `GET /health` is
  answered and anything else gets 503 with `Retry-After` and the connection closed; past
  `max_connections + spare` (half the descriptors left above the limit) a new connection is
  closed at once, so that the server's own files and database connections always find a
  descriptor. Open connections are never dropped to make room.

When the app answers before the body is in, what uvicorn buffered of it is dropped at once.
A request that runs out of time is answered 408 when nothing was sent on that connection yet, and
the connection is closed either way; the app sees a disconnect. Timers are armed only while a
request is incomplete at the end of what the socket delivered: a request that arrives whole (the
common case) costs three attribute writes, no timer. Errors are described by `api/errors.py`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from vexil.api.errors import BadRequest
from vexil.api.limits import error_body, send_error

IDLE, HEADERS, BODY = 0, 1, 2
OVER_LIMIT_TIMEOUT = 1.0  # seconds a connection past the limit has to ask for /health
RETRY_AFTER = "1"
TOO_MANY_BODIES = "the server is receiving as many request bodies as it may (VEXIL_MAX_PENDING_BODIES): retry shortly"
TOO_MANY_CONNECTIONS = "the server is at its limit of open connections (VEXIL_MAX_CONNECTIONS): retry shortly"


@dataclass(frozen=True, slots=True)
class Edge:
    """What `EdgeProtocol` enforces (from `Settings`; see `vexil.server`)."""

    header_timeout: float
    body_timeout: float
    max_header_bytes: int
    max_connections: int
    spare: int  # connections past the limit that may wait for their refusal (or for /health)
    max_pending_bodies: int


class Tally:
    """What the connections of one process count together."""

    def __init__(self) -> None:
        self.pending_bodies = 0


class EdgeProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        edge: Edge,
        tally: Tally,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.edge = edge
        self.tally = tally
        self.pending = False  # this connection's body is counted in `tally.pending_bodies`
        self.phase = IDLE
        self.header_bytes = 0
        self.over_limit = False
        self.timer: asyncio.TimerHandle | None = None

    # --- the connection ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.phase = HEADERS
        count = len(self.connections)
        self.over_limit = count > self.edge.max_connections
        if self.over_limit and count > self.edge.max_connections + self.edge.spare:
            transport.close()
            return
        self.arm(min(OVER_LIMIT_TIMEOUT, self.edge.header_timeout) if self.over_limit else self.edge.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        self.settle()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        phase = self.phase
        if phase == IDLE:
            return
        if phase == HEADERS:
            self.header_bytes += len(data)
            if self.header_bytes > self.edge.max_header_bytes:
                message = f"the request's line and headers are over {self.edge.max_header_bytes} bytes"
                self.refuse(BadRequest(message, 431))
            elif self.timer is None:
                self.arm(self.edge.header_timeout)
        else:  # the body is not all here: it has its deadline and, once part of it is held, it counts
            if self.timer is None:
                self.arm(self.edge.body_timeout)
            if not self.pending and self.cycle.body:
                if self.tally.pending_bodies >= self.edge.max_pending_bodies:
                    self.refuse(BadRequest(TOO_MANY_BODIES, 503, headers={"retry-after": RETRY_AFTER}))
                    return
                self.tally.pending_bodies += 1
                self.pending = True

    # --- parser callbacks --------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.phase = HEADERS
        self.header_bytes = 0

    def on_headers_complete(self) -> None:
        self.phase = BODY
        if self.timer is not None:
            self.disarm()
        if self.over_limit and not self.asks_for_health():
            app, self.app = self.app, refuse_over_limit
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.phase = IDLE
        if self.timer is not None:
            self.disarm()
        if self.pending:
            self.settle()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if self.phase == BODY and cycle.response_complete:  # answered early: the rest is dropped as it comes
            cycle.body = bytearray()

    def settle(self) -> None:
        if self.pending:
            self.pending = False
            self.tally.pending_bodies -= 1

    def asks_for_health(self) -> bool:
        return self.parser.get_method() == b"GET" and self.url.partition(b"?")[0] == b"/health"

    # --- timers ------------------------------------------------------------------------------

    def arm(self, seconds: float) -> None:
        self.timer = self.loop.call_later(seconds, self.expire)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def expire(self) -> None:
        self.timer = None
        if self.phase == HEADERS:
            self.refuse(BadRequest(f"the request's headers did not arrive within {self.edge.header_timeout:g} s", 408))
        elif self.phase == BODY:
            self.refuse(BadRequest(f"the request's body did not arrive within {self.edge.body_timeout:g} s", 408))

    def refuse(self, error: BadRequest) -> None:
        """Answer `error` unless this connection is sending a response already, then close it;
        the app, if it is waiting for the body, sees a disconnect."""
        phase, self.phase = self.phase, IDLE
        self.disarm()
        self.settle()
        transport = self.transport
        if transport.is_closing():
            return
        cycle = self.cycle
        if phase == BODY:
            busy = cycle is None or cycle.response_started
        else:  # a previous request's response may still be on its way (a stream, say)
            busy = cycle is not None and not cycle.response_complete
        if not busy:
            status, body, extra = error_body(error)
            head = b"".join(b"%s: %s\r\n" % header for header in extra)
            transport.write(
                b"%scontent-type: application/json\r\ncontent-length: %d\r\n%sconnection: close\r\n\r\n%s"
                % (STATUS_LINE[status], len(body), head, body)
            )
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        transport.close()


async def refuse_over_limit(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a request on a connection past the limit (only `/health` is served there)."""
    error = BadRequest(TOO_MANY_CONNECTIONS, 503, headers={"retry-after": RETRY_AFTER, "connection": "close"})
    await send_error(send, error, cors=any(key == b"origin" for key, _ in scope["headers"]))
