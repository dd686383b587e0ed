"""The hot path: a raw ASGI layer that answers evaluation requests before FastAPI routing.

FastAPI's per-request machinery (dependency resolution, validation, response models) costs more
than evaluating a flag. The evaluation endpoints are the ones called on every page view, so they
are answered here straight from the snapshot; everything else, and anything this layer does not
recognize, falls through to the FastAPI app, whose routes document these same endpoints and give
the same answers (`api/evaluation.py` is shared by both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from vexil.api import evaluation
from vexil.api.auth import AuthError, Principal, Role, TokenCache, token_from_headers
from vexil.api.limits import BadRequest, json_object, send_json

_CORS = (b"access-control-allow-origin", b"*")
_AUTH_HEADERS = frozenset({b"authorization", b"x-api-key", b"x-admin-token"})


class FastPath:
    """Wraps the FastAPI app; `state_of()` gives the live service and settings."""

    def __init__(self, app: ASGIApp, state_of: Callable[[], Any]) -> None:
        self.app = app
        self.state_of = state_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = self._route(scope["method"], scope["path"])
            if handler is not None:
                await self._answer(handler, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _route(self, method: str, path: str) -> Callable[..., Awaitable[Any]] | None:
        if path.startswith("/flags/") and path.endswith("/evaluate"):
            name = path[7:-9]
            if name and "/" not in name and method in {"GET", "POST"}:
                return self._single
            return None
        if method == "POST":
            return {"/evaluate": self._bulk, "/flags/check": self._check, "/api/evaluate": self._compat}.get(path)
        return None

    async def _answer(self, handler: Callable[..., Awaitable[Any]], scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state_of()
        headers = scope["headers"]
        status = 200
        try:
            principal = _principal(headers, state.service.tokens, state.settings.require_client_token)
            content = await handler(scope, receive, state, principal)
        except AuthError as exc:
            status, content = exc.status, {"error": str(exc)}
        except BadRequest as exc:
            status, content = exc.status, {"error": str(exc)}
        if isinstance(content, tuple):
            status, content = content
        state.counters["evaluations"] += 1
        cors = [_CORS] if any(key == b"origin" for key, _ in headers) else []
        await send_json(send, status, content, cors)

    async def _single(self, scope: Scope, receive: Receive, state: Any, principal: Principal | None) -> Any:
        name = scope["path"][7:-9]
        if scope["method"] == "GET":
            query = scope["query_string"].decode("latin-1")
            context = evaluation.context_from_pairs(parse_qsl(query, keep_blank_values=True))
        else:
            context = evaluation.context_from_body(await json_object(receive, state.settings.max_body_bytes))
        admin = principal is not None and principal.can(Role.SERVER)
        return evaluation.single(state.service.snapshot, name, context, admin=admin)

    async def _bulk(self, scope: Scope, receive: Receive, state: Any, principal: Principal | None) -> Any:
        body = await json_object(receive, state.settings.max_body_bytes)
        names = body.get("flags")
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise BadRequest(422, "flags: a list of flag names")
        return evaluation.bulk(state.service.snapshot, evaluation.context_from_body(body, skip=("flags",)), names)

    async def _check(self, scope: Scope, receive: Receive, state: Any, principal: Principal | None) -> Any:
        body = await json_object(receive, state.settings.max_body_bytes)
        name = body.get("name")
        if not isinstance(name, str):
            raise BadRequest(422, "name: a flag name is required")
        answer = evaluation.compat_check(
            state.service.snapshot, name, evaluation.context_from_body(body, skip=("name",))
        )
        return answer if answer is not None else (404, {"error": f"flag {name!r} not found"})

    async def _compat(self, scope: Scope, receive: Receive, state: Any, principal: Principal | None) -> Any:
        body = await json_object(receive, state.settings.max_body_bytes)
        if "user" in body and not isinstance(body["user"], dict):
            raise BadRequest(422, "user: an object")
        return evaluation.compat_evaluate(state.service.snapshot, body)


def _principal(headers: list[tuple[bytes, bytes]], tokens: TokenCache, required: bool) -> Principal | None:
    found = {key.decode(): value.decode("latin-1") for key, value in headers if key in _AUTH_HEADERS}
    secret = token_from_headers(found) if found else None
    if required:
        return tokens.require(secret, Role.CLIENT)
    return tokens.authenticate(secret)
