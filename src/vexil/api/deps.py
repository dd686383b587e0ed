"""Request dependencies of the FastAPI routes: the runtime, the service and the caller's principal,
as `Annotated` aliases. `needed_role(route)` reads which role a route's dependencies require, so
that the body limit (`api/limits.py`) can check the token before it reads a body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from vexil.api.credentials import token_from_headers
from vexil.api.runtime import Runtime
from vexil.core.auth import Principal, Role
from vexil.core.service import FlagService


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_service(runtime: RuntimeDep) -> FlagService:
    return runtime.service


ServiceDep = Annotated[FlagService, Depends(get_service)]


class RoleCheck:
    """The dependency that requires a token of `role` (or above) and gives its principal."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, request: Request, service: ServiceDep) -> Principal:
        return service.tokens.require(token_from_headers(request.scope["headers"]), self.role)


Admin = Annotated[Principal, Depends(RoleCheck(Role.ADMIN))]
AnyToken = Annotated[Principal, Depends(RoleCheck(Role.CLIENT))]
Reader = Annotated[Principal, Depends(RoleCheck(Role.SERVER))]

_RANK = (Role.CLIENT, Role.SERVER, Role.ADMIN)


def needed_role(route: BaseRoute) -> Role | None:
    """The highest role that `route`'s dependencies require; None for a route open to anyone."""
    dependant: Dependant | None = getattr(route, "dependant", None)
    roles: list[Role] = []
    stack = [dependant] if dependant is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current.call, RoleCheck):
            roles.append(current.call.role)
        stack.extend(current.dependencies)
    return max(roles, key=_RANK.index) if roles else None
