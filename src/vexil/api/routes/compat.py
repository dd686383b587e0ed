"""Compatibility surfaces of smaller flag services, so their clients can switch unchanged:
`POST /flags/check|create|toggle|set|delete` and `POST /api/evaluate`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from vexil.api import evaluation
from vexil.api.deps import Admin, Caller, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.evaluation import json_response
from vexil.api.schemas import CompatCheck, CompatEvaluateInput, CompatEvaluateOut, CompatFlagOut, CompatName, CompatSet

router = APIRouter(tags=["compatibility"], responses=ERROR_RESPONSES)


def _answer(doc: dict[str, Any]) -> dict[str, Any]:
    return {"name": doc["name"], "enabled": doc["enabled"], "description": doc["description"]}


@router.post("/flags/check", responses={200: {"model": CompatFlagOut}}, summary="Is this flag on for this context?")
async def check(body: CompatCheck, service: ServiceDep, _: Caller) -> Response:
    context = evaluation.context_from_body(body.model_dump(exclude_none=True), skip=("name",))
    answer = evaluation.compat_check(service.snapshot, body.name, context)
    if answer is None:
        return json_response({"error": f"flag {body.name!r} not found"}, 404)
    return json_response(answer)


@router.post("/flags/create", response_model=CompatFlagOut, status_code=201, summary="Create a boolean flag")
async def create(body: CompatSet | CompatName, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    fields = {"name": body.name, "enabled": getattr(body, "enabled", False)}
    return _answer(await service.create_flag(fields, actor=principal.name))


@router.post("/flags/toggle", response_model=CompatFlagOut, summary="Flip a flag's kill switch")
async def toggle(body: CompatName, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.toggle(body.name, actor=principal.name))


@router.post("/flags/set", response_model=CompatFlagOut, summary="Set a flag's kill switch")
async def set_enabled(body: CompatSet, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.set_enabled(body.name, body.enabled, actor=principal.name))


@router.post("/flags/delete", response_model=CompatFlagOut, summary="Delete a flag")
async def delete(body: CompatName, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    return _answer(await service.delete_flag(body.name, actor=principal.name))


@router.post("/api/evaluate", responses={200: {"model": CompatEvaluateOut}}, summary="Evaluate every flag for a user")
async def evaluate_all(body: CompatEvaluateInput, service: ServiceDep, _: Caller) -> Response:
    return json_response(evaluation.compat_evaluate(service.snapshot, body.model_dump(exclude_none=True)))
