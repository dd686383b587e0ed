"""Segments: reusable condition lists referenced by `in_segment`. A change of a segment's conditions
that a flag evaluates in a protected environment is an admin's (`core/direct_writes.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from vexil.api.deps import Editor, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.schemas import SegmentCreate, SegmentList, SegmentOut, SegmentUpdate
from vexil.core import direct_writes as direct
from vexil.core.names import NAME_PATTERN
from vexil.core.values import readable

router = APIRouter(tags=["segments"], responses=ERROR_RESPONSES)

SegmentName = Annotated[str, Path(pattern=NAME_PATTERN)]


@router.get("/segments", response_model=SegmentList, summary="List segments")
async def list_segments(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return {"segments": [readable(doc) for doc in await service.store.list_segments()]}


@router.post("/segments", response_model=SegmentOut, status_code=201, summary="Create a segment")
async def create_segment(body: SegmentCreate, service: ServiceDep, principal: Editor) -> dict[str, Any]:
    return await service.create_segment(body.model_dump(), actor=principal.name)


@router.get("/segments/{name}", response_model=SegmentOut, summary="Read a segment")
async def get_segment(name: SegmentName, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return readable(await service.store.get_segment(name))  # type: ignore[no-any-return]


@router.patch("/segments/{name}", response_model=SegmentOut, summary="Update a segment")
async def update_segment(
    name: SegmentName, body: SegmentUpdate, service: ServiceDep, principal: Editor
) -> dict[str, Any]:
    fields = {k: v for k, v in body.given().items() if v is not None}
    expected = fields.pop("version", None)
    return await direct.update_segment(service, name, fields, principal=principal, expected_version=expected)


@router.delete("/segments/{name}", status_code=204, summary="Delete a segment (409 while a flag uses it)")
async def delete_segment(name: SegmentName, service: ServiceDep, principal: Editor) -> Response:
    await service.delete_segment(name, actor=principal.name)
    return Response(status_code=204)
