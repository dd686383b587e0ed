"""What Unleash SDKs post about themselves: `POST /api/client/register` and `/api/client/metrics`
(server SDKs, a server or admin token) and the frontend API's `POST /api/frontend/client/register`
and `/client/metrics` (browser and mobile SDKs, any token). docs/unleash-frontend.md, "Register
and metrics".

Each is checked (token first, then the body within the caller's limit, then its shape:
`vexil.unleash.usage`, a 400 in plain words for what cannot be used) and recorded in memory by the
connected-SDKs registry (`core/sdks.py`), which writes to the store in batches: answering costs no
database round trip. Server endpoints answer 202 and the frontend's 200, as Unleash does.
The environment recorded is the token's when it is bound to one, else the one the body names.

Vexil's own clients post the same metrics body: the Python SDK in local mode to
`/api/client/metrics` (counted as `sdk`), and the browser client the values it read to
`POST /usage/reads`, open like its `/stream` (a token only when the operator requires client
tokens, in a header or `?token=` since `navigator.sendBeacon` sends none), counted as `client`
like the Unleash frontend SDKs' metrics (docs/usage.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from vexil.api.errors import BadRequest
from vexil.api.surface import Answer, Call, Endpoint, Reply
from vexil.api.unleash_frontend import FRONTEND_PATH
from vexil.core.auth import Principal, Role
from vexil.core.sdks import FRONTEND, SERVER
from vexil.core.usage import CLIENT, SDK, count_report
from vexil.unleash.usage import SdkReport, UsageInputError, metrics_report, register_report

Read = Callable[[dict[str, Any], str | None], SdkReport]
# Whom the connected-SDKs registry bounds anonymous posts under (browser clients without a token).
ANONYMOUS = "anonymous"


async def _recorded(call: Call, principal: Principal | None, read: Read, kind: str, source: str = SDK) -> None:
    try:
        report = read(await call.json(), call.header(b"unleash-sdk"))
    except UsageInputError as exc:
        raise BadRequest(str(exc)) from None
    environment = (principal and principal.environment) or report.environment
    caller = ANONYMOUS if principal is None else principal.key or principal.name
    call.runtime.sdks.record(report, kind=kind, environment=environment, caller=caller)
    if report.toggles:
        count_report(call.runtime.usage, call.runtime.service.snapshot, report, environment, source)


def _server_register(body: dict[str, Any], sdk: str | None) -> SdkReport:
    return register_report(body, sdk, server=True)


def _frontend_register(body: dict[str, Any], sdk: str | None) -> SdkReport:
    return register_report(body, sdk, server=False)


async def client_register(call: Call) -> Answer:
    principal = call.runtime.service.tokens.require(call.token(), Role.SERVER)
    await _recorded(call, principal, _server_register, SERVER)
    return Reply(b"", 202)


async def client_metrics(call: Call) -> Answer:
    principal = call.runtime.service.tokens.require(call.token(), Role.SERVER)
    await _recorded(call, principal, metrics_report, SERVER)
    return Reply(b"", 202)


async def frontend_register(call: Call) -> Answer:
    await _recorded(call, call.holder(), _frontend_register, FRONTEND)
    return Reply(b"", 200)


async def client_reads(call: Call) -> Answer:
    principal = call.caller(dict(call.query()).get("token"))
    await _recorded(call, principal, metrics_report, FRONTEND, CLIENT)
    return Reply(b"", 202)


async def frontend_metrics(call: Call) -> Answer:
    # What a browser read, not what a server evaluated: counted apart from the `frontend` answers.
    await _recorded(call, call.holder(), metrics_report, FRONTEND, CLIENT)
    return Reply(b"", 200)


# --- OpenAPI --------------------------------------------------------------------------------------


class UnleashReporter(BaseModel):
    """Who posts: the fields register and metrics share (fields not listed are accepted and ignored)."""

    model_config = ConfigDict(extra="allow")

    appName: str
    instanceId: str | None = None
    sdkVersion: str | None = None
    environment: str | None = None


class UnleashRegistration(UnleashReporter):
    """What an SDK says when it starts."""

    strategies: list[Any] | None = None
    started: str | None = None
    interval: float | None = None


class UnleashToggleCount(BaseModel):
    yes: int = 0
    no: int = 0
    variants: dict[str, int] | None = None


class UnleashBucket(BaseModel):
    start: str
    stop: str
    toggles: dict[str, UnleashToggleCount]


class UnleashMetrics(UnleashReporter):
    """How often each flag was asked since the last post."""

    bucket: UnleashBucket | None = None


def _accepted(status: str) -> dict[str, Any]:
    return {"description": f"{status}, no body: recorded for the connected SDKs (`GET /sdks`)."}


UNLEASH_USAGE: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/api/client/register",
        client_register,
        "Unleash server SDK starting (server token); answers 202",
        tags=("unleash",),
        description="`started` and `interval` are required, as Unleash requires them.",
        body=UnleashRegistration,
        ok=_accepted("202 Accepted"),
        token=Role.SERVER,
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "POST",
        "/api/client/metrics",
        client_metrics,
        "Unleash server SDK metrics (server token); answers 202",
        tags=("unleash",),
        body=UnleashMetrics,
        ok=_accepted("202 Accepted"),
        token=Role.SERVER,
        errors=(400, 401, 403, 413),
    ),
    Endpoint(
        "POST",
        FRONTEND_PATH + "/client/register",
        frontend_register,
        "Unleash frontend SDK starting (any token)",
        tags=("unleash",),
        body=UnleashRegistration,
        ok=_accepted("200"),
        token=Role.CLIENT,
        errors=(400, 401, 413),
    ),
    Endpoint(
        "POST",
        FRONTEND_PATH + "/client/metrics",
        frontend_metrics,
        "Unleash frontend SDK metrics (any token)",
        tags=("unleash",),
        body=UnleashMetrics,
        ok=_accepted("200"),
        token=Role.CLIENT,
        errors=(400, 401, 413),
    ),
    Endpoint(
        "POST",
        "/usage/reads",
        client_reads,
        "Flag values a browser client read (Vexil's browser client); answers 202",
        description="The body of `POST /api/frontend/client/metrics`; a token only when the server requires "
        "client tokens, in `Authorization` or `?token=` (`navigator.sendBeacon` cannot send headers). "
        "Counted as the source `client`.",
        query=(("token", "A client token, for `navigator.sendBeacon`, which sends no headers.", {"type": "string"}),),
        body=UnleashMetrics,
        ok=_accepted("202 Accepted"),
        errors=(400, 401, 403, 413),
    ),
)
