"""People and sessions (docs/people.md): admins manage people at `/users`; a person signs in with
`POST /session` (the cookie is set here, HttpOnly, SameSite=Lax, Secure over https) and out with
`DELETE /session`; `GET /whoami` names the caller, token or person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from vexil.api.credentials import SESSION_COOKIE, csrf_from_headers, session_from_headers
from vexil.api.deps import NO_CSRF, Admin, AnyToken, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES, BadRequest
from vexil.api.params import plain_parameters
from vexil.api.runtime import Runtime
from vexil.api.schemas import PeopleList, PersonCreate, PersonOut, PersonPatch, SignIn, WhoAmI
from vexil.core.auth import Forbidden, Unauthenticated
from vexil.core.sessions import TooManyAttempts, WrongCredentials, csrf_matches, csrf_token

router = APIRouter(tags=["people"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CROSS_SITE = "sign in from Vexil's own pages: this request came from another site"


@router.get("/users", response_model=PeopleList, summary="List people")
async def list_people(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    return {"people": await runtime.service.store.list_people()}


@router.post("/users", response_model=PersonOut, status_code=201, summary="Add a person")
async def create_person(body: PersonCreate, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    return await runtime.people.create(body.model_dump(), actor=principal.name)


@router.patch("/users/{id}", response_model=PersonOut, summary="Change a person's name, role, password or disabled")
async def update_person(id: PersonId, body: PersonPatch, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    return await runtime.people.update(id, body.model_dump(exclude_unset=True), actor=principal.name)


@router.delete("/users/{id}", response_model=PersonOut, summary="Remove a person (their sessions end)")
async def delete_person(id: PersonId, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    return await runtime.people.delete(id, actor=principal.name)


@router.post("/session", response_model=WhoAmI, summary="Sign in with email and password (sets the session cookie)")
async def sign_in(body: SignIn, request: Request, response: Response, runtime: RuntimeDep) -> dict[str, Any]:
    if _cross_site(request):
        raise Forbidden(CROSS_SITE)
    address = request.client.host if request.client else "unknown"
    try:
        signed_in = await runtime.sessions.sign_in(body.email, body.password, address=address)
    except WrongCredentials as exc:
        raise Unauthenticated(str(exc)) from exc
    except TooManyAttempts as exc:
        raise BadRequest(str(exc), 429, headers={"retry-after": str(exc.retry_after)}) from exc
    set_session_cookie(response, request, runtime, signed_in.secret)
    return _person(signed_in.person, signed_in.csrf_token)


def set_session_cookie(response: Response, request: Request, runtime: Runtime, secret: str) -> None:
    """The session cookie of a new sign-in (by password here, or by single sign-on, `routes/sso.py`)."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(runtime.sessions.policy.absolute.total_seconds()),
        path="/",
        secure=request.url.scheme == "https" or runtime.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


@router.get(
    "/session",
    response_model=WhoAmI,
    responses={204: {"description": "No live session: the cookie is absent, ended or expired"}},
    summary="The signed-in person of the session cookie, or 204 (the admin UI asks on load)",
)
async def current_session(request: Request, runtime: RuntimeDep) -> Any:
    secret = session_from_headers(request.scope["headers"])
    principal = None if secret is None else await runtime.sessions.principal(secret)
    if secret is None or principal is None or principal.person_id is None:
        return Response(status_code=204)
    return _person(await runtime.service.store.get_person(principal.person_id), csrf_token(secret))


@router.delete("/session", status_code=204, summary="Sign out: the session ends on every replica")
async def sign_out(request: Request, runtime: RuntimeDep) -> Response:
    """Ends the cookie's session (a live one only with its CSRF header) and clears the cookie; a
    session that already ended just has its cookie cleared."""
    headers = request.scope["headers"]
    secret = session_from_headers(headers)
    if secret is not None and await runtime.sessions.principal(secret) is not None:
        if not csrf_matches(secret, csrf_from_headers(headers)):
            raise Forbidden(NO_CSRF)
        await runtime.sessions.sign_out(secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/whoami", response_model=WhoAmI, summary="Who is calling: a token, or a signed-in person")
async def whoami(request: Request, runtime: RuntimeDep, principal: AnyToken) -> dict[str, Any]:
    if not principal.is_person or principal.person_id is None:
        return {
            "kind": "token",
            "name": principal.name,
            "role": principal.role.value,
            "environment": principal.environment,
        }
    secret = session_from_headers(request.scope["headers"]) or ""
    return _person(await runtime.service.store.get_person(principal.person_id), csrf_token(secret))


def _person(person: dict[str, Any], csrf: str) -> dict[str, Any]:
    fields = ("id", "email", "name", "role")
    return {"kind": "person", **{key: person[key] for key in fields}, "csrf_token": csrf}


def _cross_site(request: Request) -> bool:
    """Whether the browser says this request came from a page of another site (`Origin` names
    another host than `Host`): a form elsewhere must not sign a visitor in (login CSRF)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin == "null"
    host = origin.split("://", 1)[-1]
    return host != request.headers.get("host", "")
