"""An event stream as an HTTP response: the ASGI side of `core.streams.EventStream`.

The loop below is the whole life of a stream's request. It waits inline (no helper coroutine per
event): whatever a stream allocates per event and keeps until the next one ends up in the oldest
GC generation, where the full collections it triggers scan every open stream.
"""

from __future__ import annotations

import asyncio

from starlette.types import Receive, Send

from vexil.core.streams import EventStream

_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
)
_CORS = (b"access-control-allow-origin", b"*")


async def respond(stream: EventStream, receive: Receive, send: Send, *, cors: bool) -> None:
    """Send `stream` until it closes or the client goes away."""
    watcher = asyncio.get_running_loop().create_task(_until_disconnect(receive))

    def disconnected(task: asyncio.Task[None]) -> None:
        if task.cancelled():  # we stopped watching: the stream ended on our side
            return
        task.exception()  # retrieved, so that asyncio does not log it
        stream.gone()

    watcher.add_done_callback(disconnected)
    try:
        chunk: bytes | None = stream.open()
        await send({"type": "http.response.start", "status": 200, "headers": [*_HEADERS, _CORS] if cors else _HEADERS})
        while chunk is not None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            waiter = stream.waiter()
            if waiter is not None:
                await waiter
            chunk = stream.take()
    finally:
        stream.end()
        watcher.cancel()
    if not stream.is_gone:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
