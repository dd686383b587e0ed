"""What is recorded in memory on the request path and written to the store in batches (the
connected SDKs, flag usage) flushes the same way: every `interval` seconds in a background task,
once more when stopped, and a flush that fails keeps its batch for the next one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from vexil.store import StoreError

log = logging.getLogger("vexil.flush")


async def cancel(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task (if any) and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class PeriodicFlush(ABC):
    """A base for recorders: `start()` flushes every `flush_interval()` seconds until `stop()`,
    which flushes what is left. `what` names the records in the log."""

    what = "records"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def flush(self) -> int:
        """Write the batch; how many records. On a store error the batch is kept, the error raised."""

    @abstractmethod
    def flush_interval(self) -> float:
        """Seconds between flushes."""

    @abstractmethod
    def pending(self) -> int:
        """How many records wait for the next flush."""

    def start(self) -> None:
        """Flush every `flush_interval()` seconds, until `stop()`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"vexil-flush-{self.what}")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval())
            try:
                await self.flush()
            except StoreError as exc:
                log.warning("%s not saved yet (kept for the next try): %s", self.what, exc)
            except Exception:
                log.exception("%s: the flush failed", self.what)

    async def stop(self) -> None:
        """Stop flushing, and flush what is left (lost, with a warning, if the store is down)."""
        await cancel(self._task)
        self._task = None
        try:
            await self.flush()
        except StoreError as exc:
            log.warning("%s: %d not saved at shutdown: %s", self.what, self.pending(), exc)
