"""The server-SDK configuration (docs/live.md); its change stream is in `api/surface.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from vexil.api.deps import Reader, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.core.feed import matches_etag
from vexil.core.names import NAME_PATTERN

router = APIRouter(tags=["sdk"], responses=ERROR_RESPONSES)

Environment = Annotated[
    str | None, Query(pattern=NAME_PATTERN, description="Narrow overrides to this environment (default: all).")
]
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


@router.get("/sdk/config", responses=SDK_CONFIG, summary="Configuration for SDKs that evaluate locally (server token)")
async def sdk_config(
    runtime: RuntimeDep,
    principal: Reader,
    environment: Environment = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    body, etag = runtime.streams.feed.config(principal.environment_for(environment))
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if matches_etag(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
