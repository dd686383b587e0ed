"""The event streams at the raw ASGI level: `GET`/`POST /stream` and `GET /sdk/stream`.

A stream stays open for hours, and whatever a request holds, it holds for as long: through FastAPI
that is a dozen middleware and routing frames, three `AsyncExitStack`s and the request's resolved
dependencies (about 20 KiB per stream, twice what uvicorn itself keeps per connection), and every
event would go down the same chain of `send` wrappers. So, like `api/fastpath.py` for evaluation,
these paths are answered here, below the body limit and above FastAPI; the routes in
`api/routes/live.py` document them and, reached without this layer, give the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from vexil.api import evaluation
from vexil.api.auth import AuthError, Principal, Role, TokenCache, token_from_headers
from vexil.api.limits import BadRequest, json_object, send_json
from vexil.api.schemas import NAME_PATTERN
from vexil.api.streams import ClientStream, EventStream, SdkStream, Streams

# Parameters that steer the stream itself; every other query parameter of GET /stream is context.
CONTROL = frozenset({"token", "last_event_id"})
_NAME = re.compile(NAME_PATTERN)
_CORS = (b"access-control-allow-origin", b"*")


def stream_principal(
    tokens: TokenCache, headers: Mapping[str, str], query_token: str | None, *, required: bool
) -> Principal | None:
    """`/stream` is open unless the operator requires a client token; `?token=` is for `EventSource`."""
    secret = token_from_headers(headers) or query_token or None
    if required:
        return tokens.require(secret, Role.CLIENT)
    return tokens.authenticate(secret)


def checked_environment(environment: str | None) -> str | None:
    if environment is not None and not _NAME.fullmatch(environment):
        raise BadRequest(422, f"environment: must match {NAME_PATTERN}")
    return environment


def stream_context(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[str] | None]:
    """`POST /stream`'s body: the context of `POST /evaluate`, and its optional `flags`."""
    names = body.get("flags")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise BadRequest(422, "flags: a list of flag names")
    return evaluation.context_from_body(body, skip=("flags",)), names


Handler = Callable[[Scope, Receive, Any, dict[str, str], list[tuple[str, str]]], Awaitable[EventStream]]


class LivePath:
    """Wraps the FastAPI app; `state_of()` gives the live service, settings and streams."""

    def __init__(self, app: ASGIApp, state_of: Callable[[], Any]) -> None:
        self.app = app
        self.state_of = state_of
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/stream"): self._client_get,
            ("POST", "/stream"): self._client_post,
            ("GET", "/sdk/stream"): self._sdk,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        cors = [_CORS] if "origin" in headers else []
        try:
            stream = await handler(scope, receive, self.state_of(), headers, query)
        except AuthError as exc:
            challenge = [(b"www-authenticate", b"Bearer")] if exc.status == 401 else []
            await send_json(send, exc.status, {"error": str(exc)}, cors + challenge)
            return
        except BadRequest as exc:
            await send_json(send, exc.status, {"error": str(exc)}, cors)
            return
        stream.cors = bool(cors)
        del headers, query, cors  # this frame lives as long as the stream
        await stream(scope, receive, send)

    async def _client_get(
        self, scope: Scope, receive: Receive, state: Any, headers: dict[str, str], query: list[tuple[str, str]]
    ) -> EventStream:
        params = dict(query)
        tokens = state.service.tokens
        stream_principal(tokens, headers, params.get("token"), required=state.settings.require_client_token)
        context = evaluation.context_from_pairs([(k, v) for k, v in query if k not in CONTROL])
        last_event_id = headers.get("last-event-id") or params.get("last_event_id")
        return ClientStream(_streams(state), context, flags=None, last_event_id=last_event_id)

    async def _client_post(
        self, scope: Scope, receive: Receive, state: Any, headers: dict[str, str], query: list[tuple[str, str]]
    ) -> EventStream:
        params = dict(query)
        tokens = state.service.tokens
        stream_principal(tokens, headers, params.get("token"), required=state.settings.require_client_token)
        context, names = stream_context(await json_object(receive, state.settings.max_body_bytes))
        last_event_id = headers.get("last-event-id") or params.get("last_event_id")
        return ClientStream(_streams(state), context, flags=names, last_event_id=last_event_id)

    async def _sdk(
        self, scope: Scope, receive: Receive, state: Any, headers: dict[str, str], query: list[tuple[str, str]]
    ) -> EventStream:
        params = dict(query)
        state.service.tokens.require(token_from_headers(headers), Role.SERVER)
        environment = checked_environment(params.get("environment"))
        last_event_id = headers.get("last-event-id") or params.get("last_event_id")
        return SdkStream(_streams(state), environment, last_event_id=last_event_id)


def _streams(state: Any) -> Streams:
    streams: Streams = state.streams
    return streams
