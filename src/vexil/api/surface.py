"""The evaluation and stream endpoints: one implementation each, in one route table.

Every endpoint here runs the same handler whichever way a request reaches it: the raw ASGI layer
(`api/fastpath.py`) answers these paths in a running server, before any framework code, and the
FastAPI routes generated from the same table (`api/routes/hot.py`) document them in OpenAPI and
answer when the app is mounted without that layer. `tests/api/test_parity.py` sends the same
requests both ways and compares status and body.

A handler takes a `Call` (the request as this layer sees it) and returns a `Reply` (a status and
JSON bytes) or an `EventStream`; it raises for errors, which `run()` maps through `api/errors.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.types import Receive

from vexil.api import context as contexts
from vexil.api import wire
from vexil.api.credentials import token_from_headers
from vexil.api.deps import authenticate
from vexil.api.errors import HANDLED, BadRequest, describe
from vexil.api.limits import BodyTooLarge, ClientGone, declared_length, parse_json, read_body, too_large
from vexil.api.runtime import Runtime
from vexil.api.schemas import (
    BulkEvaluationInput,
    BulkEvaluationOut,
    CompatCheck,
    CompatEvaluateInput,
    CompatEvaluateOut,
    CompatFlagOut,
    EvaluationContext,
    EvaluationOut,
)
from vexil.api.seeds import SEED_REASONS
from vexil.core.auth import Principal, Role
from vexil.core.environments import explained
from vexil.core.feed import matches_etag
from vexil.core.names import NAME_PATTERN, NAME_RULE, is_name
from vexil.core.streams import ClientStream, EventStream, SdkStream
from vexil.core.usage import BULK, COMPAT, SERVER, Answered

# Query parameters that steer a stream itself; every other one of GET /stream is context.
STREAM_CONTROL = frozenset({"token", "last_event_id"})


class Reply:
    """A JSON answer: status, body bytes and any headers of its own (`ETag`, say)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.body = body
        self.status = status
        self.headers = headers


Answer = Reply | EventStream


class Call:
    """One request, as the handlers read it, whichever layer received it."""

    __slots__ = ("_body", "headers", "limit", "method", "params", "query_string", "receive", "runtime")

    def __init__(
        self,
        runtime: Runtime,
        method: str,
        params: Mapping[str, str],
        query_string: bytes,
        headers: list[tuple[bytes, bytes]],
        receive: Receive,
    ) -> None:
        self.runtime = runtime
        self.method = method
        self.params = params
        self.query_string = query_string
        self.headers = headers
        self.receive = receive
        self._body: bytes | None = None
        # The most body this caller may send: `caller()` lowers it for anonymous and client callers.
        self.limit = runtime.settings.max_body_bytes

    def query(self) -> list[tuple[str, str]]:
        return contexts.query_pairs(self.query_string)

    def header(self, name: bytes) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("latin-1")
        return None

    def token(self, query_token: str | None = None) -> str | None:
        return token_from_headers(self.headers) or query_token or None

    def caller(self, query_token: str | None = None) -> Principal | None:
        """Evaluation and client streams are open unless the operator requires a client token;
        anonymous and client callers get the small body limit."""
        if self.runtime.settings.require_client_token:
            return self.holder(query_token)
        principal = self.runtime.service.tokens.authenticate(self.token(query_token))
        if principal is None or principal.role is Role.CLIENT:
            self.limit = self.runtime.settings.max_client_body_bytes
        return principal

    def holder(self, query_token: str | None = None) -> Principal:
        """The caller of a surface that always wants a token (OFREP, the Unleash frontend API): any
        role, 401 without one; client callers get the small body limit."""
        principal = self.runtime.service.tokens.require(self.token(query_token), Role.CLIENT)
        if principal.role is Role.CLIENT:
            self.limit = self.runtime.settings.max_client_body_bytes
        return principal

    @staticmethod
    def place(principal: Principal | None, context: dict[str, Any]) -> dict[str, Any]:
        """`context` in the environment of a token bound to one (403 if it names another)."""
        if principal is not None and principal.environment is not None:
            context["environment"] = principal.environment_for(context.get("environment"))
        return context

    async def body(self) -> bytes:
        """The raw body, read once, within the caller's limit (413 past it)."""
        if self._body is None:
            declared = declared_length(self.headers)
            if declared is not None and declared > self.limit:
                raise too_large(self.limit)
            try:
                self._body = await read_body(self.receive, self.limit)
            except BodyTooLarge as exc:
                raise too_large(self.limit) from exc
            except ClientGone as exc:
                raise BadRequest("the client went away before sending the whole body") from exc
        return self._body

    async def json(self) -> dict[str, Any]:
        """The body as a JSON object (whatever its Content-Type): 400 not strict JSON (`api/limits.py`),
        413 too large."""
        raw = await self.body()
        body = parse_json(raw) if raw else {}
        if body.__class__ is not dict:
            raise BadRequest("the body must be a JSON object")
        return body


