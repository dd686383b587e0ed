"""The Unleash client API: `GET /api/client/features`, the feed Unleash's server SDKs evaluate locally,
and `GET /flags/{name}/unleash`, which says per environment whether a flag is in that feed and why not.

The feed is Vexil's flags translated by `vexil.unleash.features` (docs/unleash.md) for the token's
environment (a bound token's; an unbound token gets each flag's own configuration) and for the
client's `Unleash-Client-Spec` level. It is built once per change of the configuration (the hub's
sequence number), environment and level, and answered from memory with an `ETag` (304 when the
client has it). The flags left out are named, with their reasons, in the `Vexil-Left-Out` header.

Unleash SDKs send their token as a bare `Authorization: <token>`, which Vexil accepts; they need a
server (or admin) token here, as for Vexil's own server-SDK feed.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Any

import orjson

from vexil.api.deps import authenticate
from vexil.api.surface import Answer, Call, Endpoint, Reply, etag_of, etagged
from vexil.core.auth import Principal, Role
from vexil.core.service import FlagService
from vexil.engine import Snapshot
from vexil.store.errors import NotFound
from vexil.unleash.features import CURRENT, Dialect, translate

# The header that names the flags left out, and the most of it sent (the rest: `GET /flags/{name}/unleash`).
LEFT_OUT_HEADER = "Vexil-Left-Out"
LEFT_OUT_COUNT_HEADER = "Vexil-Left-Out-Count"
LEFT_OUT_MAX_BYTES = 4096
# Feeds kept at once per server: environments times client levels.
_CACHED_FEEDS = 64
# Builds in a worker thread that a change may overtake before one is built in the event loop.
_BUILD_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class BuiltFeed:
    """One feed as served: its body, ETag and headers, and the flags left out with their reasons."""

    seq: int
    body: bytes
    etag: str
    headers: dict[str, str]
    left_out: dict[str, str]


def left_out_header(left_out: dict[str, str]) -> str:
    """`name: reason; name: reason`, in ASCII, cut at `LEFT_OUT_MAX_BYTES` with how many more there are."""
    parts: list[str] = []
    size = 0
    for index, (name, reason) in enumerate(sorted(left_out.items())):
        part = f"{name}: {reason}".replace(";", ",").encode("ascii", "backslashreplace").decode("ascii")
        if size + len(part) + 2 > LEFT_OUT_MAX_BYTES - 80:
            parts.append(f"... {len(left_out) - index} more: GET /flags/{{name}}/unleash says why")
            break
        parts.append(part)
        size += len(part) + 2
    return "; ".join(parts)


class UnleashFeeds:
    """The feeds of one service, built on demand and kept until the next change.

    Translating 1,000 flags takes tens of milliseconds, which would hold every evaluation of the
    event loop: a feed is built in a worker thread, once however many requests wait for it, from
    the flag names and segments taken in the loop. A build that a change overtook is made again,
    so a feed never mixes two configurations."""

    def __init__(self, service: FlagService) -> None:
        self.service = service
        self._feeds: dict[tuple[str | None, Dialect], BuiltFeed] = {}
        self._building: dict[tuple[str | None, Dialect], asyncio.Future[BuiltFeed]] = {}

    async def get(self, environment: str | None, dialect: Dialect) -> BuiltFeed:
        key = (environment, dialect)
        for _ in range(_BUILD_ATTEMPTS):
            seq = self.service.hub.seq
            cached = self._feeds.get(key)
            if cached is not None and cached.seq == seq:
                return cached
            building = self._building.get(key)
            if building is None:
                building = asyncio.ensure_future(self._build(seq, environment, dialect))
                self._building[key] = building
                building.add_done_callback(lambda _: self._building.pop(key, None))
            built = await asyncio.shield(building)
            if built.seq == self.service.hub.seq:
                self._keep(key, built)
                return built
        # Changes keep overtaking the builds: build in the loop, where nothing can change meanwhile.
        built = self._translate(self.service.hub.seq, environment, dialect, *self._taken())
        self._keep(key, built)
        return built

    def _taken(self) -> tuple[Snapshot, list[dict[str, Any]], list[str]]:
        """What a build reads, taken in the event loop: the snapshot, the segments, the flag names."""
        snapshot = self.service.snapshot
        return snapshot, self.service.segments, snapshot.names()

    async def _build(self, seq: int, environment: str | None, dialect: Dialect) -> BuiltFeed:
        return await asyncio.to_thread(self._translate, seq, environment, dialect, *self._taken())

    @staticmethod
    def _translate(
        seq: int,
        environment: str | None,
        dialect: Dialect,
        snapshot: Snapshot,
        segments: list[dict[str, Any]],
        names: list[str],
    ) -> BuiltFeed:
        feed = translate(snapshot, segments, environment, dialect, names)
        document: dict[str, Any] = {"version": 2, "features": feed.features}
        if feed.segments is not None:
            document["segments"] = feed.segments
        body = orjson.dumps(document)
        etag = "W/" + etag_of(body)
        headers = {LEFT_OUT_COUNT_HEADER: str(len(feed.left_out))}
        if feed.left_out:
            headers[LEFT_OUT_HEADER] = left_out_header(feed.left_out)
        return BuiltFeed(seq, body, etag, headers, feed.left_out)

    def _keep(self, key: tuple[str | None, Dialect], built: BuiltFeed) -> None:
        if len(self._feeds) >= _CACHED_FEEDS:
            self._feeds.clear()
        self._feeds[key] = built


_FEEDS: weakref.WeakKeyDictionary[FlagService, UnleashFeeds] = weakref.WeakKeyDictionary()


def feeds_of(service: FlagService) -> UnleashFeeds:
    feeds = _FEEDS.get(service)
    if feeds is None:
        feeds = _FEEDS[service] = UnleashFeeds(service)
    return feeds


def _reader(call: Call) -> Principal:
    """A server or admin token (401 without one, 403 for a client token), checked before anything else."""
    return call.runtime.service.tokens.require(call.token(), Role.SERVER)


async def client_features(call: Call) -> Answer:
    principal = _reader(call)
    dialect = Dialect.of(call.header(b"unleash-client-spec"))
    feed = await feeds_of(call.runtime.service).get(principal.environment, dialect)
    return etagged(call, feed.body, feed.etag, feed.headers)


async def flag_unleash(call: Call) -> Answer:
    """Whether the flag is in the Unleash feed of each environment (and of unbound tokens), and why not.
    A management read the admin UI makes: a person's session is accepted too (`api/deps.authenticate`)."""
    principal = await authenticate(call.runtime, call.headers, "GET", Role.SERVER)
    name = call.params["name"]
    service = call.runtime.service
    doc = service.snapshot.get_doc(name)
    if doc is None:
        raise NotFound(f"flag {name!r} not found")
    if principal.environment is not None:
        environments: list[str | None] = [principal.environment]
    else:
        known = {environment["name"] for environment in await service.store.list_environments()}
        environments = [None, *sorted(known | set(doc.get("environments") or {}))]
    feeds = feeds_of(service)
    answer = []
    for environment in environments:
        reason = (await feeds.get(environment, CURRENT)).left_out.get(name)
        answer.append({"environment": environment, "served": reason is None, "reason": reason})
    return Reply(orjson.dumps({"flag": name, "environments": answer}))


