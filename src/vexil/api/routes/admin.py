"""Audit log, environments, export and import."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from vexil.api.deps import Admin, Editor, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.limits import check_parsed, why_not_json
from vexil.api.params import plain_parameters
from vexil.api.pieces import loads_in_pieces
from vexil.api.routes.change_requests import REQUESTED, answered
from vexil.api.schemas import (
    AuditPage,
    EnvironmentInput,
    EnvironmentList,
    EnvironmentOut,
    EnvironmentPatch,
    ExportOut,
    FlagImported,
    ImportInput,
    ImportResult,
    RevertOut,
    SegmentCreate,
)
from vexil.core.imports import Mode
from vexil.core.revert import RevertRequested, revert
from vexil.core.validation import InvalidInput
from vexil.core.values import readable

router = APIRouter(tags=["admin"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

KEPT_ON_IMPORT = ("created_at", "updated_at", "version")
# The one route that takes a body past VEXIL_MAX_BODY_KB (up to VEXIL_MAX_IMPORT_MB): it needs an
# admin token, which the body limit checks before it reads a byte (`api/app.py`, `api/limits.py`).
IMPORT_PATH = "/import"
RESTORE_PATH = "/import/restore"
ModeQuery = Annotated[
    Mode, Query(description="`replace`: the file becomes the whole state; `merge`: add and update, delete nothing.")
]
DryRun = Annotated[bool, Query(description="Only answer what the import would create, change and delete.")]
IfState = Annotated[
    str | None,
    Query(max_length=64, description="A plan's `state`: 409 unless the state is still the one that plan was made on."),
]
T = TypeVar("T")


_DOCUMENT = TypeAdapter(dict[str, Any])


def _fields(model: type[BaseModel], raw: dict[str, Any], *where: str | int) -> dict[str, Any]:
    """The fields of an imported document but those kept as they are, checked as `model`; what is
    wrong is reported at its place in the body (`flags[2].name`)."""
    fields = {k: v for k, v in raw.items() if k not in KEPT_ON_IMPORT}
    return _located(model.model_validate, fields, *where).model_dump()


def _located(validate: Callable[[Any], T], value: Any, *where: str | int) -> T:
    """`validate(value)`, whose validation errors are reported at their place in the body."""
    try:
        return validate(value)
    except ValidationError as exc:
        located = [{**error, "loc": ("body", *where, *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(located) from exc


@router.get("/audit", response_model=AuditPage, summary="Audit events, newest first")
async def audit(
    service: ServiceDep,
    _: Reader,
    flag: str | None = None,
    actor: str | None = None,
    since: Annotated[
        datetime | None,
        Query(description="ISO 8601; events at or after. An instant outside years 1 to 9999 in UTC is refused (400)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Page: events older than this id.")] = None,
) -> dict[str, Any]:
    events = await service.store.list_audit(flag=flag, actor=actor, since=since, limit=limit, before_id=before_id)
    events = [readable(event) for event in events]
    next_before = events[-1]["id"] if len(events) == limit else None
    return {"events": events, "next_before_id": next_before}


@router.post(
    "/audit/{event_id}/revert",
    response_model=RevertOut,
    summary="Put a flag or segment back as it was before an audit event",
    responses={
        **REQUESTED,
        409: {"description": "The event has no state to put back, or it changed since (without force)."},
    },
)
async def revert_event(
    event_id: Annotated[int, Path(ge=1, le=2**62, description="The audit event to revert.")],
    service: ServiceDep,
    principal: Editor,
    force: Annotated[
        bool, Query(description="Put back the state before the event even if it changed since (later changes lost).")
    ] = False,
) -> Any:
    try:
        return await revert(service, event_id, principal=principal, force=force)
    except RevertRequested as requested:
        return answered(None, requested.request)


@router.get("/environments", response_model=EnvironmentList, summary="List environments")
async def list_environments(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return {"environments": await service.store.list_environments()}


@router.post("/environments", response_model=EnvironmentOut, status_code=201, summary="Create an environment")
async def create_environment(body: EnvironmentInput, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return await service.store.create_environment(body.name, actor=principal.name)


@router.patch(
    "/environments/{name}",
    response_model=EnvironmentList,
    summary="Rename an environment, move it in the order, or protect it (docs/environments.md)",
)
async def patch_environment(name: str, body: EnvironmentPatch, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    """The team's order is where environments are listed (API, export, UI); a protected environment's
    writes need an approved change request. Answers the whole new list."""
    if body.order is None and body.protected is None and body.required_approvals is None and body.name is None:
        raise InvalidInput("give name, order, protected or required_approvals")
    if body.name is not None and body.name != name:
        await service.rename_environment(name, body.name, actor=principal.name)
        name = body.name
    if body.protected is not None or body.required_approvals is not None:
        await service.protect_environment(
            name, protected=body.protected, required_approvals=body.required_approvals, actor=principal.name
        )
    if body.order is None:
        return {"environments": await service.store.list_environments()}
    return {"environments": await service.store.order_environment(name, body.order, actor=principal.name)}


@router.get("/export", response_model=ExportOut, summary="The whole state (flags, overrides, apps, segments)")
async def export(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return readable(await service.store.export_state())  # type: ignore[no-any-return]


# The body is read by the route itself (documented here), so that parsing it happens off the event loop.
IMPORT_BODY = {"required": True, "content": {"application/json": {"schema": ImportInput.model_json_schema()}}}


@router.post(
    IMPORT_PATH,
    response_model=ImportResult,
    summary="Replace the whole state with an export (or merge it in), atomically; or only say what would change",
    openapi_extra={"requestBody": IMPORT_BODY},
)
async def import_(
    request: Request,
    service: ServiceDep,
    principal: Admin,
    mode: ModeQuery = "replace",
    dry_run: DryRun = False,
    if_state: IfState = None,
) -> dict[str, Any]:
    # An export of thousands of flags takes a while to parse and check: in a worker thread, so that
    # evaluations go on meanwhile.
    state = await asyncio.to_thread(_import_fields, await request.body())
    return await service.import_state(state, actor=principal.name, mode=mode, dry_run=dry_run, if_state=if_state)


@router.post(
    RESTORE_PATH,
    response_model=ImportResult,
    summary="Put back the state an import replaced (kept in its audit event), atomically",
)
async def restore(
    service: ServiceDep,
    principal: Admin,
    event: Annotated[
        int | None,
        Query(ge=1, le=2**62, description="The import's audit event; default: the newest import (not a restore)."),
    ] = None,
    dry_run: DryRun = False,
    if_state: IfState = None,
) -> dict[str, Any]:
    found, kept = await service.store.kept_state(event)
    state = await asyncio.to_thread(_checked_document, kept)
    result = await service.import_state(
        state, actor=principal.name, dry_run=dry_run, action="restore", if_state=if_state
    )
    return {**result, "restored_from": found}


def _import_fields(content: bytes) -> dict[str, Any]:
    """The checked fields of an import's body. Parsed and checked piece by piece (one call over
    10,000 documents would hold the GIL, and so the event loop, for a tenth of a second)."""
    try:
        document = loads_in_pieces(content)
    except ValueError as exc:
        raise why_not_json(content) from exc
    check_parsed(content, document, surrogates=True)  # the strict rules of every body (api/limits.py)
    return _checked_document(document)


def _checked_document(document: Any) -> dict[str, Any]:
    """An export document's fields, checked as an import's body is (a restore's kept state too)."""
    if document.__class__ is not dict:
        _located(ImportInput.model_validate, document)  # raises, saying what is expected
    # The model checks the top level; the documents in its lists are checked one by one below.
    _located(ImportInput.model_validate, {k: [] if v.__class__ is list else v for k, v in document.items()})
    # Documents keep their times and versions (an environment its creation time), so that importing
    # an export, or restoring the state an import replaced, gives back the very same documents.
    flags = [
        {**_fields(FlagImported, raw, "flags", index), **_kept(raw)} for index, raw in _documents(document, "flags")
    ]
    segments = [
        {**_fields(SegmentCreate, raw, "segments", index), **_kept(raw)}
        for index, raw in _documents(document, "segments")
    ]
    environments = [
        {
            **_fields(EnvironmentInput, {"name": raw.get("name")}, "environments", index),
            **_kept(raw, "created_at", "order", "protected", "required_approvals"),
        }
        for index, raw in _documents(document, "environments")
    ]
    return {"flags": flags, "segments": segments, "environments": environments}


def _kept(raw: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The times and version of an imported document (`keys`, default `KEPT_ON_IMPORT`), as given."""
    return {key: raw[key] for key in keys or KEPT_ON_IMPORT if key in raw}


def _documents(document: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The documents of the list `key` with their index, each checked to be an object."""
    for index, item in enumerate(document.get(key) or []):
        yield index, _located(_DOCUMENT.validate_python, item, key, index)
