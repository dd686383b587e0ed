"""The raw ASGI layer: answers the endpoints of `api/surface.py` before any framework code.

FastAPI's per-request machinery (dependency resolution, validation, response models, a dozen
middleware frames) costs more than evaluating a flag, and a stream would hold all of it for hours.
So the evaluation and stream endpoints, the ones called on every page view, are matched here from
the one route table and answered by the same handlers that the documented FastAPI routes run;
everything else falls through to the wrapped app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from vexil.api import sse
from vexil.api.runtime import Runtime, RuntimeSlot
from vexil.api.surface import ROUTER, Call, Reply, run

_JSON = (b"content-type", b"application/json")
_CORS = (b"access-control-allow-origin", b"*")


class FastPath:
    def __init__(self, app: ASGIApp, slot: RuntimeSlot) -> None:
        self.app = app  # the documented app: every route, these endpoints included, through FastAPI
        self.slot = slot

    @property
    def runtime(self) -> Runtime:
        """What the app runs on, once its lifespan has started."""
        return self.slot.get()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = ROUTER.match(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, params = found
        headers = scope["headers"]
        call = Call(self.slot.get(), scope["method"], params, scope["query_string"], headers, receive)
        answer, extra = await run(endpoint.handler, call)
        cors = any(key == b"origin" for key, _ in headers)
        del call, headers, found  # a stream's frame lives as long as the stream
        if isinstance(answer, Reply):
            await send_reply(send, answer, cors=cors, extra=extra)
        else:
            await sse.respond(answer, receive, send, cors=cors)


async def send_reply(send: Send, reply: Reply, *, cors: bool, extra: dict[str, str] | None = None) -> None:
    body = reply.body
    headers = [_JSON, (b"content-length", b"%d" % len(body))]
    if cors:
        headers.append(_CORS)
    if extra:  # an error's headers: WWW-Authenticate, Retry-After
        headers += [(key.encode("latin-1"), value.encode("latin-1")) for key, value in extra.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
