"""The cyclic garbage collector around loading and compiling many documents: paused while they are
built, and what they built moved out of its young generation (`FlagService.load`, an import)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived() -> Iterator[None]:
    """Move what the block built out of the young generation of the cyclic collector, unscanned.

    With the collector paused, everything an import builds (a million objects for 10,000 flags)
    waits in the young generation, and the first collection after it would scan it all while
    every request waits (over half a second). At the end of the block, whether it succeeded or
    not, every tracked object is frozen (`gc.freeze()`): where the process keeps its long-lived
    objects frozen (`vexil serve`), they stay so; elsewhere they are unfrozen into the oldest
    generation at once, as if they had survived collections. Objects die as usual when no longer
    referenced (a replaced snapshot is no reference cycle); what a frozen process leaks is the
    cyclic garbage made by other requests while the collector was paused.
    """
    try:
        yield
    finally:
        frozen = gc.get_freeze_count() > 0
        gc.freeze()
        if not frozen:
            gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading builds many long-lived objects and no garbage cycles: without the cyclic collector
    scanning them over and over, loading 1,000 flags takes a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
