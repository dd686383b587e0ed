"""Flag usage (`core/usage.py`, docs/usage.md): how often a flag was evaluated, by whom and where,
and, for the flags list, each flag's last week and last evaluation. Server token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from vexil.api.deps import Reader, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.schemas import FlagUsageOut, UsageOverviewOut
from vexil.store import NotFound

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES)

DEFAULT_SPAN = timedelta(days=7)
OVERVIEW_DAYS = 7


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
    counted = await runtime.usage.overview(OVERVIEW_DAYS, daily=True)  # flushes this replica's counts first
    never = {"total": 0, "last_seen": None, "daily": [0] * OVERVIEW_DAYS}
    return {"flags": {flag: counted.get(flag, never) for flag in runtime.service.snapshot.names()}}
