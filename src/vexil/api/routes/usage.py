"""Flag usage (`core/usage.py`, docs/usage.md): how often a flag was evaluated, by whom and where,
and, for the flags list, each flag's last week and last evaluation. Server token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vexil.api.deps import Reader, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.store import NotFound

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES)

DEFAULT_SPAN = timedelta(days=7)
OVERVIEW_DAYS = 7


class UsagePoint(BaseModel):
    at: str = Field(description="The start of the hour (or day) counted.")
    count: int


class FlagUsageOut(BaseModel):
    flag: str
    total: int = Field(description="Evaluations counted between `since` and `until`.")
    by_variant: dict[str, int] = Field(description="Per variant served ('' when none is known).")
    by_environment: dict[str, int] = Field(description="Per environment ('' when the caller named none).")
    by_app: dict[str, int] = Field(description="Per app ('' when the caller named none).")
    by_source: dict[str, int] = Field(
        description="Per surface: `server`, `bulk`, `compat`, `ofrep`, `frontend`, `sdk`."
    )
    last_seen: str | None = Field(description="The last evaluation counted in the range, if any.")
    period: str = Field(description="`hour` for ranges up to two days, else `day`: the series' step.")
    series: list[UsagePoint] = Field(description="Counts per period that has any, oldest first.")


class UsageSummaryOut(BaseModel):
    total: int = Field(description="Evaluations counted in the last 7 days.")
    last_seen: str | None = Field(description="The last evaluation ever counted (within a year).")
    daily: list[int] = Field(description="Evaluations on each of the last 7 days, oldest first, today last.")


class UsageOverviewOut(BaseModel):
    flags: dict[str, UsageSummaryOut] = Field(description="Every flag this server has, by name.")


@router.get(
    "/flags/{name}/usage",
    response_model=FlagUsageOut,
    summary="How often a flag was evaluated (server token)",
    description="Counts from every surface and from SDKs' metrics, this replica's latest included. "
    "`since` defaults to 7 days before `until`, `until` to now.",
)
async def flag_usage(
    name: str,
    runtime: RuntimeDep,
    _: Reader,
    since: Annotated[datetime | None, Query(description="ISO 8601; counts at or after.")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; counts before.")] = None,
    environment: Annotated[str | None, Query(description="Only this environment.")] = None,
    app: Annotated[str | None, Query(description="Only this app.")] = None,
) -> dict[str, Any]:
    if name not in runtime.service.snapshot:
        raise NotFound(f"flag {name!r} not found")
    until = until or runtime.usage.now()
    since = since or until - DEFAULT_SPAN
    return await runtime.usage.of_flag(name, since=since, until=until, environment=environment, app=app)


@router.get(
    "/usage",
    response_model=UsageOverviewOut,
    summary="Every flag's usage in the last 7 days and last evaluation (server token)",
)
async def usage_overview(runtime: RuntimeDep, _: Reader) -> dict[str, Any]:
    counted = await runtime.usage.overview(OVERVIEW_DAYS)  # flushes this replica's counts first
    daily = await runtime.service.store.usage_daily(until=runtime.usage.now(), days=OVERVIEW_DAYS)
    none = {"total": 0, "last_seen": None}
    never = [0] * OVERVIEW_DAYS
    return {
        "flags": {
            flag: {**counted.get(flag, none), "daily": daily.get(flag, never)}
            for flag in runtime.service.snapshot.names()
        }
    }
