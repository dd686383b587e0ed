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
from vexil.api.endpoints import ROUTER
from vexil.api.errors import HANDLED
from vexil.api.runtime import Runtime, RuntimeSlot
from vexil.api.surface import Call, Reply, error_reply

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
        # Kept in one frame, without helper coroutines: this runs on every evaluation.
        found = ROUTER.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, params = found
        headers = scope["headers"]
        call = Call(self.slot.get(), scope["method"], params, scope["query_string"], headers, receive)
        extra: dict[str, str] | None = None
        try:
            answer = await endpoint.handler(call)
        except HANDLED as exc:  # the same mapping as the documented routes' (`surface.run`)
            answer, extra = error_reply(exc)
        cors = False
        for key, _ in headers:
            if key == b"origin":
                cors = True
                break
        del call, headers, found  # a stream's frame lives as long as the stream
        if answer.__class__ is not Reply:
            await sse.respond(answer, receive, send, cors=cors)  # type: ignore[arg-type]
            return
        body = answer.body
        # A 304 has no body, and no length or type of its own (RFC 9110 §15.4.5).
        response = [_JSON, (b"content-length", b"%d" % len(body))] if answer.status != 304 else []
        if cors:
            response.append(_CORS)
        if extra:  # an error's headers: WWW-Authenticate, Retry-After
            response += [(key.encode("latin-1"), value.encode("latin-1")) for key, value in extra.items()]
        if answer.headers:  # the answer's own: ETag
            response += [(key.encode("latin-1"), value.encode("latin-1")) for key, value in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": response})
        await send({"type": "http.response.body", "body": body})