Handler = Callable[[Call], Awaitable[Answer]]


async def run(handler: Handler, call: Call) -> tuple[Answer, dict[str, str] | None]:
    """The handler's answer, or the error it raised as a JSON reply (with its extra headers)."""
    try:
        return await handler(call), None
    except HANDLED as exc:
        return error_reply(exc)


ETAG_SIZE = 34


def etag_of(body: bytes) -> str:
    """An answer's ETag: a digest of its bytes, so the same answer has the same tag on every replica
    and after a restart (and an answer that did not change keeps its tag). `ETAG_SIZE` characters."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


# A script on another origin (a web SDK's page) may read the ETag only when told so (CORS).
EXPOSE_ETAG = {"Access-Control-Expose-Headers": "ETag"}


def etagged(call: Call, body: bytes, etag: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """`body` with its `ETag` (by default `etag_of(body)`), or an empty 304 when the caller's
    `If-None-Match` already names it."""
    etag = etag or etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "no-cache", **EXPOSE_ETAG, **(headers or {})}
    if matches_etag(call.header(b"if-none-match"), etag):
        return Reply(b"", 304, headers)
    return Reply(body, 200, headers)


def error_reply(exc: Exception) -> tuple[Reply, dict[str, str] | None]:
    """An error raised by a handler, as its JSON reply and extra headers (`api/errors.py`)."""
    status, message, headers = describe(exc)
    return Reply(orjson.dumps({"error": message}), status), headers


# --- evaluation -----------------------------------------------------------------------------------


async def evaluate_one(call: Call) -> Answer:
    principal = call.caller()
    runtime = call.runtime
    runtime.counters["evaluations"] += 1
    admin = principal is not None and principal.can(Role.SERVER)
    name = call.params["name"]
    request = call.query_string if call.method == "GET" else await call.body()
    key = (name, call.method, request, principal and principal.environment)
    seq = runtime.service.hub.seq
    usage = runtime.usage
    if not admin:
        kept = runtime.answers.get(key, seq)
        if kept is not None:
            usage.count_kept(key, SERVER)
            runtime.recent.seen(key)
            return Reply(kept)
    context = contexts.from_query(call.query()) if call.method == "GET" else contexts.from_body(await call.json())
    call.place(principal, context)
    result = runtime.service.snapshot.evaluate(name, context)
    usage.count_result(result, context, SERVER)
    if admin:
        runtime.recent.offer(context)
        if principal is not None and principal.can(Role.VIEWER):  # people's surfaces (the playground)
            return Reply(orjson.dumps(await explained(runtime.service, result, context.get("environment"))))
        return Reply(orjson.dumps(result.admin_dict()))
    answer = wire.client_single(result, runtime.settings.coarse_reasons)
    if "identifier" in context:
        if runtime.answers.put(key, seq, answer, len(request) + len(name)):
            usage.keep(key, Answered.of((result,), context))
        runtime.recent.offer(context, key)
    else:
        runtime.recent.offer(context)
    return Reply(answer)


def flag_names(value: Any, runtime: Runtime) -> list[str] | None:
    """`flags`: a list of flag names, or null for every flag; at most `max_listed_flags` distinct
    names, or as many as there are flags if that is more."""
    if value is None:
        return None
    if value.__class__ is not list or any(name.__class__ is not str for name in value):
        raise BadRequest("flags: use a list of flag names, or leave it out for every flag")
    most = max(runtime.settings.max_listed_flags, len(runtime.service.snapshot))
    if len(value) > most and len(set(value)) > most:
        raise BadRequest(f"flags: list at most {most} different names, or leave it out for every flag")
    return value


async def evaluate_all(call: Call) -> Answer:
    principal = call.caller()
    runtime = call.runtime
    runtime.counters["evaluations"] += 1
    request = await call.body()
    key = (request, principal and principal.environment)
    seq = runtime.service.hub.seq
    kept = runtime.answers.get(key, seq)
    if kept is not None:
        runtime.usage.count_kept(key, BULK)
        runtime.recent.seen(key)
        return Reply(kept)
    body = await call.json()
    names = flag_names(body.get("flags"), runtime)
    context = call.place(principal, contexts.from_body(body, skip=("flags",)))
    snapshot = runtime.service.snapshot
    results = snapshot.evaluate_all(context) if names is None else snapshot.evaluate_many(names, context)
    counted = Answered.of(results, context)
    runtime.usage.count_answer(counted, BULK)
    answer = wire.client_bulk(results, runtime.settings.coarse_reasons)
    if "identifier" in context:
        if runtime.answers.put(key, seq, answer, len(request)):
            runtime.usage.keep(key, counted)
        runtime.recent.offer(context, key)
    else:
        runtime.recent.offer(context)
    return Reply(answer)


async def compat_check(call: Call) -> Answer:
    """`POST /flags/check {"name", ...context}`: is this flag on for this context?"""
    principal = call.caller()
    body = await call.json()
    name = body.get("name")
    if name.__class__ is not str:
        raise BadRequest("name: give the flag's name")
    context = call.place(principal, contexts.from_body(body, skip=("name",)))
    call.runtime.counters["evaluations"] += 1
    snapshot = call.runtime.service.snapshot
    if name not in snapshot:
        return Reply(orjson.dumps({"error": f"flag {name!r} not found"}), 404)
    result = snapshot.evaluate(name, context)
    call.runtime.usage.count_result(result, context, COMPAT)
    call.runtime.recent.offer(context)
    reason = result.client_reason(call.runtime.settings.coarse_reasons)
    return Reply(
        orjson.dumps({"name": name, "enabled": result.active, "variant": result.variant, "reason": reason.value})
    )


USER_LABELS = {"identifier": "user.id", "attributes": "user.attributes"}


async def compat_evaluate(call: Call) -> Answer:
    """`POST /api/evaluate {"environment", "app", "user": {"id", "email", "country", "attributes"}}`."""
    principal = call.caller()
    body = await call.json()
    user = body.get("user")
    if user is None:
        user = {}
    elif user.__class__ is not dict:
        raise BadRequest('user: use an object such as {"id": "user-7", "email": "ann@example.com"}')
    fields = {key: value for key, value in user.items() if key not in {"id", "identifier"}}
    fields["identifier"] = user.get("id")
    for key in ("environment", "app"):
        fields[key] = body.get(key)
    context = call.place(principal, contexts.from_body(fields, labels=USER_LABELS))
    call.runtime.counters["evaluations"] += 1
    results = call.runtime.service.snapshot.evaluate_all(context)
    call.runtime.usage.count_answer(Answered.of(results, context), COMPAT)
    call.runtime.recent.offer(context)
    coarse = call.runtime.settings.coarse_reasons
    return Reply(
        orjson.dumps(
            {
                "results": [
                    {
                        "flagKey": r.flag,
                        "enabled": r.active,
                        "variant": r.variant,
                        "reason": SEED_REASONS[r.client_reason(coarse)],
                    }
                    for r in results
                ]
            }
        )
    )


# --- streams --------------------------------------------------------------------------------------


def _last_event_id(call: Call, params: Mapping[str, str]) -> str | None:
    return call.header(b"last-event-id") or params.get("last_event_id")


async def client_stream(call: Call) -> Answer:
    query = call.query()
    params = dict(query)
    principal = call.caller(params.get("token"))
    if call.method == "GET":
        context = contexts.from_query([(key, value) for key, value in query if key not in STREAM_CONTROL])
        names = None
    else:
        body = await call.json()
        names = flag_names(body.get("flags"), call.runtime)
        context = contexts.from_body(body, skip=("flags",))
    call.place(principal, context)
    streams = call.runtime.streams
    coarse = call.runtime.settings.coarse_reasons
    last_event_id = _last_event_id(call, params)
    stream = ClientStream(
        streams, context, flags=names, last_event_id=last_event_id, coarse=coarse, principal=principal
    )
    return admitted(stream, contexts.footprint(context) + contexts.footprint(stream.only))


STREAMS_FULL = "the server holds as many event streams as its memory allows (VEXIL_STREAM_MEMORY_MB): retry later"
RETRY_AFTER = "10"


def admitted(stream: EventStream, holds: int) -> EventStream:
    """`stream`, charged what it holds, if all open streams together stay within their memory (503 if not)."""
    if not stream.streams.admit(stream, holds):
        raise BadRequest(STREAMS_FULL, 503, headers={"retry-after": RETRY_AFTER})
    return stream


def checked_environment(environment: str | None) -> str | None:
    if environment is not None and not is_name(environment):
        raise BadRequest("environment: " + NAME_RULE)
    return environment


async def sdk_stream(call: Call) -> Answer:
    """The server SDKs' stream, with a token; and the admin UI's, with a person's session (a
    management read: `api/deps.authenticate`, looked up once, when the stream opens)."""
    principal = await authenticate(call.runtime, call.headers, "GET", Role.SERVER)
    params = dict(call.query())
    environment = principal.environment_for(checked_environment(params.get("environment")))
    last_event_id = _last_event_id(call, params)
    stream = SdkStream(call.runtime.streams, environment, last_event_id=last_event_id, principal=principal)
    return admitted(stream, 0)


# --- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A route of this layer and its OpenAPI documentation."""

    method: str
    path: str
    handler: Handler
    summary: str
    tags: tuple[str, ...] = ("evaluation",)
    description: str | None = None
    body: type[BaseModel] | None = None
    query: tuple[tuple[str, str, dict[str, Any]], ...] = ()  # (name, description, schema)
    ok: dict[str, Any] = field(default_factory=dict)  # the 200 response's documentation
    # Other answers' documentation by status, over the `{"error"}` ones (a surface with its own error shape).
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    stream: bool = False
    # Who may call: the least role whose token must be presented, or None when a token is optional
    # (then only `VEXIL_REQUIRE_CLIENT_TOKEN` makes one necessary). The OpenAPI security follows it.
    token: Role | None = None
    # A person's session is accepted too (management reads the admin UI makes: `api/deps.authenticate`).
    sessions: bool = False
    # The statuses of its `{"error"}` answers (`api/errors.py`'s ERROR_RESPONSES), and only those:
    # `api/routes/hot.py` documents them, and no others, for this route.
    errors: tuple[int, ...] = ()

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))


