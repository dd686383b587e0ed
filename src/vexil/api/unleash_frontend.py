"""Unleash's frontend API, `GET` and `POST /api/frontend`: browser and mobile SDKs
(unleash-proxy-client and the SDKs built on it) ask Vexil to evaluate every flag for one context,
and get the enabled ones back in Unleash's shape (docs/unleash-frontend.md).

Served by the raw ASGI layer like Vexil's own evaluation (`api/surface.py`): the token first (any
role; these SDKs always send one, as a bare `Authorization: KEY`), then the context, evaluated from
the in-memory snapshot. The token's environment decides where: a bound token evaluates in its
environment, an unbound one the flags' own configuration, and the context's `environment` (which
unleash-proxy-client fills with `default`) is ignored, never refused. The answer carries an `ETag`
(a hash of its bytes) and a repeated request naming it gets an empty 304. Answers for a context
with a `userId` are kept for clients that poll with the same context (`api/answers.py`).

Only client results leave: flag names, the variant served and its payload; never reasons, rules,
conditions, percentages or allowlists, and no flag that is off for the context.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vexil.api import context as contexts
from vexil.api.errors import BadRequest
from vexil.api.surface import Answer, Call, Endpoint, etagged
from vexil.core.auth import Role
from vexil.core.usage import FRONTEND, Answered
from vexil.unleash import frontend

FRONTEND_PATH = "/api/frontend"
# Headers of every answer: a browser's script may read the ETag only when told so (CORS).
# Keys of kept answers: a 3-tuple, unlike the native endpoints' keys, so that they never meet.
_KEPT = {"GET": b"GET " + FRONTEND_PATH.encode(), "POST": b"POST " + FRONTEND_PATH.encode()}
_BODY_LABELS = {key: f"context.{label}" for key, label in frontend.LABELS.items()}


async def unleash_context(call: Call) -> dict[str, Any]:
    """The request's context as Vexil's: from the query string (GET) or `{"context": {...}}` (POST),
    checked by Vexil's one context reader (types, sizes)."""
    if call.method == "GET":
        return contexts.from_body(frontend.query_context(call.query()), labels=frontend.LABELS)
    given = (await call.json()).get("context")
    if given is None:
        given = {}
    elif given.__class__ is not dict:
        raise BadRequest('context: use an object such as {"userId": "user-7", "properties": {"plan": "pro"}}')
    properties = given.get(frontend.PROPERTIES)
    if properties is None:
        properties = {}
    elif properties.__class__ is not dict:
        raise BadRequest("context.properties: use an object of property names and values")
    return contexts.from_body(frontend.context(given, properties), labels=_BODY_LABELS)


async def frontend_toggles(call: Call) -> Answer:
    """`GET|POST /api/frontend`: `{"toggles": [...]}`, the flags enabled for this context."""
    principal = call.holder()
    runtime = call.runtime
    runtime.counters["evaluations"] += 1
    request = call.query_string if call.method == "GET" else await call.body()
    key = (_KEPT[call.method], request, principal.environment)
    seq = runtime.service.hub.seq
    body = runtime.answers.get(key, seq)
    if body is not None:
        runtime.usage.count_kept(key, FRONTEND)
        runtime.recent.seen(key)
    else:
        context = await unleash_context(call)
        if principal.environment is not None:
            context["environment"] = principal.environment
        results = runtime.service.snapshot.evaluate_all(context)
        counted = Answered.of(results, context)
        runtime.usage.count_answer(counted, FRONTEND)
        runtime.recent.offer(context, key if "identifier" in context else None)
        body = frontend.toggles(results)
        if "identifier" in context and runtime.answers.put(key, seq, body, len(request)):
            runtime.usage.keep(key, counted)
    return etagged(call, body)


# --- OpenAPI --------------------------------------------------------------------------------------


class UnleashContext(BaseModel):
    """An Unleash context: `userId` is the identifier, `appName` the app, `environment` is ignored
    (the token decides), and `properties` and every other field are attributes."""

    model_config = ConfigDict(extra="allow")

    userId: str | int | None = None
    sessionId: str | None = None
    remoteAddress: str | None = None
    currentTime: str | None = None
    appName: str | None = None
    environment: str | None = Field(None, description="Ignored: the token's environment applies.")
    properties: dict[str, Any] | None = None


class FrontendRequest(BaseModel):
    context: UnleashContext | None = None


class UnleashPayload(BaseModel):
    type: str = Field(description="`string`, `number` or `json`.")
    value: str


class UnleashVariant(BaseModel):
    name: str
    enabled: bool
    feature_enabled: bool
    payload: UnleashPayload | None = None


class UnleashToggle(BaseModel):
    name: str
    enabled: bool
    variant: UnleashVariant
    impressionData: bool


class FrontendToggles(BaseModel):
    toggles: list[UnleashToggle]


_OK = {
    "description": "The flags enabled for this context, with an `ETag` (304 when `If-None-Match` names it).",
    "model": FrontendToggles,
}
_DESCRIPTION = (
    "Unleash's frontend API (unleash-proxy-client and the SDKs built on it). Any token, as "
    "`Authorization: KEY`. A token bound to an environment evaluates there; an unbound one evaluates "
    "the flags' own configuration; the context's `environment` is ignored. Only enabled flags are listed."
)
_QUERY: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("userId", "Who is asking (the identifier).", {}),
    ("appName", "The app asking (for app-scoped flags).", {}),
    ("sessionId", "An attribute of that name (so are `remoteAddress`, `currentTime` and any other field).", {}),
    ("properties[NAME]", "The attribute NAME (one parameter per property).", {}),
)

UNLEASH_FRONTEND: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        FRONTEND_PATH,
        frontend_toggles,
        "Unleash frontend API: the flags enabled for a context",
        tags=("unleash",),
        description=_DESCRIPTION + " The context is in the query string.",
        query=_QUERY,
        ok=_OK,
        token=Role.CLIENT,
        errors=(400, 401, 403),
    ),
    Endpoint(
        "POST",
        FRONTEND_PATH,
        frontend_toggles,
        "Unleash frontend API: the flags enabled for a JSON context",
        tags=("unleash",),
        description=_DESCRIPTION + ' The context is the body\'s `{"context": {...}}`.',
        body=FrontendRequest,
        ok=_OK,
        token=Role.CLIENT,
        errors=(400, 401, 403, 413),
    ),
)
