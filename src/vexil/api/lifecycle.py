"""How the process runs while it serves: the garbage collector's tuning, and signals.

These are process-wide, so the app factory applies them once the app has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


def tune_gc() -> None:
    """Keep the cyclic garbage collector from pausing every open stream.

    A full collection scans every tracked object and stops the event loop meanwhile: 100 ms and
    more with what startup builds, plus about 50 objects per open stream. So, once started,
    startup's objects, which live as long as the process, are frozen out of its sight. And a
    stream allocates a future each time it waits for its next event: with the default
    young-generation threshold (700 allocations) the collections that run during one fan-out
    promote the futures of the streams not yet woken, and every few changes these promotions
    trigger a full collection over all streams. Collecting the young generation every 100,000
    allocations instead lets them die young.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(100_000, older, oldest)


def on_shutdown_signal(callback: Callable[[], None]) -> Callable[[], None]:
    """Also call `callback` (in the event loop) on SIGTERM/SIGINT; returns the undo function.

    uvicorn waits for open responses to finish before it runs the lifespan shutdown, so a stream
    that only ends at lifespan shutdown would hold the process for the whole graceful timeout.
    Python-level handlers already installed (uvicorn's) are chained, never replaced; without one
    (the default action) nothing is installed, so that the signal keeps its default effect.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: dict[int, Any] = {}

    def chain(previous: Callable[[int, FrameType | None], Any]) -> Callable[[int, FrameType | None], Any]:
        def handler(signum: int, frame: FrameType | None) -> Any:
            with contextlib.suppress(RuntimeError):  # that loop is closed: no stream left to end
                loop.call_soon_threadsafe(callback)
            return previous(signum, frame)

        return handler

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if callable(previous):
            handler = chain(previous)
            signal.signal(sig, handler)
            installed[sig] = (handler, previous)

    def undo() -> None:
        for sig, (handler, previous) in installed.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)

    return undo
