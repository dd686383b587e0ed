"""What travels on the change bus, and what a bus must do.

A message names what one committed write changed; a replica that receives it reloads exactly that
from the database (the message is a hint, the database is the truth, so a lost, duplicated or
reordered message can only delay a change, never corrupt the snapshot):

    {"v": 1, "origin": "<replica id>", "flags": {"<name>": [<version>, "<updated_at>"] | null},
     "segments": false, "tokens": false, "all": false}

`flags` maps each changed flag to the version and `updated_at` it was committed with (null: deleted);
a replica already holding that exact version skips the reload. `all` (an import, or a message too
big for PostgreSQL's 8000-byte NOTIFY payload) asks for a full resync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

__all__ = ["BusUnavailable", "ChangeBus", "Message", "Stamp", "decode", "encode"]

# (version, updated_at): which committed state of a flag a message speaks of.
Stamp = tuple[int, str]
FORMAT = 1
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; keep every bus under that.
MAX_PAYLOAD = 7900


class BusUnavailable(Exception):
    """The bus cannot publish right now; the periodic version check will carry the change."""


@dataclass(frozen=True, slots=True)
class Message:
    origin: str
    flags: Mapping[str, Stamp | None] = field(default_factory=dict)
    segments: bool = False
    tokens: bool = False
    everything: bool = False


def encode(message: Message) -> bytes:
    """The JSON payload; a message over `MAX_PAYLOAD` becomes "resync everything"."""
    body: dict[str, Any] = {
        "v": FORMAT,
        "origin": message.origin,
        "flags": {name: None if stamp is None else list(stamp) for name, stamp in message.flags.items()},
        "segments": message.segments,
        "tokens": message.tokens,
        "all": message.everything,
    }
    payload = orjson.dumps(body)
    if len(payload) > MAX_PAYLOAD:
        body.update(flags={}, all=True)
        payload = orjson.dumps(body)
    return payload


def decode(payload: bytes | str) -> Message:
    """A message from its payload; `ValueError` for anything else (another program on the channel)."""
    try:
        body = orjson.loads(payload)
        if not isinstance(body, dict) or body.get("v") != FORMAT or not isinstance(body.get("origin"), str):
            raise ValueError("not a vexil change message")
        flags: dict[str, Stamp | None] = {}
        for name, stamp in body.get("flags", {}).items():
            flags[str(name)] = None if stamp is None else (int(stamp[0]), str(stamp[1]))
        return Message(
            origin=body["origin"],
            flags=flags,
            segments=bool(body.get("segments")),
            tokens=bool(body.get("tokens")),
            everything=bool(body.get("all")),
        )
    except (orjson.JSONDecodeError, AttributeError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"malformed change message: {exc}") from exc


Deliver = Callable[[bytes], None]
Connected = Callable[[], None]


class ChangeBus(Protocol):
    """Fan-out of change messages between replicas: at most once, best effort.

    `start()` returns at once and connects in the background, reconnecting for as long as the bus
    runs; `connected()` is called each time the subscription is (again) in place: messages sent
    before that were missed. `deliver(payload)` is called in the event loop for every message, the
    publisher's own included.
    """

    name: str

    async def start(self, deliver: Deliver, connected: Connected) -> None: ...

    async def publish(self, payload: bytes) -> None:
        """Send one message; `BusUnavailable` when the bus is down."""

    async def close(self) -> None: ...

    @property
    def status(self) -> str:
        """`ok`, or `unavailable: <why>`."""
