"""Scheduled changes and release plans (docs/schedules.md): schedule edits for a time, list and
cancel them; make a release plan of a flag's steps, list, pause, resume and cancel it. The
executor that applies them is `core/scheduler.py`.

Reading needs a server or admin token; everything else the role that writes flags (an editor's
scheduled change in a protected environment is held by a change request, `FlagService.create_schedule`;
a release plan whose pending steps touch one is an admin's to make, pause, resume and cancel,
`core/direct_writes.move_plan`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from vexil.api.deps import Editor, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.routes.change_requests import edit_of
from vexil.api.schemas import PlanCreate, PlanList, PlanOut, ScheduleCreate, ScheduleList, ScheduleOut
from vexil.core.direct_writes import move_plan

router = APIRouter(tags=["schedules"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

Id = Annotated[int, Path(ge=1, le=2**62, description="The schedule's or plan's id.")]
FlagQuery = Annotated[str | None, Query(min_length=1, max_length=200, description="Only those that change this flag.")]


def _changes(flag: str | None, item: dict[str, Any]) -> bool:
    return flag is None or any(change["flag"] == flag for change in item["changes"])


@router.get("/schedules", response_model=ScheduleList, summary="List scheduled changes, soonest first")
async def list_schedules(service: ServiceDep, _: Reader, flag: FlagQuery = None) -> dict[str, Any]:
    return {"schedules": [item for item in await service.store.list_schedules() if _changes(flag, item)]}


@router.post("/schedules", response_model=ScheduleOut, status_code=201, summary="Schedule changes for a time")
async def create_schedule(body: ScheduleCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    changes = [edit_of(change) for change in body.changes]
    return await service.create_schedule(body.at, changes, title=body.title, principal=principal)


@router.get("/schedules/{id}", response_model=ScheduleOut, summary="Read a scheduled change")
async def get_schedule(id: Id, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return await service.store.get_schedule(id)


@router.delete("/schedules/{id}", response_model=ScheduleOut, summary="Cancel a pending scheduled change")
async def cancel_schedule(id: Id, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.store.cancel_schedule(id, actor=principal.name, now=service.clock())


@router.get("/release-plans", response_model=PlanList, summary="List release plans, newest first")
async def list_plans(service: ServiceDep, _: Reader, flag: FlagQuery = None) -> dict[str, Any]:
    return {"release_plans": [p for p in await service.store.list_plans() if flag is None or p["flag"] == flag]}


@router.post("/release-plans", response_model=PlanOut, status_code=201, summary="Make a release plan of a flag")
async def create_plan(body: PlanCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    steps = [
        {**step.model_dump(exclude={"edit"}), "edit": None if step.edit is None else edit_of(step.edit)}
        for step in body.steps
    ]
    return await service.create_plan(body.flag, body.environment, steps, title=body.title, principal=principal)


@router.get("/release-plans/{id}", response_model=PlanOut, summary="Read a release plan with its steps")
async def get_plan(id: Id, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return await service.store.get_plan(id)


@router.post("/release-plans/{id}/pause", response_model=PlanOut, summary="Pause a release plan: its steps wait")
async def pause_plan(id: Id, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await move_plan(service, id, "paused", principal=principal)


@router.post(
    "/release-plans/{id}/resume",
    response_model=PlanOut,
    summary="Resume a paused release plan: steps due meanwhile apply at once, in order",
)
async def resume_plan(id: Id, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await move_plan(service, id, "active", principal=principal)


@router.delete("/release-plans/{id}", response_model=PlanOut, summary="Cancel a release plan and its pending steps")
async def cancel_plan(id: Id, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await move_plan(service, id, "cancelled", principal=principal)
