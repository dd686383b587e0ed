"""`GET /operators`: the condition operators, as the engine defines them (`engine.OPERATOR_SPECS`).

Public, like `/health`: it is the engine's vocabulary, not anyone's data. The admin UI builds its
condition editor from it, so the operators and what each takes are written down once, in the engine.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from vexil.api.schemas import OperatorList
from vexil.engine import OPERATOR_SPECS

router = APIRouter(tags=["meta"])

OPERATORS_DOCUMENT: dict[str, Any] = {
    "operators": [
        {
            "name": name.value,
            "description": spec.description,
            "value": spec.takes.value,
            "reads": spec.reads.value if spec.reads is not None else None,
            "or_list": spec.or_list,
        }
        for name, spec in OPERATOR_SPECS.items()
    ]
}


@router.get("/operators", response_model=OperatorList, summary="The condition operators and the values they take")
async def operators(response: Response) -> dict[str, Any]:
    """For each operator: its name, what it does, what value it takes (`none`, `single`, `list`,
    `segment`) and, for a value, what it is read as (`scalar`, `text`, `number`, `semver`, `instant`,
    `cidr`, `regex`). No token needed. A condition whose value its operator cannot read
    is refused with 400 by every write (flags, overrides, segments, import)."""
    response.headers["cache-control"] = "public, max-age=3600"
    return OPERATORS_DOCUMENT
