"""Audit log, environments, export and import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from vexil.api.deps import Admin, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.schemas import (
    AuditPage,
    EnvironmentInput,
    EnvironmentList,
    EnvironmentOut,
    ExportOut,
    FlagCreate,
    ImportInput,
    ImportResult,
    SegmentCreate,
)
from vexil.core.values import readable

router = APIRouter(tags=["admin"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

KEPT_ON_IMPORT = ("created_at", "updated_at", "version")
# The one route that takes a body past VEXIL_MAX_BODY_KB (up to VEXIL_MAX_IMPORT_MB): it needs an
# admin token, which the body limit checks before it reads a byte (`api/app.py`, `api/limits.py`).
IMPORT_PATH = "/import"


def _fields(model: type[BaseModel], raw: dict[str, Any], *where: str | int) -> dict[str, Any]:
    """The fields of an imported document but those kept as they are, checked as `model`; what is
    wrong is reported at its place in the body (`flags[2].name`)."""
    try:
        return model.model_validate({k: v for k, v in raw.items() if k not in KEPT_ON_IMPORT}).model_dump()
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


@router.get("/environments", response_model=EnvironmentList, summary="List environments")
async def list_environments(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return {"environments": await service.store.list_environments()}


@router.post("/environments", response_model=EnvironmentOut, status_code=201, summary="Create an environment")
async def create_environment(body: EnvironmentInput, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return await service.store.create_environment(body.name, actor=principal.name)


@router.get("/export", response_model=ExportOut, summary="The whole state (flags, overrides, apps, segments)")
async def export(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return readable(await service.store.export_state())  # type: ignore[no-any-return]


@router.post(IMPORT_PATH, response_model=ImportResult, summary="Replace the whole state with an export, atomically")
async def import_(body: ImportInput, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    flags = [
        {**_fields(FlagCreate, raw, "flags", index), **{k: raw[k] for k in KEPT_ON_IMPORT if k in raw}}
        for index, raw in enumerate(body.flags)
    ]
    segments = [_fields(SegmentCreate, raw, "segments", index) for index, raw in enumerate(body.segments)]
    environments = [
        _fields(EnvironmentInput, {"name": raw.get("name")}, "environments", index)
        for index, raw in enumerate(body.environments)
    ]
    state = {"flags": flags, "segments": segments, "environments": environments}
    return await service.import_state(state, actor=principal.name)
