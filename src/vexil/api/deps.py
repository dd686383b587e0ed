"""Request dependencies of the FastAPI routes: the runtime, the service and the caller's principal,
as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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


def _require(role: Role) -> object:
    def dependency(request: Request, service: ServiceDep) -> Principal:
        return service.tokens.require(token_from_headers(request.scope["headers"]), role)

    return Depends(dependency)


Admin = Annotated[Principal, _require(Role.ADMIN)]
AnyToken = Annotated[Principal, _require(Role.CLIENT)]
Reader = Annotated[Principal, _require(Role.SERVER)]
