"""Compatibility writes of two smaller flag services, so their clients can switch unchanged
(docs/compatibility.md): seed 001's `POST /flags/create|toggle|set|delete`, and seed 002's
`PUT /api/admin/flags/{id}` (its names mapped by `api/seeds.py`). Their evaluation endpoints,
`/flags/check` and `/api/evaluate`, are in `api/surface.py`.

Their clients read the flag in every answer and cannot read a 202: a write here that touches a
protected environment is refused (403) for whoever may not bypass the protection, rather than made
a change request (`core/direct_writes.py`, docs/change-requests.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from vexil.api.deps import Editor, RuntimeDep, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.schemas import CompatCreate, CompatFlagWritten, CompatName, CompatSet
from vexil.api.seeds import SeedFlagAnswer, SeedFlagUpdate, one_environment, seed_flag
from vexil.api.surface import Call
from vexil.core import direct_writes as direct
from vexil.core.names import NAME_PATTERN

router = APIRouter(tags=["compatibility"], responses=ERROR_RESPONSES)

SEED_ADMIN_FLAGS = "/api/admin/flags/"
# Request bodies the app's OpenAPI document adds to its components (see `app._openapi`).
BODY_MODELS: tuple[type[BaseModel], ...] = (SeedFlagUpdate,)


def _answer(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "enabled": doc["enabled"],
        "description": doc["description"],
        "updated_at": doc["updated_at"],
    }


# --- seed 001 -----------------------------------------------------------------------------------


@router.post("/flags/create", response_model=CompatFlagWritten, status_code=201, summary="Create a boolean flag")
async def create(body: CompatCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return _answer(await direct.create_flag(service, body.model_dump(), principal=principal))


@router.post("/flags/toggle", response_model=CompatFlagWritten, summary="Flip a flag's kill switch")
async def toggle(body: CompatName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    edit = {"kind": "toggle", "flag": body.name, "environment": None}
    return _answer(await direct.edit_directly(service, edit, principal=principal))


@router.post("/flags/set", response_model=CompatFlagWritten, summary="Set a flag's kill switch")
async def set_enabled(body: CompatSet, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    edit = {"kind": "enable", "flag": body.name, "environment": None, "enabled": body.enabled}
    return _answer(await direct.edit_directly(service, edit, principal=principal))


@router.post("/flags/delete", response_model=CompatFlagWritten, summary="Delete a flag")
async def delete(body: CompatName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return _answer(await direct.delete_flag(service, body.name, principal=principal))


# --- seed 002 -----------------------------------------------------------------------------------


def reads_itself(method: str, path: str) -> bool:
    """Routes here that authenticate before reading their body (the body limit lets them be)."""
    return method == "PUT" and path.startswith(SEED_ADMIN_FLAGS)


_SEED_BODY = {"$ref": f"#/components/schemas/{SeedFlagUpdate.__name__}"}


@router.put(
    SEED_ADMIN_FLAGS + "{id}",
    response_model=SeedFlagAnswer,
    summary="Change a flag, or one environment's override, in seed 002's shape",
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": _SEED_BODY}}}},
)
async def seed_update(
    id: str,
    request: Request,
    runtime: RuntimeDep,
    principal: Editor,
    environment: Annotated[
        str | None, Query(pattern=NAME_PATTERN, description="Change this environment's override.")
    ] = None,
) -> dict[str, Any]:
    """`id` is the flag's name. Only the fields given change; `?environment=` (or `environment` in the
    body) changes that environment's override instead of the flag's own configuration. Each rule
    `{field, operator, value}` enables the flag for whoever it matches (docs/compatibility.md)."""
    # The body is read only now that the token is checked, by the surface's one body reader.
    call = Call(runtime, request.method, {}, b"", [], request.receive)
    body = SeedFlagUpdate.model_validate(await call.json())
    where = one_environment(environment, body.environment)
    service = runtime.service
    # Rules serve one of this flag's variants (a variant removed meanwhile makes the write a 400).
    fields = body.vexil_fields(await service.store.get_flag(id))
    if where is None:
        given = {key: value for key, value in fields.items() if value is not None}
        edit = {"kind": "patch", "flag": id, "fields": given}
    else:
        edit = {"kind": "override", "flag": id, "environment": where, "fields": fields}
    return seed_flag(await direct.edit_directly(service, edit, principal=principal), where)
