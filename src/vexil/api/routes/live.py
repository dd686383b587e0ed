"""Live updates (docs/live.md): the client event stream, the server-SDK feed and its change stream.

In a running server `api/livepath.py` answers the stream paths before FastAPI routing (a stream
holds whatever its request holds, for hours); these routes document them and give the same
answers. This router also owns the streams' lifespan: the heartbeat ticker, and ending every
stream on SIGTERM so that the server can exit.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from starlette.types import Receive, Scope, Send

from vexil.api import evaluation
from vexil.api.auth import Principal
from vexil.api.deps import Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.livepath import CONTROL, stream_principal
from vexil.api.schemas import NAME_PATTERN, BulkEvaluationInput
from vexil.api.sdkfeed import matches_etag
from vexil.api.streams import ClientStream, EventStream, SdkStream, Streams, on_shutdown_signal


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    streams = Streams(app.state.service, heartbeat=settings.stream_heartbeat)
    app.state.streams = streams
    streams.start()
    if settings.freeze_gc:
        tune_gc()
    undo = on_shutdown_signal(streams.close_all)
    try:
        yield
    finally:
        undo()
        await streams.stop()


router = APIRouter(responses=ERROR_RESPONSES, lifespan=lifespan)


def tune_gc() -> None:
    """Keep the cyclic garbage collector from pausing every open stream.

    A full collection scans every tracked object and stops the event loop meanwhile: 100 ms and
    more with what startup builds, plus about 50 objects per open stream. So, once started (this
    router's lifespan runs last), startup's objects, which live as long as the process, are
    frozen out of its sight. And a stream allocates a future each time it waits for its next
    event: with the default young-generation threshold (700 allocations) the collections that run
    during one fan-out promote the futures of the streams not yet woken, and every few changes
    these promotions trigger a full collection over all streams. Collecting the young generation
    every 100,000 allocations instead lets them die young.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(100_000, older, oldest)


class StreamResponse(Response):
    """An `EventStream` as a response that FastAPI passes through."""

    media_type = "text/event-stream"

    def __init__(self, stream: EventStream | None = None) -> None:
        self.status_code = 200
        self.background = None
        self.raw_headers = []
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.stream is not None
        await self.stream(scope, receive, send)


def get_streams(request: Request) -> Streams:
    streams: Streams = request.app.state.streams
    return streams


StreamsDep = Annotated[Streams, Depends(get_streams)]
Token = Annotated[str | None, Query(description="A client token, for `EventSource`, which cannot send headers.")]
LastEventIdHeader = Annotated[str | None, Header(alias="last-event-id", description="Resume after this event.")]
LastEventIdQuery = Annotated[str | None, Query(description="Resume after this event (as `Last-Event-ID`).")]
Environment = Annotated[
    str | None, Query(pattern=NAME_PATTERN, description="Narrow overrides to this environment (default: all).")
]


def stream_caller(request: Request, service: ServiceDep, token: Token = None) -> Principal | None:
    required = request.app.state.settings.require_client_token
    return stream_principal(service.tokens, request.headers, token, required=required)


StreamCaller = Annotated[Principal | None, Depends(stream_caller)]


def _event_stream(description: str, example: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {"text/event-stream": {"schema": {"type": "string"}, "example": example}},
        }
    }


CLIENT_EXAMPLE = (
    "retry: 2000\n\nid: 3f9a01c2-17\nevent: snapshot\ndata: "
    '{"flags": {"new_checkout": {"active": true, "variant": "on", "payload": null, "reason": "enabled"}}}\n\n'
    "id: 3f9a01c2-18\nevent: update\ndata: "
    '{"flags": {"new_checkout": {"active": false, "variant": "off", "payload": null, "reason": "disabled"}}}\n\n'
    ": ping\n\n"
)
CLIENT_STREAM = _event_stream(
    "`snapshot` first (every flag's client result), then an `update` with only the flags whose result "
    "for this context changed (`null`: deleted); `: ping` every 15 s.",
    CLIENT_EXAMPLE,
)
SDK_STREAM = _event_stream(
    "`config` first (the `/sdk/config` body) or, after a known `Last-Event-ID`, a `flags` event with "
    "everything changed since; then a `flags` event per change: the changed flag documents (`null`: deleted) "
    "and, when segments changed, the full segment list.",
    'id: 3f9a01c2-19\nevent: flags\ndata: {"flags": {"deleted_flag": null}, "segments": null}\n\n',
)
SDK_CONFIG: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every flag (as `GET /flags/{name}`, overrides narrowed) and segment, with an `ETag`.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["environment", "flags", "segments", "event_id"],
                    "properties": {
                        "environment": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "flags": {"type": "array", "items": {"$ref": "#/components/schemas/FlagOut"}},
                        "segments": {"type": "array", "items": {"$ref": "#/components/schemas/SegmentOut"}},
                        "event_id": {"type": "string"},
                    },
                }
            }
        },
    },
    304: {"description": "Not modified: the `If-None-Match` ETag is current."},
}


@router.get(
    "/stream",
    tags=["evaluation"],
    response_class=StreamResponse,
    status_code=200,
    responses=CLIENT_STREAM,
    summary="Live client results for one context (Server-Sent Events)",
    description="Query: `identifier`, `environment`, `app`; every other parameter (except `token` and "
    "`last_event_id`) is an attribute, as for `GET /flags/{name}/evaluate`.",
)
async def stream_get(
    request: Request,
    streams: StreamsDep,
    _: StreamCaller,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: LastEventIdQuery = None,
) -> Response:
    pairs = [(key, value) for key, value in request.query_params.multi_items() if key not in CONTROL]
    context = evaluation.context_from_pairs(pairs)
    return StreamResponse(
        ClientStream(streams, context, flags=None, last_event_id=last_event_id_header or last_event_id)
    )


@router.post(
    "/stream",
    tags=["evaluation"],
    response_class=StreamResponse,
    status_code=200,
    responses=CLIENT_STREAM,
    summary="Live client results for a JSON context (Server-Sent Events)",
    description="The body is that of `POST /evaluate` (`flags` limits the set).",
)
async def stream_post(
    body: BulkEvaluationInput,
    streams: StreamsDep,
    _: StreamCaller,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: LastEventIdQuery = None,
) -> Response:
    fields = body.model_dump(exclude_none=True)
    names = fields.pop("flags", None)
    context = evaluation.context_from_body(fields)
    return StreamResponse(
        ClientStream(streams, context, flags=names, last_event_id=last_event_id_header or last_event_id)
    )


@router.get(
    "/sdk/config",
    tags=["sdk"],
    responses=SDK_CONFIG,
    summary="Configuration for SDKs that evaluate locally (server token)",
)
async def sdk_config(
    streams: StreamsDep,
    _: Reader,
    environment: Environment = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    body, etag = streams.feed.config(environment)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if matches_etag(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/sdk/stream",
    tags=["sdk"],
    response_class=StreamResponse,
    status_code=200,
    responses=SDK_STREAM,
    summary="Configuration changes for SDKs (Server-Sent Events, server token)",
)
async def sdk_stream(
    streams: StreamsDep,
    _: Reader,
    environment: Environment = None,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: LastEventIdQuery = None,
) -> Response:
    return StreamResponse(SdkStream(streams, environment, last_event_id=last_event_id_header or last_event_id))