_FEATURES_OK: dict[str, Any] = {
    "description": "Every flag Unleash SDKs can evaluate exactly, as an Unleash feature (docs/unleash.md), with an "
    "`ETag` (304 when `If-None-Match` names it). `Vexil-Left-Out` names the flags left out and why; "
    "`Vexil-Left-Out-Count` counts them.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["version", "features"],
                "properties": {
                    "version": {"type": "integer"},
                    "features": {"type": "array", "items": {"type": "object"}},
                    "segments": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}
_FLAG_UNLEASH_OK: dict[str, Any] = {
    "description": "For each environment (`null`: tokens bound to none, which get the flag's own configuration), "
    "whether the flag is served to Unleash SDKs, and if not, why.",
    "content": {
        "application/json": {
            "example": {
                "flag": "new_checkout",
                "environments": [
                    {"environment": None, "served": True, "reason": None},
                    {
                        "environment": "production",
                        "served": False,
                        "reason": "rule 2 uses `matches`, which Unleash SDKs before client specification 6.0 cannot "
                        "evaluate, and later ones use other regex dialects",
                    },
                ],
            }
        }
    },
}

UNLEASH_CLIENT: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/api/client/features",
        client_features,
        "Unleash client API: the features for Unleash server SDKs (server token)",
        tags=("unleash",),
        description="The token's environment (a bound token's), or each flag's own configuration for an unbound "
        "token. `Unleash-Client-Spec` says what the client can evaluate: global `segments` from 4.2.0 "
        "(inlined before), strategy variants from 4.3.0, dependencies from 4.5.0.",
        ok=_FEATURES_OK,
        token=Role.SERVER,
        errors=(401, 403),
    ),
    Endpoint(
        "GET",
        "/flags/{name}/unleash",
        flag_unleash,
        "Whether Unleash SDKs get this flag, per environment (server token)",
        tags=("unleash",),
        ok=_FLAG_UNLEASH_OK,
        token=Role.SERVER,
        sessions=True,
        errors=(401, 403, 404),
    ),
)
