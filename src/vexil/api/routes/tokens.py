"""API tokens: created with a role, shown once, stored hashed, revoked by name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from vexil.api.deps import Admin, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.schemas import TokenCreate, TokenCreated, TokenList, TokenOut
from vexil.core.names import NAME_PATTERN

router = APIRouter(tags=["tokens"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])


@router.get("/tokens", response_model=TokenList, summary="List tokens (never their secrets)")
async def list_tokens(service: ServiceDep, _: Admin) -> dict[str, Any]:
    return {"tokens": await service.store.list_tokens()}


@router.post(
    "/tokens", response_model=TokenCreated, status_code=201, summary="Create a token; the secret is shown once"
)
async def create_token(body: TokenCreate, service: ServiceDep, principal: Admin) -> dict[str, Any]:
    token, secret = await service.create_token(body.name, body.role, actor=principal.name, environment=body.environment)
    return {**token, "token": secret}


@router.delete("/tokens/{name}", response_model=TokenOut, summary="Revoke a token")
async def revoke_token(
    name: Annotated[str, Path(pattern=NAME_PATTERN)], service: ServiceDep, principal: Admin
) -> dict[str, Any]:
    return await service.revoke_token(name, actor=principal.name)
