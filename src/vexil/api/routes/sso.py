"""Single sign-on (docs/people.md "Single sign-on", `core/sso.py`): `GET /sso` tells the admin UI
whether it is configured, `GET /sso/login` sends the browser to the identity provider, and `GET
/sso/callback` signs the person in when it comes back, with the same session and cookie as a
password sign-in (`routes/people.py`).

Both browser routes answer refusals as `{"error": ...}` with their 4xx status; a browser (one that
asks for HTML) is sent back to the sign-in page instead, which shows the same words. Failed
callbacks count in the sign-in throttle (`core/sessions.py`) like wrong passwords: under the key
`sso:ADDRESS` (which has the limit of one email, 5 in the window) and under the client's address
(shared with password sign-ins, 20).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from vexil.api.deps import RuntimeDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.routes.people import set_session_cookie
from vexil.api.runtime import Runtime
from vexil.core.sessions import TooManyAttempts
from vexil.core.sso import PENDING_SECONDS, UI_HOME, Sso, SsoRefused, person_for, return_path

router = APIRouter(tags=["people"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

PENDING_COOKIE = "vexil_sso"
CALLBACK_PATH = "/sso/callback"
NOT_CONFIGURED = (
    "single sign-on is not configured on this server: an admin sets VEXIL_OIDC_ISSUER, VEXIL_OIDC_CLIENT_ID "
    "and VEXIL_OIDC_CLIENT_SECRET (docs/people.md, Single sign-on); sign in with email and password meanwhile"
)
REDIRECTS: dict[int | str, dict[str, Any]] = {303: {"description": "To the identity provider, or back to the admin UI"}}


NextPage = Annotated[
    str | None,
    Query(
        description="The admin UI page to return to once signed in: a path starting with /ui/ "
        "(such as /ui/#/flags/checkout); anything else is refused with 400, never followed",
    ),
]


class SsoOut(BaseModel):
    enabled: bool
    label: str | None = None


@router.get("/sso", response_model=SsoOut, summary="Whether single sign-on is configured, and its button's label")
async def sso_status(runtime: RuntimeDep) -> dict[str, Any]:
    oidc = runtime.settings.oidc
    return {"enabled": oidc is not None, "label": oidc.button_label if oidc else None}


@router.get(
    "/sso/login",
    status_code=303,
    response_class=RedirectResponse,
    responses=REDIRECTS,
    summary="Start a single sign-on: to the identity provider, with PKCE, state and nonce",
)
async def sso_login(request: Request, runtime: RuntimeDep, next: NextPage = None) -> Response:
    try:
        sso = _configured(runtime)
        then = UI_HOME if next is None else return_path(next)
        url, pending = await sso.start(_redirect_uri(request, runtime), then)
    except SsoRefused as exc:
        return _refused(request, exc)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        pending,
        max_age=PENDING_SECONDS,
        path="/sso",
        secure=request.url.scheme == "https" or runtime.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    CALLBACK_PATH,
    status_code=303,
    response_class=RedirectResponse,
    responses=REDIRECTS,
    summary="Where the identity provider sends the browser back: signs the person in (sets the session cookie)",
)
async def sso_callback(request: Request, runtime: RuntimeDep) -> Response:
    address = request.client.host if request.client else "unknown"
    throttle = runtime.sessions.throttle
    key = f"sso:{address}"
    try:
        sso = _configured(runtime)
        throttle.check(key, address)
    except SsoRefused as exc:
        return _refused(request, exc)
    except TooManyAttempts as exc:
        refused = _refused(request, SsoRefused(str(exc), 429))
        refused.headers["retry-after"] = str(exc.retry_after)
        return refused
    try:
        identity, then = await sso.finish(request.cookies.get(PENDING_COOKIE), dict(request.query_params))
        person = await person_for(identity, runtime.service.store, runtime.people, create=sso.settings.create_people)
    except SsoRefused as exc:
        throttle.failed(key, address)
        return _refused(request, exc)
    signed_in = await runtime.sessions.start(person)
    response = RedirectResponse(then, status_code=303)
    set_session_cookie(response, request, runtime, signed_in.secret)
    response.delete_cookie(PENDING_COOKIE, path="/sso", httponly=True, samesite="lax")
    return response


# The refusals of each route (`document`); a browser that asks for HTML gets a 303 to the sign-in
# page with the same words in `?sso_error=` instead.
ERRORS = {
    "/sso/login": {
        400: "next is not a page of this admin UI (a path starting with /ui/)",
        404: NOT_CONFIGURED,
        502: "The identity provider cannot be reached, or its discovery document is wrong",
    },
    CALLBACK_PATH: {
        400: "Not the sign-in this browser started: no or a forged pending cookie, another state, expired "
        "(10 minutes), already used, or no code",
        401: "The identity provider refused the sign-in or the code, or the ID token is not valid "
        "(signature, issuer, audience, expiry, nonce)",
        403: "The person has no email, no mapped role (and there is no default role), is disabled, or is "
        "unknown to Vexil while people are not made on first sign-in",
        404: NOT_CONFIGURED,
        409: "The new role would leave no admin person",
        429: "Too many failed sign-ins from this address: Retry-After says when to try again",
        502: "The identity provider cannot be reached, or answered something unusable",
    },
}


def document(schema: dict[str, Any]) -> None:
    """Write the refusals of the single sign-on routes into the OpenAPI `schema` (`api/app.py`)."""
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, statuses in ERRORS.items():
        responses = schema["paths"][path]["get"]["responses"]
        responses.pop("400", None)
        for status, words in statuses.items():
            responses[str(status)] = {"description": words, "content": {"application/json": {"schema": ref}}}


def _configured(runtime: Runtime) -> Sso:
    if runtime.sso is None:
        raise SsoRefused(NOT_CONFIGURED, 404)
    return runtime.sso


def _redirect_uri(request: Request, runtime: Runtime) -> str:
    oidc = runtime.settings.oidc
    if oidc is not None and oidc.redirect_url:
        return oidc.redirect_url
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _refused(request: Request, exc: SsoRefused) -> Response:
    """`{"error"}` with the refusal's status; a browser goes back to the sign-in page, which says it."""
    if "text/html" in request.headers.get("accept", ""):
        response: Response = RedirectResponse(f"{UI_HOME}?sso_error={quote(str(exc))}", status_code=303)
    else:
        response = JSONResponse({"error": str(exc)}, status_code=exc.status)
    response.delete_cookie(PENDING_COOKIE, path="/sso", httponly=True, samesite="lax")
    return response
