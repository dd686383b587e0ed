"""Request bodies: who may send how much, read within that limit, and read as strict JSON.

Every body is authenticated before a byte of it is held (a token, or a session cookie and its CSRF
header: `api/deps.authenticate`). The raw layer's handlers (`api/surface.py`) check the caller
first and then read within the caller's limit; for the FastAPI routes, `BodyLimit` does the same
from a table built once from the routes themselves (`api/deps.needed_role`): it answers 401 or 403
before reading, then reads within the route's limit. A route that needs no token takes the small
limit of anonymous callers; only `POST /import`, an admin route, takes the large one. A body is
never buffered past its limit (413, as soon as the `Content-Length` or the bytes received pass it),
and every body is read as JSON whatever its Content-Type says (`curl -d '{...}'` sends a form type
by default).

Strict JSON (docs/spec.md §3): what one surface stores, every other must be able to encode, and
PostgreSQL and SQLite must take or refuse the same input. So a body is refused (400) when it is not
JSON by RFC 8259 (orjson's reading: no NaN or Infinity, no lone surrogate, valid UTF-8), holds a
NUL character in a string or key, is nested deeper than `MAX_DEPTH`, or holds an integer outside
the signed 64-bit range. The checks beyond orjson's own run only when a cheap scan of the raw
bytes says they may be needed, so that a small evaluation body costs one parse and a few scans.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vexil.api.deps import authenticate
from vexil.api.errors import BadRequest, describe
from vexil.api.runtime import RuntimeSlot
from vexil.core.auth import AuthError, Role
from vexil.core.values import MAX_DEPTH as STORED_MAX_DEPTH

MAX_DEPTH = STORED_MAX_DEPTH  # what the core stores (core/values.py)
INT_MIN, INT_MAX = -(2**63), 2**63 - 1

NOT_JSON = "the body is not valid JSON"
NOT_A_NUMBER = "the body is not valid JSON: NaN and Infinity are not JSON numbers (send a number or null)"
LONE_SURROGATE = "the body is not valid JSON: a string holds a lone surrogate such as \\udfff (send valid Unicode text)"
NUL_CHARACTER = "the body holds a NUL character (\\u0000) in a string or key, which cannot be stored: remove it"
TOO_DEEP = f"the body is nested more than {MAX_DEPTH} levels deep"
BIG_INTEGER = f"the body holds an integer outside the 64-bit range ({INT_MIN} to {INT_MAX})"

# An integer literal of 19 digits or more may be out of range (orjson reads those past 64 bits as
# floats, silently); `\u0000` may be a NUL; more than MAX_DEPTH brackets may nest too deep.
_LONG_NUMBER = re.compile(rb"\d{19}")
_NUL_ESCAPE = b"\\u0000"


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


def too_large(limit: int) -> BadRequest:
    return BadRequest(f"the body is over {limit} bytes, the most this endpoint takes from this caller", 413)


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """`raw` read as strict JSON (the module's rules), or BadRequest with the rule it breaks."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(_why_not_json(raw)) from exc
    return check_parsed(raw, value)


def check_parsed(raw: bytes, value: Any, *, surrogates: bool = False) -> Any:
    """`value`, parsed from `raw` by a reader other than orjson, checked against the module's rules
    beyond what any JSON reader checks; `surrogates`: also look for lone surrogates (which orjson
    refuses while reading, and Python's `json` does not)."""
    nul = _NUL_ESCAPE in raw
    if nul or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _walk(value, 1, nul)
    if _LONG_NUMBER.search(raw) is not None:  # after the walk: within MAX_DEPTH, json's recursion is safe
        _check_integers(raw)
    if surrogates and b"\\u" in raw.replace(b"\\\\", b"") and _has_lone_surrogate(value, 1):
        raise BadRequest(LONE_SURROGATE)
    return value


def why_not_json(raw: bytes) -> BadRequest:
    """The 400 for a body that is not strict JSON, saying which rule it breaks."""
    return BadRequest(_why_not_json(raw))


def _why_not_json(raw: bytes) -> str:
    """Which rule a body that orjson refused breaks, in words (only on the way to a 400)."""

    def constant(name: str) -> Any:
        raise BadRequest(NOT_A_NUMBER)

    def number(text: str) -> float:
        value = float(text)
        if math.isinf(value):
            raise BadRequest(NOT_A_NUMBER)
        return value

    try:
        value = json.loads(raw, parse_constant=constant, parse_float=number)
    except BadRequest as exc:
        return str(exc)
    except RecursionError:  # orjson stops at 1024 levels
        return TOO_DEEP
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return NOT_JSON
    return LONE_SURROGATE if _has_lone_surrogate(value, 1) else NOT_JSON


def _has_lone_surrogate(value: Any, depth: int) -> bool:
    if value.__class__ is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if depth > MAX_DEPTH:
        return False
    if value.__class__ is dict:
        return any(_has_lone_surrogate(k, depth) or _has_lone_surrogate(v, depth + 1) for k, v in value.items())
    if value.__class__ is list:
        return any(_has_lone_surrogate(item, depth + 1) for item in value)
    return False


def _check_integers(raw: bytes) -> None:
    def integer(text: str) -> int:
        value = int(text)
        if not INT_MIN <= value <= INT_MAX:
            raise BadRequest(BIG_INTEGER)
        return value

    json.loads(raw, parse_int=integer)


def _walk(value: Any, depth: int, nul: bool) -> None:
    """Nesting within MAX_DEPTH and, when `nul`, no NUL in any string or key."""
    if value.__class__ is dict:
        if nul and any("\0" in key for key in value):
            raise BadRequest(NUL_CHARACTER)
        children: Iterable[Any] = value.values()
    elif value.__class__ is list:
        children = value
    else:
        if nul and value.__class__ is str and "\0" in value:
            raise BadRequest(NUL_CHARACTER)
        return
    if depth > MAX_DEPTH:
        raise BadRequest(TOO_DEEP)
    for child in children:
        if child.__class__ is dict or child.__class__ is list or (nul and child.__class__ is str):
            _walk(child, depth + 1, nul)


def declared_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    """The request's `Content-Length`, when it gives one that is a number."""
    for key, value in headers:
        if key == b"content-length":
            return int(value) if value.isdigit() else None
    return None


@dataclass(frozen=True, slots=True)
class Guard:
    """What a FastAPI route needs before its body is read: a role (None: none) and a size limit."""

    route: BaseRoute
    role: Role | None
    limit: int
    # The route parses and checks its body itself, off the event loop (`POST /import`: megabytes
    # that one parse here would hold the loop for a quarter of a second).
    parses_itself: bool = False


class BodyLimit:
    """Authenticates, then buffers each request body within its route's limit, then checks it is
    strict JSON, before the wrapped FastAPI app sees it (see the module's documentation)."""

    def __init__(self, app: ASGIApp, slot: RuntimeSlot, guards: Sequence[Guard]) -> None:
        self.app = app
        self.slot = slot
        self.guards = guards

    def guard(self, scope: Scope) -> Guard | None:
        for guard in self.guards:
            if guard.route.matches(scope)[0] is Match.FULL:
                return guard
        return None

    async def read(self, guard: Guard, scope: Scope, receive: Receive) -> bytes:
        """The body, once the caller is known to have the route's role and it is within the limit."""
        headers, method = scope["headers"], scope["method"]
        if guard.role is not None:
            await authenticate(self.slot.get(), headers, method, guard.role)
        declared = declared_length(headers)
        if declared is not None and declared > guard.limit:
            raise too_large(guard.limit)
        try:
            body = await read_body(receive, guard.limit)
        except BodyTooLarge as exc:
            raise too_large(guard.limit) from exc
        if body and not guard.parses_itself:
            parse_json(body)
        return body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        guard = self.guard(scope)
        if guard is None:  # no route (404, 405) or one that reads its own body: the app never reads it here
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        try:
            body = await self.read(guard, scope, receive)
        except (AuthError, BadRequest) as exc:
            await send_error(send, exc, cors=any(key == b"origin" for key, _ in headers))
            return
        except ClientGone:
            return
        delivered = False
        headers = [(k, v) for k, v in headers if k != b"content-type"]
        scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def error_body(exc: Exception) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """Status, JSON body and extra headers of an error (as `api/errors.py` describes it)."""
    status, message, extra = describe(exc)
    headers = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in (extra or {}).items()]
    return status, orjson.dumps({"error": message}), headers


async def send_error(send: Send, exc: Exception, *, cors: bool) -> None:
    status, body, extra = error_body(exc)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), *extra]
    if cors:
        headers.append((b"access-control-allow-origin", b"*"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