_CONTEXT_QUERY = (
    ("identifier", "Who is asking (the targeting key).", {"type": "string"}),
    ("environment", "The environment whose override applies.", {"type": "string"}),
    ("app", "The app asking (for app-scoped flags).", {"type": "string"}),
    (
        "attributes",
        "Every other parameter is an attribute of the context (`plan=pro&age=42`; an `attributes.` prefix "
        "is dropped). Values are text; operators that compare numbers or versions read them as such.",
        {"type": "object", "additionalProperties": {"type": "string"}},
    ),
)
_STREAM_QUERY = (
    ("token", "A client token, for `EventSource`, which cannot send headers.", {"type": "string"}),
    ("last_event_id", "Resume after this event (as `Last-Event-ID`).", {"type": "string"}),
)


def _json_ok(model: type[BaseModel], description: str = "The answer.") -> dict[str, Any]:
    return {"description": description, "model": model}


def _sse_ok(description: str, example: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": example}},
    }


CLIENT_EXAMPLE = (
    "retry: 2000\n\nid: 3f9a01c2-17\nevent: snapshot\ndata: "
    '{"flags": {"new_checkout": {"active": true, "variant": "on", "payload": null, "reason": "enabled"}}}\n\n'
    "id: 3f9a01c2-18\nevent: update\ndata: "
    '{"flags": {"new_checkout": {"active": false, "variant": "off", "payload": null, "reason": "disabled"}}}\n\n'
    ": ping\n\n"
)
CLIENT_STREAM_OK = _sse_ok(
    "`snapshot` first (every flag's client result), then an `update` with only the flags whose result "
    "for this context changed (`null`: deleted); `: ping` every 15 s.",
    CLIENT_EXAMPLE,
)
SDK_STREAM_OK = _sse_ok(
    "`config` first (the `/sdk/config` body) or, after a known `Last-Event-ID`, a `flags` event with "
    "everything changed since; then a `flags` event per change: the changed flag documents (`null`: deleted) "
    "and, when segments changed, the full segment list.",
    'id: 3f9a01c2-19\nevent: flags\ndata: {"flags": {"deleted_flag": null}, "segments": null}\n\n',
)

