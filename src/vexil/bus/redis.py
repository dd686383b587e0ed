"""The change bus over Redis pub/sub (`--redis-url`).

One channel per Redis database number, `vexil:changes:<db>`, so installations sharing a Redis
server stay apart by using different database numbers in their URLs. Pub/sub delivers at most once
and only to subscribers connected at that moment: a replica that was disconnected resyncs when it
is back (`connected`), and the periodic version check catches anything else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from vexil.bus.base import BusUnavailable, Connected, Deliver

__all__ = ["RedisBus"]

log = logging.getLogger("vexil.bus")

CONNECT_TIMEOUT_S = 1.0
# An idle subscription pings this often, and is dropped when nothing came back for 3 periods:
# a Redis that vanished without closing the connection (a network cut) is noticed in seconds.
PING_INTERVAL_S = 5.0
MAX_BACKOFF_S = 5.0


class RedisBus:
    """Publish and subscribe on one Redis channel; reconnects with backoff.

    >>> bus = RedisBus("redis://cache:6379/0")
    >>> await bus.start(deliver=print, connected=lambda: None)
    >>> await bus.publish(b"...")
    """

    name = "redis"

    def __init__(self, url: str, *, ping_interval: float = PING_INTERVAL_S) -> None:
        # A publish is retried once, at once, on a new connection (the pooled one may have died
        # with an earlier Redis); then it fails and the version check carries the change. The
        # subscriber never reconnects inside redis-py: its own loop does, and resyncs.
        options: dict[str, Any] = {"socket_connect_timeout": CONNECT_TIMEOUT_S, "socket_timeout": CONNECT_TIMEOUT_S}
        self._publisher = Redis.from_url(url, retry=Retry(NoBackoff(), 1), **options)
        self._subscriber = Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        self.channel = f"vexil:changes:{self._publisher.connection_pool.connection_kwargs.get('db', 0)}"
        self._ping_interval = ping_interval
        self._error: str | None = "connecting"
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        return "ok" if self._error is None else f"unavailable: {self._error}"

    async def start(self, deliver: Deliver, connected: Connected) -> None:
        self._task = asyncio.create_task(self._subscribe(deliver, connected), name="vexil-redis-bus")

    async def publish(self, payload: bytes) -> None:
        try:
            await self._publisher.publish(self.channel, payload)
        except (RedisError, OSError) as exc:
            raise BusUnavailable(f"redis: {exc}") from exc

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._publisher.aclose()
        await self._subscriber.aclose()

    async def _subscribe(self, deliver: Deliver, connected: Connected) -> None:
        backoff = 0.1
        attempts = 0
        while True:
            attempts += 1
            pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if self._error is not None and attempts > 1:
                    log.info("change bus: redis is back on %s", self.channel)
                self._error = None
                backoff = 0.1
                connected()
                await self._listen(pubsub, deliver)
            except (RedisError, OSError) as exc:
                if self._error is None or self._error == "connecting":
                    log.warning("change bus: redis unavailable (%s); relying on the version check", exc)
                self._error = str(exc) or exc.__class__.__name__
            finally:
                await _quietly_close(pubsub)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen(self, pubsub: PubSub, deliver: Deliver) -> None:
        heard = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=self._ping_interval)
            now = time.monotonic()
            if message is not None:
                heard = now
                if message["type"] == "message":
                    deliver(message["data"])
            elif now - heard > 3 * self._ping_interval:
                raise ConnectionError(f"no answer from redis for {now - heard:.0f}s")
            else:
                await pubsub.ping()


async def _quietly_close(pubsub: PubSub) -> None:
    try:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    except (RedisError, OSError) as exc:
        log.debug("closing a dead redis subscription: %s", exc)
