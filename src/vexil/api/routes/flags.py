"""Flag management: list, create, read, update, delete, toggle, overrides and app scopes.

Updates, toggles, overrides and app scopes go through `FlagService.submit`: one that touches a
protected environment, by someone who may not bypass it, answers 202 with the change request that
holds it (docs/change-requests.md). Creating, deleting, archiving and restoring a flag cannot wait in
a change request: where they touch a protected environment, only an admin makes them
(`core/direct_writes.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from vexil.api.deps import Editor, Reader, RuntimeDep, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.routes.change_requests import REQUESTED, answered
from vexil.api.schemas import (
    AppInput,
    CleanupOut,
    FlagCreate,
    FlagList,
    FlagOut,
    FlagUpdate,
    OverrideInput,
    StaleOut,
)
from vexil.core import direct_writes as direct
from vexil.core.lifecycle import cleanup, last_seen_of, stale_signals, stale_summary
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
    counts = await service.store.code_ref_counts()
    references = None if counts is None else counts.get(name, 0)
    last_seen = last_seen_of(await runtime.usage.overview())
    return stale_summary(doc, service.clock(), last_seen=last_seen, references=references)


@router.get(
    "/cleanup",
    response_model=CleanupOut,
    summary="The flags ready to remove and those potentially stale, with their signals (server token)",
    description="Flags that are not archived and have at least one stale signal: those that no uploaded "
    "scan names are ready to remove, the others potentially stale (docs/lifecycle.md).",
)
async def cleanup_list(service: ServiceDep, runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    docs = [doc for doc in await service.store.list_flags() if not doc["archived"]]
    last_seen = last_seen_of(await runtime.usage.overview())
    references = await service.store.code_ref_counts()
    return cleanup(docs, service.clock(), last_seen=last_seen, references=references)


@router.post("/flags/{name}/archive", response_model=FlagOut, summary="Archive a flag (kept, but not served)")
async def archive_flag(name: FlagName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await direct.set_archived(service, name, True, principal=principal)


@router.post("/flags/{name}/restore", response_model=FlagOut, summary="Restore an archived flag")
async def restore_flag(name: FlagName, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await direct.set_archived(service, name, False, principal=principal)


@router.post("/flags", response_model=FlagOut, status_code=201, summary="Create a flag")
async def create_flag(body: FlagCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await direct.create_flag(service, body.model_dump(), principal=principal)


@router.get("/flags/{name}", response_model=FlagOut, summary="Read a flag with its environments and apps")
async def get_flag(name: FlagName, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return readable(await service.store.get_flag(name))  # type: ignore[no-any-return]


@router.patch(
    "/flags/{name}",
    response_model=FlagOut,
    responses=REQUESTED,
    summary="Update a flag (only the fields given), or request the change where its environments are protected",
)
async def update_flag(
    name: FlagName,
    body: FlagUpdate,
    service: ServiceDep,
    principal: Editor,
    if_match: Annotated[str | None, Header(description="Expected version, as from ETag.")] = None,
) -> Any:
    fields = body.given()
    expected = fields.pop("version", None)
    if if_match is not None and if_match.strip('W/"').isdigit():
        expected = int(if_match.strip('W/"'))
    edit = {"kind": "patch", "flag": name, "fields": fields}
    return answered(*await service.submit(edit, principal=principal, expected_version=expected))


@router.delete("/flags/{name}", status_code=204, summary="Delete a flag, its overrides and scopes")
async def delete_flag(name: FlagName, service: ServiceDep, principal: Editor) -> Response:
    await direct.delete_flag(service, name, principal=principal)
    return Response(status_code=204)


@router.post(
    "/flags/{name}/toggle",
    response_model=FlagOut,
    responses=REQUESTED,
    summary="Flip enabled (or one environment's)",
)
async def toggle_flag(
    name: FlagName, service: ServiceDep, principal: Editor, environment: EnvironmentQuery = None
) -> Any:
    edit = {"kind": "toggle", "flag": name, "environment": environment}
    return answered(*await service.submit(edit, principal=principal))


@router.post(
    "/flags/{name}/environments", response_model=FlagOut, responses=REQUESTED, summary="Set an environment override"
)
async def set_override(name: FlagName, body: OverrideInput, service: ServiceDep, principal: Editor) -> Any:
    fields = body.given()
    edit = {"kind": "override", "flag": name, "environment": fields.pop("environment"), "fields": fields}
    # The seed-compatible route: an environment not yet known is created (docs/environments.md).
    return answered(*await service.submit(edit, principal=principal, new_environments=True))


@router.delete(
    "/flags/{name}/environments/{environment}",
    response_model=FlagOut,
    responses=REQUESTED,
    summary="Remove an environment override",
)
async def delete_override(
    name: FlagName,
    environment: Annotated[str, Path(pattern=NAME_PATTERN)],
    service: ServiceDep,
    principal: Editor,
) -> Any:
    edit = {"kind": "remove_override", "flag": name, "environment": environment}
    return answered(*await service.submit(edit, principal=principal))


@router.post("/flags/{name}/apps", response_model=FlagOut, responses=REQUESTED, summary="Scope a flag to an app")
async def add_app(name: FlagName, body: AppInput, service: ServiceDep, principal: Editor) -> Any:
    edit = {"kind": "add_app", "flag": name, "app": body.app_name}
    return answered(*await service.submit(edit, principal=principal))


@router.delete("/flags/{name}/apps/{app}", response_model=FlagOut, responses=REQUESTED, summary="Remove an app scope")
async def remove_app(
    name: FlagName, app: Annotated[str, Path(pattern=NAME_PATTERN)], service: ServiceDep, principal: Editor
) -> Any:
    edit = {"kind": "remove_app", "flag": name, "app": app}
    return answered(*await service.submit(edit, principal=principal))
