"""The flag page's playground: `POST /flags/{name}/explain` answers what a context gets and why (the
deciding rule, and a note when the context names an environment that does not exist).

It is a management read, authenticated as the admin UI's other reads are (`api/deps.authenticate`:
a server token and up, or a signed-in person, whose session must send its CSRF token with a POST).
The evaluation endpoints (`POST /flags/{name}/evaluate`) read tokens only, never sessions, so with
`VEXIL_REQUIRE_CLIENT_TOKEN` a signed-in person could not use them; and a person is not traffic:
what the playground evaluates is not counted in usage nor offered to the impact sample.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from vexil.api import context as contexts
from vexil.api.deps import Reader, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.routes.flags import FlagName
from vexil.api.schemas import EvaluationContext, ExplainedOut
from vexil.core.environments import explained

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])


@router.post(
    "/flags/{name}/explain",
    response_model=ExplainedOut,
    summary="What a context gets and why, for the playground of people and server tokens (changes nothing)",
)
async def explain(name: FlagName, body: EvaluationContext, runtime: RuntimeDep, principal: Reader) -> dict[str, Any]:
    context = contexts.from_body(body.model_dump(exclude_none=True))
    if principal.environment is not None:  # a server token bound to an environment evaluates there
        context["environment"] = principal.environment_for(context.get("environment"))
    result = runtime.service.snapshot.evaluate(name, context)
    return await explained(runtime.service, result, context.get("environment"))
