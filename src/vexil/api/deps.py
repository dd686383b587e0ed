"""Request dependencies: the service and the caller's principal, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vexil.api.auth import Principal, Role, token_from_headers
from vexil.api.service import FlagService


def get_service(request: Request) -> FlagService:
    service: FlagService = request.app.state.service
    return service


ServiceDep = Annotated[FlagService, Depends(get_service)]


def _require(role: Role) -> object:
    def dependency(request: Request, service: ServiceDep) -> Principal:
        return service.tokens.require(token_from_headers(request.headers), role)

    return Depends(dependency)


def optional_principal(request: Request, service: ServiceDep) -> Principal | None:
    """Evaluation is open unless the operator requires a client token."""
    secret = token_from_headers(request.headers)
    if request.app.state.settings.require_client_token:
        return service.tokens.require(secret, Role.CLIENT)
    return service.tokens.authenticate(secret)


Admin = Annotated[Principal, _require(Role.ADMIN)]
AnyToken = Annotated[Principal, _require(Role.CLIENT)]
Reader = Annotated[Principal, _require(Role.SERVER)]
Caller = Annotated[Principal | None, Depends(optional_principal)]
