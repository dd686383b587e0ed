"""Flag usage: one flag's counts over a range, and every flag's last week (docs/usage.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class UsagePoint(BaseModel):
    at: str = Field(description="The start of the hour (or day) counted.")
    count: int
    by_environment: dict[str, int] = Field(
        description="The period's count per environment ('' when the caller named none)."
    )
    by_variant: dict[str, int] = Field(description="The period's count per variant served ('' when none is known).")


class FlagUsageOut(BaseModel):
    flag: str
    total: int = Field(description="Evaluations counted between `since` and `until`.")
    by_variant: dict[str, int] = Field(description="Per variant served ('' when none is known).")
    by_environment: dict[str, int] = Field(description="Per environment ('' when the caller named none).")
    by_app: dict[str, int] = Field(description="Per app ('' when the caller named none).")
    by_source: dict[str, int] = Field(
        description="Per surface: `server`, `bulk`, `compat`, `ofrep`, `frontend`, `stream`, `sdk`, `client`."
    )
    last_seen: str | None = Field(description="The last evaluation counted in the range, if any.")
    period: str = Field(description="`hour` for ranges up to two days, else `day`: the series' step.")
    series: list[UsagePoint] = Field(
        description="Counts per period that has any, oldest first, each split by environment and by variant."
    )


class UsageSummaryOut(BaseModel):
    total: int = Field(description="Evaluations counted in the last 7 days.")
    last_seen: str | None = Field(description="The last evaluation ever counted (within a year).")
    daily: list[int] = Field(description="Evaluations on each of the last 7 days, oldest first, today last.")


class UsageOverviewOut(BaseModel):
    flags: dict[str, UsageSummaryOut] = Field(description="Every flag this server has, by name.")
