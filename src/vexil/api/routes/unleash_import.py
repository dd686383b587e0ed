"""`POST /import/unleash`: Unleash's export in, Vexil flags and segments created beside what exists.

The body is Unleash's own JSON (docs/migrating-from-unleash.md): a features-batch export, the
segment list, or a list of them. `vexil.unleash.imports` converts it, or refuses what it cannot
reproduce exactly; each converted document is then checked as `POST /flags` and `POST /segments`
check theirs, and `FlagService.add_documents` creates them all in one transaction (409 naming the
names already taken). An editor's import of a flag that is on in a protected environment is refused
(`core/direct_writes.py`). Like `POST /import`, a route with the large body limit, whose body is
parsed and converted in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, ValidationError

from vexil.api.deps import Editor, ServiceDep
from vexil.api.errors import ERROR_RESPONSES, BadRequest, describe_validation_error
from vexil.api.limits import check_parsed, why_not_json
from vexil.api.schemas import FlagCreate, SegmentCreate
from vexil.core import direct_writes as direct
from vexil.unleash.imports import Conversion, Refused, convert

# Takes the large body limit of imports (`api/app.py`, VEXIL_MAX_IMPORT_MB).
IMPORT_UNLEASH_PATH = "/import/unleash"

router = APIRouter(tags=["admin"], responses=ERROR_RESPONSES)


class UnleashImportResult(BaseModel):
    flags: list[str] = Field(description="The flags created, one per Unleash feature.")
    segments: list[str] = Field(description="The segments created (those the features use).")
    warnings: list[str] = Field(description="What the import changed without changing any answer (renamed segments).")


BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": "Unleash's features-batch export (one per environment), its segment list "
                "(GET /api/admin/segments), or a list of them.",
                "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
            }
        }
    },
}


@router.post(
    IMPORT_UNLEASH_PATH,
    response_model=UnleashImportResult,
    status_code=201,
    summary="Create flags and segments from an Unleash export, atomically",
    openapi_extra={"requestBody": BODY},
)
async def import_unleash(request: Request, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    conversion = await asyncio.to_thread(_converted, await request.body())
    created = await direct.add_documents(service, conversion.flags, conversion.segments, principal=principal)
    return {**created, "warnings": conversion.warnings}


def _converted(content: bytes) -> Conversion:
    """The checked documents of an Unleash export, or 400 naming everything that is wrong."""
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise why_not_json(content) from exc
    check_parsed(content, data)
    try:
        conversion = convert(data)
    except Refused as exc:
        raise BadRequest(str(exc)) from exc
    problems = [
        *(_problem(FlagCreate, doc, f"feature {doc['name']}") for doc in conversion.flags),
        *(_problem(SegmentCreate, doc, f"segment {doc['name']}") for doc in conversion.segments),
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise BadRequest(str(Refused(found)))
    return conversion


def _problem(model: type[BaseModel], doc: dict[str, Any], label: str) -> str | None:
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        return f"{label}: {describe_validation_error(list(exc.errors()))}"
    return None
