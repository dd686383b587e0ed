"""OFREP, the OpenFeature Remote Evaluation Protocol (docs/ofrep.md): Vexil's flags for OpenFeature's
own remote providers, server and web, with no Vexil code on the client.

Two endpoints, answered on the raw ASGI layer like `POST /evaluate` (their table, `OFREP`, is added
to the route table in `api/endpoints.py`, and `api/routes/hot.py` documents them from it):

- `POST /ofrep/v1/evaluate/flags/{key}`: one flag, `{key, value, reason, variant, metadata}`;
- `POST /ofrep/v1/evaluate/flags`: every flag, `{"flags": [...]}`, with an `ETag` (304 on a matching
  `If-None-Match`), which is what the web provider polls.

Both take `{"context": {"targetingKey", ...attributes}}` and read it as the Python SDK's OpenFeature
provider does: the targeting key is Vexil's `identifier`, `environment` and `app` are Vexil's, and
every other key is an attribute (under `attributes`, where conditions find it by name). Then the
answer is Vexil's client result in OpenFeature's words: the value (a boolean flag's `active`, else
the served variant's payload, else its name) and the reason by `engine.OPENFEATURE_REASONS`, after
`VEXIL_CLIENT_REASONS`. Nothing else about the flag leaves: no rule, condition, percentage or
allowlist, whatever the token.

OFREP always needs a token (client, server or admin), and answers its own error shape,
`{key, errorCode, errorDetails}` (the bulk endpoint: `{errorCode, errorDetails}`), never Vexil's
`{"error"}`: its providers read `errorCode`. A handler therefore catches every refusal itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from vexil.api import context as contexts
from vexil.api.errors import BadRequest
from vexil.api.limits import parse_json
from vexil.api.surface import ETAG_SIZE, Call, Endpoint, Reply, etag_of, etagged
from vexil.core import usage as counted
from vexil.core.auth import AuthError, Principal, Role
from vexil.engine import (
    DRAWN_REASONS,
    OPENFEATURE_REASONS,
    Evaluation,
    OpenFeatureReason,
    Reason,
    Snapshot,
    show_value,
)
from vexil.engine.compile import CompiledFlag

PATH = "/ofrep/v1/evaluate/flags"


class ErrorCode(StrEnum):
    """OpenFeature's error codes that OFREP answers."""

    PARSE_ERROR = "PARSE_ERROR"  # the body is not a JSON object
    INVALID_CONTEXT = "INVALID_CONTEXT"  # the context is not one Vexil can read
    TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"  # a percentage rollout, and no targeting key
    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    GENERAL = "GENERAL"  # the token (401, 403), a body too large (413), a client gone


