"""`GET /sdks`: the connected SDKs, the apps and SDK instances that told Vexil about themselves
(`core/sdks.py`, docs/unleash-frontend.md "Connected SDKs")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vexil.api.deps import Reader, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES

router = APIRouter(tags=["sdk"], responses=ERROR_RESPONSES)


class ReportedFlagCountsOut(BaseModel):
    """What an SDK instance reported of one flag (Unleash metrics)."""

    yes: int = Field(description="Times the flag was asked and on.")
    no: int = Field(description="Times the flag was asked and off.")
    variants: dict[str, int] = Field(description="Times each variant was shown.")
    last_seen: str = Field(description="When a report last counted the flag.")


class SdkInstanceOut(BaseModel):
    app: str
    instance: str = Field(description="The instance id the SDK gave (`default` without one; `browser` for browsers).")
    environment: str | None = Field(description="The token's environment, else the one the SDK named.")
    kind: Literal["server", "frontend"] = Field(description="`frontend`: it asks the frontend API.")
    sdk: str | None = Field(description="The SDK's name, such as `unleash-node-sdk`.")
    sdk_version: str | None
    first_seen: str
    last_seen: str
    flags: int = Field(description="How many of this server's flags its metrics counted.")
    usage: dict[str, ReportedFlagCountsOut] | None = Field(None, description="With `?usage=true`: the counts, by flag.")


class SdkInstancesOut(BaseModel):
    sdks: list[SdkInstanceOut]


@router.get(
    "/sdks",
    response_model=SdkInstancesOut,
    response_model_exclude_unset=True,
    summary="Connected SDKs: the apps and SDK instances using this server (server token)",
    description="Every instance that registered or posted metrics in the last 7 days, by app, environment "
    "and instance, with first and last seen; this replica's latest reports are saved first.",
)
async def list_sdks(
    runtime: RuntimeDep,
    _: Reader,
    usage: Annotated[bool, Query(description="Add each instance's counts by flag.")] = False,
) -> dict[str, Any]:
    return {"sdks": await runtime.sdks.instances(usage=usage)}
