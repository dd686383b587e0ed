"""Environments as first-class objects: what deleting one takes, deleting it, comparing two and
promoting one's configuration to another (docs/environments.md). Listing, creating, renaming,
ordering and protecting them are in `admin.py` (`PATCH /environments/{name}`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AliasChoices, BaseModel, Field

from vexil.api.deps import Admin, Editor, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.inputs import Input, Name
from vexil.api.params import plain_parameters
from vexil.api.routes.change_requests import REQUESTED, answered
from vexil.core.environments import check_deletable, compare_environments, promote
from vexil.core.names import NAME_PATTERN

router = APIRouter(tags=["admin"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

EnvironmentName = Annotated[str, Path(pattern=NAME_PATTERN, description="The environment's name.")]


class EnvironmentUsage(BaseModel):
    name: str
    protected: bool
    flags: list[str] = Field(description="The flags with an override there: deleting it deletes those overrides.")
    tokens: list[str] = Field(description="The tokens bound to it (revoke them before deleting it).")


class Difference(BaseModel):
    path: str
    from_: Any = Field(alias="from")
    to: Any


class FlagDifferences(BaseModel):
    flag: str
    differences: list[Difference]


class Comparison(BaseModel):
    from_: str = Field(alias="from")
    to: str
    flags: list[FlagDifferences] = Field(description="Only the flags that evaluate differently; empty: equal.")


class PromoteInput(Input):
    from_: Name = Field(
        validation_alias=AliasChoices("from"), description="The environment whose configuration is copied."
    )
    to: Name = Field(description="The environment it is copied to.")
    flags: list[Name] | None = Field(
        default=None, max_length=10_000, description="The flags to promote; absent: every flag not archived."
    )


class Promoted(BaseModel):
    from_: str = Field(alias="from")
    to: str
    flags: list[str] = Field(description="The flags written (those that already evaluated alike are left alone).")


@router.get(
    "/environments/compare",
    response_model=Comparison,
    response_model_by_alias=True,
    summary="What differs, flag by flag, between two environments",
)
async def compare(
    service: ServiceDep,
    _: Reader,
    from_: Annotated[str, Query(alias="from", pattern=NAME_PATTERN, description="One environment.")],
    to: Annotated[str, Query(pattern=NAME_PATTERN, description="The other.")],
) -> dict[str, Any]:
    return await compare_environments(service, from_, to)


@router.post(
    "/environments/promote",
    response_model=Promoted,
    response_model_by_alias=True,
    responses=REQUESTED,
    summary="Copy flags' configuration from one environment to another, atomically (a change request if protected)",
)
async def promote_environment(body: PromoteInput, service: ServiceDep, principal: Editor) -> Any:
    """One transaction, one audit event per flag written, all or nothing. Where `to` is protected and
    the caller may not bypass it, nothing changes: 202 with the one change request holding it all."""
    return answered(*await promote(service, body.from_, body.to, body.flags, principal=principal))


@router.get(
    "/environments/{name}/usage",
    response_model=EnvironmentUsage,
    summary="What deleting an environment would take with it",
)
async def environment_usage(name: EnvironmentName, service: ServiceDep, _: Reader) -> dict[str, Any]:
    return await service.store.environment_usage(name)


@router.delete(
    "/environments/{name}",
    status_code=204,
    summary="Delete an environment with its overrides (confirm=<its name>)",
)
async def delete_environment(
    name: EnvironmentName,
    service: ServiceDep,
    principal: Admin,
    confirm: Annotated[
        str | None, Query(max_length=200, description="The environment's name again: deleting it is confirmed.")
    ] = None,
) -> Response:
    """Refused while it is protected (unprotect it first) or tokens are bound to it, and unless
    `confirm` names it (the 400 names the flags whose overrides would go; so does `/usage`)."""
    await service.delete_environment(
        name, actor=principal.name, may_delete=lambda usage: check_deletable(usage, confirm)
    )
    return Response(status_code=204)