class Refusal(Exception):
    """An OFREP error answer: its status, code and plain words (and headers: `WWW-Authenticate`)."""

    def __init__(self, status: int, code: ErrorCode, details: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(details)
        self.status = status
        self.code = code
        self.details = details
        self.headers = headers

    def reply(self, key: str | None) -> Reply:
        """As the single endpoint answers it (`key`), or the bulk one (`None`)."""
        body: dict[str, Any] = {"errorCode": self.code.value, "errorDetails": self.details}
        if key is not None:
            body = {"key": key, **body}
        return Reply(orjson.dumps(body), self.status, self.headers)


# --- the request ----------------------------------------------------------------------------------

# An OFREP context's reserved keys and Vexil's names for them; every other key is an attribute.
RESERVED = {"targetingKey": "identifier", "environment": "environment", "app": "app"}
# How the context's keys are named in an error (`api/context.py` names Vexil's).
LABELS = {
    "identifier": "context.targetingKey",
    "environment": "context.environment",
    "app": "context.app",
    "attributes": "context",
}
CONTEXT_EXAMPLE = '{"targetingKey": "user-1", "plan": "pro"}'


def vexil_context(context: Any) -> dict[str, Any]:
    """The request's `context` as Vexil's (`api/context.py` rules and bounds), or BadRequest.

    >>> vexil_context({"targetingKey": "u1", "environment": "production", "plan": "pro"})
    {'identifier': 'u1', 'environment': 'production', 'attributes': {'plan': 'pro'}}
    """
    if context is None:
        return {}
    if context.__class__ is not dict:
        raise BadRequest(f"context: use an object such as {CONTEXT_EXAMPLE}")
    vexil: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in context.items():
        reserved = RESERVED.get(key)
        if reserved is None:
            attributes[key] = value
        else:
            vexil[reserved] = value
    if attributes:
        vexil["attributes"] = attributes
    return contexts.from_body(vexil, labels=LABELS)


def _caller(call: Call) -> Principal:
    """The token, of any role; checked before a byte of the body is read."""
    try:
        principal = call.holder()
    except AuthError as exc:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        raise Refusal(exc.status, ErrorCode.GENERAL, str(exc), headers) from exc
    return principal


def _unread(exc: BadRequest) -> Refusal:
    """The body could not be read: past the caller's limit (413), or the client went away (400)."""
    return Refusal(exc.status, ErrorCode.GENERAL, str(exc), exc.headers)


def _context(raw: bytes, principal: Principal) -> dict[str, Any]:
    """The body's context, in the environment of a token bound to one."""
    try:
        body = parse_json(raw) if raw else {}
    except BadRequest as exc:
        raise Refusal(400, ErrorCode.PARSE_ERROR, str(exc)) from exc
    if body.__class__ is not dict:
        raise Refusal(
            400, ErrorCode.PARSE_ERROR, 'the body must be a JSON object such as {"context": ' + CONTEXT_EXAMPLE + "}"
        )
    try:
        return Call.place(principal, vexil_context(body.get("context")))
    except BadRequest as exc:
        raise Refusal(400, ErrorCode.INVALID_CONTEXT, str(exc)) from exc
    except AuthError as exc:  # a bound token, and a context naming another environment
        raise Refusal(exc.status, ErrorCode.GENERAL, str(exc)) from exc


# --- the answer -----------------------------------------------------------------------------------


def value(result: Evaluation, flag: CompiledFlag) -> Any:
    """A boolean flag's `active`; else the served variant's payload, or its name without one."""
    if flag.boolean:
        return result.active
    return result.variant if result.payload is None else result.payload


def success(result: Evaluation, flag: CompiledFlag, coarse: bool) -> dict[str, Any]:
    reason = result.client_reason(coarse)
    return {
        "key": result.flag,
        "value": value(result, flag),
        "reason": OPENFEATURE_REASONS[reason].value,
        "variant": result.variant,
        "metadata": {"reason": reason.value, "active": result.active},
    }


class Encodings:
    """Each result's success item as bytes, made once: results are shared, immutable objects that a
    compiled flag prebuilt (`api/wire.py` does the same for Vexil's own answers), so an answer is a join
    of ready items. A result belongs to one compiled flag, so whether that flag is boolean is fixed for
    it; the items are let go whenever the configuration changes (the hub's `seq`), with the results."""

    __slots__ = ("_items", "_seq")

    def __init__(self) -> None:
        self._seq = -1
        # id(result) * 2 + coarse -> (the result, kept alive so that its id stays its own; its item)
        self._items: dict[int, tuple[Evaluation, bytes]] = {}

    def current(self, seq: int) -> dict[int, tuple[Evaluation, bytes]]:
        """The items made since the configuration became `seq`, by `id(result) * 2 + coarse`."""
        if seq != self._seq:
            self._items, self._seq = {}, seq
        return self._items

    def add(self, result: Evaluation, snapshot: Snapshot, coarse: bool) -> bytes:
        flag = snapshot.get_compiled(result.flag)
        assert flag is not None  # every result evaluated is of a flag held
        encoded = orjson.dumps(success(result, flag, coarse))
        self._items[id(result) * 2 + coarse] = (result, encoded)
        return encoded

    def item(self, result: Evaluation, snapshot: Snapshot, coarse: bool, seq: int) -> bytes:
        kept = self.current(seq).get(id(result) * 2 + coarse)
        return kept[1] if kept is not None else self.add(result, snapshot, coarse)


ENCODINGS = Encodings()


def refusal(result: Evaluation, context: dict[str, Any]) -> Refusal | None:
    """Why `result` is not an answer: an unknown flag, or a random draw for want of a targeting key."""
    if result.reason is Reason.FLAG_NOT_FOUND:
        return Refusal(404, ErrorCode.FLAG_NOT_FOUND, f"there is no flag named {show_value(result.flag)}")
    if result.reason in DRAWN_REASONS and "identifier" not in context:
        return Refusal(
            400,
            ErrorCode.TARGETING_KEY_MISSING,
            f"flag {show_value(result.flag)} rolls out by percentage: without a targetingKey its answer "
            "would be a random draw, so give one (the code's default applies meanwhile)",
        )
    return None


# --- the handlers ---------------------------------------------------------------------------------


# Each handler is one coroutine, its steps plain functions: this runs on every evaluation.


async def evaluate_flag(call: Call) -> Reply:
    """`POST /ofrep/v1/evaluate/flags/{key}`."""
    key = call.params["key"]
    try:
        principal = _caller(call)
        try:
            raw = await call.body()
        except BadRequest as exc:
            raise _unread(exc) from exc
        return _one_flag(call, key, principal, raw)
    except Refusal as exc:
        return exc.reply(key)


def _one_flag(call: Call, key: str, principal: Principal, raw: bytes) -> Reply:
    runtime = call.runtime
    runtime.counters["evaluations"] += 1
    kept_as = (PATH, key, raw, principal.environment)
    seq = runtime.service.hub.seq
    kept = runtime.answers.get(kept_as, seq)
    if kept is not None:
        runtime.usage.count_kept(kept_as, counted.OFREP)
        runtime.recent.seen(kept_as)
        return Reply(kept)
    context = _context(raw, principal)
    snapshot = runtime.service.snapshot
    result = snapshot.evaluate(key, context)
    runtime.usage.count_result(result, context, counted.OFREP)
    runtime.recent.offer(context, kept_as if "identifier" in context else None)
    refused = refusal(result, context)
    if refused is not None:
        raise refused
    answer = ENCODINGS.item(result, snapshot, runtime.settings.coarse_reasons, seq)
    if "identifier" in context and runtime.answers.put(kept_as, seq, answer, len(raw) + len(key)):
        runtime.usage.keep(kept_as, counted.Answered.of((result,), context))
    return Reply(answer)


async def evaluate_flags(call: Call) -> Reply:
    """`POST /ofrep/v1/evaluate/flags`: every flag, each a success or a failure item."""
    try:
        principal = _caller(call)
        try:
            raw = await call.body()
        except BadRequest as exc:
            raise _unread(exc) from exc
        return _all_flags(call, principal, raw)
    except Refusal as exc:
        return exc.reply(None)


def _all_flags(call: Call, principal: Principal, raw: bytes) -> Reply:
    runtime = call.runtime
    runtime.counters["evaluations"] += 1
    kept_as = (PATH, raw, principal.environment)
    seq = runtime.service.hub.seq
    # An answer is kept with its ETag in front, so that a repeated request is not hashed again.
    tagged = runtime.answers.get(kept_as, seq)
    if tagged is not None:
        runtime.usage.count_kept(kept_as, counted.OFREP)
        runtime.recent.seen(kept_as)
    else:
        context = _context(raw, principal)
        snapshot = runtime.service.snapshot
        coarse = runtime.settings.coarse_reasons
        items: list[bytes] = []
        encoded = ENCODINGS.current(seq)
        keyless = "identifier" not in context
        results = snapshot.evaluate_all(context)  # every flag held: none is not found
        answered = counted.Answered.of(results, context)
        runtime.usage.count_answer(answered, counted.OFREP)
        runtime.recent.offer(context, None if keyless else kept_as)
        for result in results:
            if keyless and result.reason in DRAWN_REASONS:
                refused = refusal(result, context)
                assert refused is not None
                failure = {"key": result.flag, "errorCode": refused.code.value, "errorDetails": refused.details}
                items.append(orjson.dumps(failure))
                continue
            kept = encoded.get(id(result) * 2 + coarse)
            items.append(kept[1] if kept is not None else ENCODINGS.add(result, snapshot, coarse))
        body = b'{"flags":[' + b",".join(items) + b"]}"
        tagged = etag_of(body).encode() + body
        if "identifier" in context and runtime.answers.put(kept_as, seq, tagged, len(raw)):
            runtime.usage.keep(kept_as, answered)
    return etagged(call, tagged[ETAG_SIZE:], tagged[:ETAG_SIZE].decode())


# --- the table ------------------------------------------------------------------------------------


class OfrepContext(BaseModel):
    """An OpenFeature evaluation context: the targeting key, then any attributes."""

    model_config = ConfigDict(extra="allow")

    targetingKey: str | None = Field(
        default=None, description="Who is asking (Vexil's `identifier`); a percentage rollout needs it."
    )
    environment: str | None = Field(default=None, description="The environment whose override applies.")
    app: str | None = Field(default=None, description="The app asking (for app-scoped flags).")


class OfrepRequest(BaseModel):
    context: OfrepContext | None = Field(default=None, description="Who is asking (none: an empty context).")


class OfrepMetadata(BaseModel):
    reason: str = Field(description="Vexil's own reason, as client surfaces give it.")
    active: bool = Field(description="Whether the variant served is not the flag's default.")


class OfrepSuccess(BaseModel):
    key: str
    value: Any = Field(
        description="A boolean flag's `active`; else the served variant's payload, or its name without one."
    )
    reason: OpenFeatureReason
    variant: str
    metadata: OfrepMetadata


class OfrepFailure(BaseModel):
    key: str
    errorCode: ErrorCode
    errorDetails: str


class OfrepBulkSuccess(BaseModel):
    flags: list[OfrepSuccess | OfrepFailure]


class OfrepBulkFailure(BaseModel):
    errorCode: ErrorCode
    errorDetails: str


def _failures(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        400: {"model": model, "description": "PARSE_ERROR, INVALID_CONTEXT or TARGETING_KEY_MISSING"},
        401: {"model": model, "description": "No token, or not a valid one (GENERAL)"},
        403: {"model": model, "description": "A token bound to another environment (GENERAL)"},
        413: {"model": model, "description": "Body too large (GENERAL)"},
    }


OFREP: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        PATH + "/{key}",
        evaluate_flag,
        "Evaluate one flag (OFREP)",
        tags=("ofrep",),
        token=Role.CLIENT,
        description="OpenFeature's remote evaluation of one flag, for its server providers; any token.",
        body=OfrepRequest,
        ok={"description": "The flag's value, reason and variant.", "model": OfrepSuccess},
        responses={
            **_failures(OfrepFailure),
            404: {"model": OfrepFailure, "description": "FLAG_NOT_FOUND"},
        },
    ),
    Endpoint(
        "POST",
        PATH,
        evaluate_flags,
        "Evaluate every flag (OFREP)",
        tags=("ofrep",),
        token=Role.CLIENT,
        description="OpenFeature's remote evaluation of every flag, for its web provider; any token. "
        "The `ETag` names the answer: send it as `If-None-Match` to get 304 while nothing changed for "
        "this context.",
        body=OfrepRequest,
        ok={"description": "Every flag, each a success or a failure.", "model": OfrepBulkSuccess},
        responses={
            **_failures(OfrepBulkFailure),
            304: {"description": "Not modified: the `If-None-Match` tag is this answer's."},
        },
    ),
)
