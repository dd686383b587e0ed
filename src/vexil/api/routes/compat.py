"""Compatibility writes of smaller flag services, so their clients can switch unchanged:
seed 001's `POST /flags/create|toggle|set|delete`. (`/flags/check` and `/api/evaluate` are
evaluation endpoints: `api/surface.py`.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from vexil.api.deps import Admin, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.schemas import CompatCreate, CompatFlagWritten, CompatName, CompatSet

router = APIRouter(tags=["compatibility"], responses=ERROR_RESPONSES)


def _answer(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "enabled": doc["enabled"],
        "description": doc["description"],
        "updated_at": doc["updated_at"],
    }


# --- seed 001 -----------------------------------------------------------------------------------


@router.post("/flags/create", response_model=CompatFlagWritten, status_code=201, summary="Create a boolean flag")
async def create(body: CompatCreate, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.create_flag(body.model_dump(), actor=principal.name))


@router.post("/flags/toggle", response_model=CompatFlagWritten, summary="Flip a flag's kill switch")
async def toggle(body: CompatName, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.toggle(body.name, actor=principal.name))


@router.post("/flags/set", response_model=CompatFlagWritten, summary="Set a flag's kill switch")
async def set_enabled(body: CompatSet, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.set_enabled(body.name, body.enabled, actor=principal.name))


@router.post("/flags/delete", response_model=CompatFlagWritten, summary="Delete a flag")
async def delete(body: CompatName, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.delete_flag(body.name, actor=principal.name))
