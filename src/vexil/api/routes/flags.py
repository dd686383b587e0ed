"""Flag management: list, create, read, update, delete, toggle, overrides and app scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from vexil.api.deps import Editor, Reader, RuntimeDep, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.schemas import (
    AppInput,
    FlagCreate,
    FlagList,
    FlagOut,
    FlagUpdate,
    OverrideInput,
    StaleOut,
)
from vexil.core.lifecycle import last_seen_of, stale_signals, stale_summary
from vexil.core.names import NAME_PATTERN
from vexil.core.values import readable

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

FlagName = Annotated[str, Path(pattern=NAME_PATTERN, description="The flag's name.")]
EnvironmentQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="Act on this environment's override.")]


def _matches(
    doc: dict[str, Any],
    *,
    enabled: bool | None,
    app: str | None,
    environment: str | None,
    tag: str | None,
    q: str | None,
) -> bool:
    if app is not None and doc["apps"] and app not in doc["apps"]:
        return False
    if tag is not None and tag not in doc["tags"]:
        return False
    if q is not None and q.lower() not in f"{doc['name']} {doc['description']}".lower():
        return False
    if enabled is not None:
        override = doc["environments"].get(environment or "", {})
        if override.get("enabled", doc["enabled"]) is not enabled:
            return False
    return True


@dataclass
class Filters:
    """More of the list's filters: by tag and text, and the lifecycle's (docs/lifecycle.md)."""

    tag: str | None = None
    q: Annotated[str | None, Query(description="Substring of the name or description.")] = None
    archived: Annotated[bool, Query(description="List the archived flags instead of the others.")] = False
    stale: Annotated[bool | None, Query(description="Only flags with (true) or without (false) a stale signal.")] = None


@router.get("/flags", response_model=FlagList, summary="List flags")
async def list_flags(
    service: ServiceDep,
    runtime: RuntimeDep,
    _: Reader,
    filters: Annotated[Filters, Depends()],
    enabled: bool | None = None,
    app: str | None = None,
    environment: str | None = None,
) -> dict[str, Any]:
    flags = [readable(doc) for doc in await service.store.list_flags() if doc["archived"] is filters.archived]
    chosen = [
        f for f in flags if _matches(f, enabled=enabled, app=app, environment=environment, tag=filters.tag, q=filters.q)
    ]
    if filters.stale is not None:
        now, last_seen = service.clock(), last_seen_of(await runtime.usage.overview())
        chosen = [f for f in chosen if bool(stale_signals(f, now, last_seen=last_seen)) is filters.stale]
    return {"flags": chosen}


@router.get("/flags/{name}/stale", response_model=StaleOut, summary="A flag's stale signals, with their evidence")
async def flag_stale(name: FlagName, service: ServiceDep, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    doc = await service.store.get_flag(name)
    scanned = bool(await service.store.list_code_refs())
    references = len(await service.store.flag_code_refs(name)) if scanned else None
    last_seen = last_seen_of(await runtime.usage.overview())
    return stale_summary(doc, service.clock(), last_seen=last_seen, references=references)


@router.post("/flags/{name}/archive", response_model=FlagOut, summary="Archive a flag (kept, but not served)")
async def archive_flag(name: FlagName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.set_archived(name, True, actor=principal.name)


@router.post("/flags/{name}/restore", response_model=FlagOut, summary="Restore an archived flag")
async def restore_flag(name: FlagName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.set_archived(name, False, actor=principal.name)


@router.post("/flags", response_model=FlagOut, status_code=201, summary="Create a flag")
async def create_flag(body: FlagCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.create_flag(body.model_dump(), actor=principal.name)


@router.get("/flags/{name}", response_model=FlagOut, summary="Read a flag with its environments and apps")
async def get_flag(name: FlagName, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return readable(await service.store.get_flag(name))  # type: ignore[no-any-return]


@router.patch("/flags/{name}", response_model=FlagOut, summary="Update a flag (only the fields given)")
async def update_flag(
    name: FlagName,
    body: FlagUpdate,
    service: ServiceDep,
    principal: Editor,
    if_match: Annotated[str | None, Header(description="Expected version, as from ETag.")] = None,
) -> dict[str, Any]:
    fields = body.given()
    expected = fields.pop("version", None)
    if if_match is not None and if_match.strip('W/"').isdigit():
        expected = int(if_match.strip('W/"'))
    return await service.patch_flag(name, fields, actor=principal.name, expected_version=expected)


@router.delete("/flags/{name}", status_code=204, summary="Delete a flag, its overrides and scopes")
async def delete_flag(name: FlagName, service: ServiceDep, principal: Editor) -> Response:
    await service.delete_flag(name, actor=principal.name)
    return Response(status_code=204)


@router.post("/flags/{name}/toggle", response_model=FlagOut, summary="Flip enabled (or one environment's)")
async def toggle_flag(
    name: FlagName, service: ServiceDep, principal: Editor, environment: EnvironmentQuery = None
) -> dict[str, Any]:
    return await service.toggle(name, actor=principal.name, environment=environment)


@router.post("/flags/{name}/environments", response_model=FlagOut, summary="Set an environment override")
async def set_override(name: FlagName, body: OverrideInput, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    fields = body.given()
    environment = fields.pop("environment")
    return await service.set_override(name, environment, fields, actor=principal.name)


@router.delete(
    "/flags/{name}/environments/{environment}", response_model=FlagOut, summary="Remove an environment override"
)
async def delete_override(
    name: FlagName,
    environment: Annotated[str, Path(pattern=NAME_PATTERN)],
    service: ServiceDep,
    principal: Editor,
) -> dict[str, Any]:
    return await service.delete_override(name, environment, actor=principal.name)


@router.post("/flags/{name}/apps", response_model=FlagOut, summary="Scope a flag to an app")
async def add_app(name: FlagName, body: AppInput, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.add_app(name, body.app_name, actor=principal.name)


@router.delete("/flags/{name}/apps/{app}", response_model=FlagOut, summary="Remove an app scope")
async def remove_app(
    name: FlagName, app: Annotated[str, Path(pattern=NAME_PATTERN)], service: ServiceDep, principal: Editor
) -> dict[str, Any]:
    return await service.remove_app(name, app, actor=principal.name)
