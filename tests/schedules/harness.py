"""What the schedule tests run on: apps whose clock the test moves (no sleeping for hours)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN, ADMIN_TOKEN, ok
from vexil.api.app import create_app
from vexil.api.runtime import Runtime
from vexil.config import Settings

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    """Now, as the test says: `clock.move(hours=2)`."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Replica:
    """One running app on a shared database, with an admin client."""

    def __init__(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.http = http

    async def call(self, method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return ok(await self.http.request(method, url, json=body, headers=headers or ADMIN))

    async def run_due(self) -> list[dict[str, Any]]:
        assert self.runtime.scheduler is not None
        return await self.runtime.scheduler.run_due()


@asynccontextmanager
async def replica(settings: Settings, clock: Clock) -> AsyncIterator[Replica]:
    app = create_app(settings, clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as http:
            yield Replica(app.runtime, http)


def settings_for(database_url: str | None, data_dir: Any, *, interval: float = 3600.0) -> Settings:
    """Settings of a replica; `interval`: seconds between the executor's own runs (by default, none
    but the one at start during a test: the test runs it)."""
    return Settings(data_dir=data_dir, database_url=database_url, admin_token=ADMIN_TOKEN, schedule_seconds=interval)
