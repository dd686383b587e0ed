"""The executor of scheduled changes and release plans (docs/schedules.md): a background task that
every `interval` seconds applies what is due, on every replica at once.

Exactly once across replicas is the store's doing (`SqlStore.apply_due` claims an item with
`FOR UPDATE SKIP LOCKED`, or SQLite's single writer, in the transaction that applies it and marks
it done); running everywhere means no replica is special, and any one left running applies
everything. It runs once as soon as it starts, so that what fell due while every replica was down
applies at the next start, its audit event saying how late (`late_seconds`). Time comes from
`clock`, so tests move it without waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from vexil.core.flushing import cancel
from vexil.core.service import FlagService
from vexil.store import StoreError

log = logging.getLogger("vexil.schedules")

Clock = Callable[[], datetime]
# The most items one run applies before letting the next run go on (a backlog after an outage).
BATCH = 100


class Scheduler:
    """Applies due scheduled changes and plan steps every `interval` seconds until `stop()`."""

    def __init__(self, service: FlagService, *, interval: float = 5.0, clock: Clock | None = None) -> None:
        self.service = service
        self.interval = interval
        self.clock: Clock = clock if clock is not None else (lambda: service.clock())
        self._task: asyncio.Task[None] | None = None

    async def run_due(self) -> list[dict[str, Any]]:
        """Apply everything due now, earliest first; the items finished (applied or failed)."""
        now = self.clock()
        finished = []
        for _ in range(BATCH):
            item = await self.service.apply_due(now)
            if item is None:
                break
            finished.append(item)
        finished += await self.service.apply_held(now)
        for item in finished:
            log.info("schedule %s %s (%s s late): %s", item["id"], item["state"], item["late_seconds"], item["title"])
        return finished

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="vexil-schedules")

    async def _run(self) -> None:
        while True:
            try:
                await self.run_due()
            except StoreError as exc:
                log.warning("scheduled changes not applied yet (the next run tries again): %s", exc)
            except Exception:
                log.exception("scheduled changes: the run failed")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