NATIVE: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/flags/{name}/evaluate",
        evaluate_one,
        "Evaluate one flag",
        description="Query: `identifier`, `environment`, `app`; every other parameter is an attribute "
        "(an `attributes.` prefix is dropped). An unknown flag answers reason `flag_not_found`.",
        query=_CONTEXT_QUERY,
        ok=_json_ok(EvaluationOut),
        errors=(400, 401, 403),
    ),
    Endpoint(
        "POST",
        "/flags/{name}/evaluate",
        evaluate_one,
        "Evaluate one flag for a JSON context",
        body=EvaluationContext,
        ok=_json_ok(EvaluationOut),
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "POST",
        "/evaluate",
        evaluate_all,
        "Evaluate every flag (or `flags`) for a context",
        body=BulkEvaluationInput,
        ok=_json_ok(BulkEvaluationOut),
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "POST",
        "/flags/check",
        compat_check,
        "Is this flag on for this context?",
        tags=("compatibility",),
        body=CompatCheck,
        ok=_json_ok(CompatFlagOut),
        errors=(400, 401, 403, 404, 413),
    ),
    Endpoint(
        "POST",
        "/api/evaluate",
        compat_evaluate,
        "Evaluate every flag for a user",
        tags=("compatibility",),
        body=CompatEvaluateInput,
        ok=_json_ok(CompatEvaluateOut),
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "GET",
        "/stream",
        client_stream,
        "Live client results for one context (Server-Sent Events)",
        description="Query: `identifier`, `environment`, `app`; every other parameter (except `token` and "
        "`last_event_id`) is an attribute, as for `GET /flags/{name}/evaluate`.",
        query=_CONTEXT_QUERY + _STREAM_QUERY,
        ok=CLIENT_STREAM_OK,
        stream=True,
        errors=(400, 401, 403, 503),
    ),
    Endpoint(
        "POST",
        "/stream",
        client_stream,
        "Live client results for a JSON context (Server-Sent Events)",
        description="The body is that of `POST /evaluate` (`flags` limits the set).",
        body=BulkEvaluationInput,
        query=_STREAM_QUERY,
        ok=CLIENT_STREAM_OK,
        stream=True,
        errors=(400, 401, 403, 413, 503),
    ),
    Endpoint(
        "GET",
        "/sdk/stream",
        sdk_stream,
        "Configuration changes for SDKs (Server-Sent Events, server token)",
        tags=("sdk",),
        query=(
            ("environment", "Narrow overrides to this environment (default: all).", {"pattern": NAME_PATTERN}),
            _STREAM_QUERY[1],
        ),
        ok=SDK_STREAM_OK,
        stream=True,
        token=Role.SERVER,
        sessions=True,
        errors=(400, 401, 403, 503),
    ),
)


class Router:
    """`(method, path)` to an endpoint and its path parameters; paths hold at most one `{param}`."""

    def __init__(self, endpoints: tuple[Endpoint, ...]) -> None:
        self._exact: dict[tuple[str, str], Endpoint] = {}
        self._templated: list[tuple[str, str, str, str, Endpoint]] = []
        for endpoint in endpoints:
            if "{" not in endpoint.path:
                self._exact[endpoint.method, endpoint.path] = endpoint
                continue
            prefix, _, rest = endpoint.path.partition("{")
            param, _, suffix = rest.partition("}")
            self._templated.append((endpoint.method, prefix, suffix, param, endpoint))

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        endpoint = self._exact.get((method, path))
        if endpoint is not None:
            return endpoint, {}
        for wanted, prefix, suffix, param, templated in self._templated:
            if method == wanted and path.startswith(prefix) and path.endswith(suffix):
                value = path[len(prefix) : len(path) - len(suffix)]
                if value and "/" not in value:
                    return templated, {param: value}
        return None
