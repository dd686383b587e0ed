"""Request bodies: anything over the limit is a 413 before any route sees it, and every body is
read as JSON whatever its Content-Type says (`curl -d '{...}'` sends a form type by default)."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over {limit} bytes, the most this endpoint takes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class BodyLimit:
    """Buffers each request body up to its limit: `max_bytes`, or a larger one for listed paths."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        larger: dict[str, int] | None = None,
        reads_itself: Callable[[str, str], bool] = lambda method, path: False,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}
        # Routes that authenticate first and then read their body within the limit themselves.
        self.reads_itself = reads_itself

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in {"GET", "HEAD", "OPTIONS"}
            or self.reads_itself(scope["method"], scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.larger.get(scope["path"], self.max_bytes))
        except BodyTooLarge as exc:
            await send_json(send, 413, {"error": str(exc)})
            return
        except ClientGone:
            return
        delivered = False
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def send_json(send: Send, status: int, content: object) -> None:
    body = orjson.dumps(content)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
