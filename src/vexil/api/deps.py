"""Request dependencies of the FastAPI routes: the runtime, the service and the caller's principal,
as `Annotated` aliases. `needed_role(route)` reads which role a route's dependencies require, so
that the body limit (`api/limits.py`) can check the caller before it reads a body.

`authenticate` is the one authentication of a management request: a token when one is presented
(as before, and unaffected by CSRF), else the session cookie of a signed-in person, whose writes
must carry the session's CSRF token in `X-CSRF-Token` (docs/people.md). The evaluation endpoints
do not come here: they read tokens only (`api/surface.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from vexil.api.credentials import CSRF_HEADER, csrf_from_headers, session_from_headers, token_from_headers
from vexil.api.runtime import Runtime
from vexil.core.auth import Forbidden, Principal, Role, Unauthenticated, authorize, rank
from vexil.core.service import FlagService
from vexil.core.sessions import csrf_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_ENDED = "the session has ended (signed out, expired, or the person disabled): sign in again"
NO_CSRF = (
    f"a change made with a session cookie needs the {CSRF_HEADER} header of the session "
    f"(given by POST /session and GET /whoami)"
)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_service(runtime: RuntimeDep) -> FlagService:
    return runtime.service


ServiceDep = Annotated[FlagService, Depends(get_service)]


async def authenticate(runtime: Runtime, headers: list[tuple[bytes, bytes]], method: str, role: Role) -> Principal:
    """The caller of a management request, if it has `role` or above (see the module)."""
    secret = token_from_headers(headers)
    cookie = None if secret is not None else session_from_headers(headers)
    if cookie is None:
        return runtime.service.tokens.require(secret, role)
    principal = await runtime.sessions.principal(cookie)
    if principal is None:
        raise Unauthenticated(SESSION_ENDED)
    if method not in SAFE_METHODS and not csrf_matches(cookie, csrf_from_headers(headers)):
        raise Forbidden(NO_CSRF)
    return authorize(principal, role)


class RoleCheck:
    """The dependency that requires a caller of `role` (or above) and gives its principal."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, request: Request, runtime: RuntimeDep) -> Principal:
        return await authenticate(runtime, request.scope["headers"], request.method, self.role)


Admin = Annotated[Principal, Depends(RoleCheck(Role.ADMIN))]
Editor = Annotated[Principal, Depends(RoleCheck(Role.EDITOR))]
AnyToken = Annotated[Principal, Depends(RoleCheck(Role.CLIENT))]
Reader = Annotated[Principal, Depends(RoleCheck(Role.SERVER))]


def needed_role(route: BaseRoute) -> Role | None:
    """The highest role that `route`'s dependencies require; None for a route open to anyone."""
    dependant: Dependant | None = getattr(route, "dependant", None)
    roles: list[Role] = []
    stack = [dependant] if dependant is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current.call, RoleCheck):
            roles.append(current.call.role)
        stack.extend(current.dependencies)
    return max(roles, key=rank) if roles else None
