"""The impact preview: `POST /flags/{name}/impact` and `POST /segments/{name}/impact` answer how many
of the contexts this server recently evaluated a proposed change would flip, without making it
(`core/impact.py`, docs/impact.md). Counts only, and only for callers who may make the change."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends

from vexil.api.deps import Editor, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.routes.flags import FlagName
from vexil.api.routes.segments import SegmentName
from vexil.api.schemas import FlagImpactInput, ImpactOut, SegmentUpdate
from vexil.core.impact import Proposal, impact

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

# Fields of a flag document that Vexil sets: a document sent as it was read may hold them.
IGNORED = ("name", "created_at", "updated_at", "archived", "version")


@router.post("/flags/{name}/impact", response_model=ImpactOut, summary="How many recent contexts a change would flip")
async def flag_impact(name: FlagName, body: FlagImpactInput, runtime: RuntimeDep, _: Editor) -> dict[str, Any]:
    fields = {key: value for key, value in body.given().items() if key not in (*IGNORED, "overrides")}
    overrides = {env: None if override is None else override.given() for env, override in body.overrides.items()}
    service = runtime.service
    proposed = await service.proposed_flag(name, fields, overrides)
    return await _counted(runtime, Proposal(flags={name: None if proposed["archived"] else proposed}))


@router.post(
    "/segments/{name}/impact",
    response_model=ImpactOut,
    tags=["segments"],
    summary="How many recent contexts a segment change would flip",
)
async def segment_impact(name: SegmentName, body: SegmentUpdate, runtime: RuntimeDep, _: Editor) -> dict[str, Any]:
    fields = {k: v for k, v in body.given().items() if v is not None and k != "version"}
    proposed = await runtime.service.proposed_segment(name, fields)
    return await _counted(runtime, Proposal(segments={name: proposed}))


async def _counted(runtime: Any, proposal: Proposal) -> dict[str, Any]:
    """`impact` over the sample, in a worker thread (10,000 contexts take a few tens of milliseconds)."""
    sample = runtime.recent.contexts()
    return await asyncio.to_thread(impact, runtime.service.snapshot, proposal, sample)


def change_request_preview(runtime: Any) -> Any:
    """The impact preview of a change request (`FlagService.impact`): its proposed flags counted
    over this server's recent contexts, as `POST /flags/{name}/impact` counts one flag's."""

    async def preview(request: dict[str, Any], proposed: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
        flags = {name: after for name, (_, after) in proposed.items() if after is not None}
        return await _counted(runtime, Proposal(flags=flags))

    return preview
