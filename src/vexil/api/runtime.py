"""What a running app holds, typed: built by the app factory's lifespan (`api/app.py`), read by
every route and by the raw ASGI layer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vexil.api.answers import AnswerCache
from vexil.bus import Replicator
from vexil.config import Settings
from vexil.core.deliverer import Deliverer
from vexil.core.people import People
from vexil.core.recent import RecentContexts
from vexil.core.scheduler import Scheduler
from vexil.core.sdks import SdkRegistry
from vexil.core.service import FlagService
from vexil.core.sessions import Sessions
from vexil.core.sso import Sso
from vexil.core.streams import Streams
from vexil.core.usage import Usage


@dataclass(slots=True)
class Runtime:
    settings: Settings
    service: FlagService
    streams: Streams
    replicator: Replicator
    answers: AnswerCache
    sdks: SdkRegistry
    usage: Usage
    sessions: Sessions
    people: People
    counters: Counter[str] = field(default_factory=Counter)
    # The contexts recently evaluated, for the impact preview (`core/recent.py`).
    recent: RecentContexts = field(default_factory=RecentContexts)
    # Single sign-on's provider (`core/sso.py`); None when not configured.
    sso: Sso | None = None
    # The executor of scheduled changes and release plans (`core/scheduler.py`).
    scheduler: Scheduler | None = None
    # The webhooks' deliverer (`core/deliverer.py`); None only in apps built without one.
    webhooks: Deliverer | None = None


class RuntimeSlot:
    """Where the lifespan puts the runtime; the ASGI layers hold the slot from the start."""

    __slots__ = ("runtime",)

    def __init__(self) -> None:
        self.runtime: Runtime | None = None

    def get(self) -> Runtime:
        runtime = self.runtime
        assert runtime is not None, "the app's lifespan has not started"
        return runtime
