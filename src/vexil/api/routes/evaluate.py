"""Evaluation endpoints. In a running server the fast path (`api/fastpath.py`) answers these
paths before FastAPI routing; these routes document them and give the same answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from vexil.api import evaluation
from vexil.api.auth import Role
from vexil.api.deps import Caller, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.evaluation import json_response
from vexil.api.schemas import BulkEvaluationInput, BulkEvaluationOut, EvaluationContext, EvaluationOut

router = APIRouter(tags=["evaluation"], responses=ERROR_RESPONSES)

FlagName = Annotated[str, Path(description="The flag's name (an unknown one answers reason flag_not_found).")]


@router.get(
    "/flags/{name}/evaluate",
    responses={200: {"model": EvaluationOut}},
    summary="Evaluate one flag",
    description="Query: `identifier`, `environment`, `app`; every other parameter is an attribute.",
)
async def evaluate_get(name: FlagName, request: Request, service: ServiceDep, caller: Caller) -> Response:
    context = evaluation.context_from_pairs(request.query_params.multi_items())
    admin = caller is not None and caller.can(Role.SERVER)
    return json_response(evaluation.single(service.snapshot, name, context, admin=admin))


@router.post(
    "/flags/{name}/evaluate", responses={200: {"model": EvaluationOut}}, summary="Evaluate one flag for a JSON context"
)
async def evaluate_post(name: FlagName, body: EvaluationContext, service: ServiceDep, caller: Caller) -> Response:
    context = evaluation.context_from_body(body.model_dump(exclude_none=True))
    admin = caller is not None and caller.can(Role.SERVER)
    return json_response(evaluation.single(service.snapshot, name, context, admin=admin))


@router.post(
    "/evaluate", responses={200: {"model": BulkEvaluationOut}}, summary="Evaluate every flag (or `flags`) for a context"
)
async def evaluate_bulk(body: BulkEvaluationInput, service: ServiceDep, _: Caller) -> Response:
    fields = body.model_dump(exclude_none=True)
    names = fields.pop("flags", None)
    return json_response(evaluation.bulk(service.snapshot, evaluation.context_from_body(fields), names))
