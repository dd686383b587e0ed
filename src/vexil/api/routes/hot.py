"""FastAPI routes for the endpoints of `api/surface.py`, generated from its table.

They run the very handlers the raw ASGI layer runs, so they give the same answers; they exist to
put those endpoints in the OpenAPI document (and to answer when the app runs without that layer).
Each route's security and error answers come from its `Endpoint.token` and `Endpoint.errors`
(`api/openapi.py` writes them). Request bodies are read by the handlers themselves, not validated
by FastAPI: their schemas are documented through `openapi_extra`, and `BODY_MODELS` lists the
models to add to the components.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from vexil.api import sse
from vexil.api.endpoints import ENDPOINTS
from vexil.api.openapi import error_responses, security
from vexil.api.runtime import RuntimeSlot
from vexil.api.surface import Call, Endpoint, Reply, run
from vexil.core.streams import EventStream

# In the endpoints' order (a set's would follow memory addresses: the document would differ per run).
BODY_MODELS: tuple[type[BaseModel], ...] = tuple(dict.fromkeys(e.body for e in ENDPOINTS if e.body is not None))


class StreamResponse(Response):
    """An `EventStream` as a response that FastAPI passes through."""

    media_type = "text/event-stream"

    def __init__(self, stream: EventStream) -> None:
        self.status_code = 200
        self.background = None
        self.raw_headers = []
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # CORS headers come from the CORS middleware around FastAPI.
        await sse.respond(self.stream, receive, send, cors=False)


def _endpoint(route: Endpoint, slot: RuntimeSlot) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        scope = request.scope
        call = Call(
            slot.get(), scope["method"], request.path_params, scope["query_string"], scope["headers"], request.receive
        )
        answer, extra = await run(route.handler, call)
        if isinstance(answer, Reply):
            headers = {**(extra or {}), **(answer.headers or {})}
            return Response(answer.body, answer.status, headers=headers, media_type="application/json")
        return StreamResponse(answer)

    return endpoint


def _openapi(route: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in route.path_params
    ]
    for name, text, schema in route.query:
        parameter = {"name": name, "in": "query", "required": False, "description": text}
        parameter["schema"] = {"type": "string", **schema}
        if schema.get("type") == "object":  # free-form: each of its keys is a parameter of its own
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    extra: dict[str, Any] = {
        "parameters": parameters,
        "security": security(route.token, optional=True, session=route.sessions),
    }
    if route.body is not None:
        schema = {"$ref": f"#/components/schemas/{route.body.__name__}"}
        extra["requestBody"] = {"required": False, "content": {"application/json": {"schema": schema}}}
    return extra


def _errors(route: Endpoint) -> dict[int | str, dict[str, Any]]:
    """The route's own `{"error"}` answers (`Endpoint.errors`), described for who may call it."""
    return {int(status): answer for status, answer in error_responses(route.errors, route.token).items()}


def router(slot: RuntimeSlot) -> APIRouter:
    api = APIRouter()
    for route in ENDPOINTS:
        api.add_api_route(
            route.path,
            _endpoint(route, slot),
            methods=[route.method],
            tags=list(route.tags),
            summary=route.summary,
            description=route.description or "",
            status_code=200,
            responses={200: route.ok, **_errors(route), **route.responses},
            response_class=StreamResponse if route.stream else Response,
            openapi_extra=_openapi(route),
        )
    return api
