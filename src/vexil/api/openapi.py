"""The OpenAPI document and `/docs`: security that matches each route, errors that are true for it.

Why here: FastAPI documents every route with the same blanket of errors and no security. This module
says, per route, which token it checks (a bearer scheme and the `X-API-Key` one, so Swagger UI's
"Authorize" works) and which `{"error"}` statuses it can answer, from facts the code already holds:
the role a route's dependencies require (`api/deps.py`), whether it reads a body, takes parameters
or names a resource in its path. The raw layer's endpoints declare theirs in their tables
(`Endpoint.token`, `Endpoint.errors`), documented by `api/routes/hot.py` with the same helpers.

`/docs` is Swagger UI from the pinned `swagger-ui-py` package, its files served by Vexil under
`/docs/assets/`: nothing is loaded from another host, so the page works offline. docs/api-docs.md
has the rules.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from vexil.api.credentials import CSRF_HEADER, SESSION_COOKIE
from vexil.api.deps import needed_role
from vexil.api.errors import ERROR_RESPONSES, ErrorOut
from vexil.api.params import plain_parameters
from vexil.core.auth import Role

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
OPENAPI_PATH = "/openapi.json"
# The package directory holding Swagger UI's files (found, not imported: its module needs Jinja2).
SWAGGER_FILES = ("swagger_ui", "static")

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <token>` (a bare `Authorization: <token>` is accepted too).",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`X-API-Key: <token>`."},
}
# The management routes (not the evaluation endpoints) also take a signed-in person's session.
SESSION_SCHEME: dict[str, dict[str, Any]] = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The session cookie set by `POST /session` (docs/people.md). A change made with it "
        f"(POST, PUT, PATCH, DELETE) also needs the `{CSRF_HEADER}` header: the session's `csrf_token`, "
        "given by `POST /session` and `GET /whoami`; without it, 403.",
    }
}
_ANY_SCHEME: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]

# Routes that read a token when one is given, and answer without one (more, or the same, with it).
READS_TOKEN_IF_GIVEN = frozenset({("GET", "/health")})
# Routes that name a resource in their body rather than their path (so they can answer 404).
NAMES_IN_BODY = frozenset({("POST", "/flags/toggle"), ("POST", "/flags/set"), ("POST", "/flags/delete")})

_ROLE_WORDS = {
    Role.CLIENT: "any token",
    Role.SERVER: "a token of the server role or above",
    Role.VIEWER: "a token or person of the viewer role or above",
    Role.EDITOR: "a token or person of the editor or admin role (or the session's CSRF header is missing)",
    Role.ADMIN: "an admin token or person (or the session's CSRF header is missing)",
}
_OPEN_401 = "Only when the server requires client tokens (VEXIL_REQUIRE_CLIENT_TOKEN): no token, or not a valid one"
_OPEN_403 = "A token bound to one environment, asked for another"
_OTHER_WORDS = {
    503: "The database is unreachable, or the server holds as many event streams as it can: retry later",
    404: "Not found: the message names what",
    409: "Conflict: it exists already, is in use, or changed meanwhile (reload and retry)",
}


def security(role: Role | None, *, optional: bool, session: bool = False) -> list[dict[str, list[str]]]:
    """The OpenAPI `security` of a route: a token of `role` required (or, with `session`, a
    person's session), a token optional (`{}` first), or none read at all (an empty list)."""
    if role is not None:
        schemes = list(_ANY_SCHEME)
        if session:
            schemes.append({"session": []})
        return schemes
    return [{}, *_ANY_SCHEME] if optional else []


def error_responses(statuses: set[int] | tuple[int, ...], role: Role | None) -> dict[str, dict[str, Any]]:
    """The `{"error"}` answers `statuses`, described for a route that requires `role` (None: optional)."""
    answers: dict[str, dict[str, Any]] = {}
    for status in sorted(statuses):
        answer = dict(ERROR_RESPONSES.get(status) or {"model": ErrorOut, "description": _OTHER_WORDS[status]})
        if status == 401 and role is None:
            answer["description"] = _OPEN_401
        elif status == 403:
            answer["description"] = _OPEN_403 if role is None else f"The token is not {_ROLE_WORDS[role]}"
        elif status in _OTHER_WORDS:
            answer["description"] = _OTHER_WORDS[status]
        answers[str(status)] = answer
    return answers


def route_errors(route: APIRoute, method: str, operation: dict[str, Any]) -> set[int]:
    """The statuses a FastAPI route can answer with `{"error"}`, from what it checks and reads."""
    role = needed_role(route)
    body = "requestBody" in operation
    checks_text = any(dep.call is plain_parameters for dep in route.dependant.dependencies)
    statuses: set[int] = set()
    if body or operation.get("parameters") or checks_text:
        statuses.add(400)
    if role is not None:
        statuses.add(401)
        if role is not Role.CLIENT:
            statuses.add(403)
    if body:
        statuses.add(413)
    if route.dependant.path_params or (method, route.path) in NAMES_IN_BODY:
        statuses.add(404)
    if role in {Role.EDITOR, Role.ADMIN} and method != "GET":
        statuses |= {409, 503}
    return statuses


def _schema_of(answer: dict[str, Any]) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{ErrorOut.__name__}"}
    return {"description": answer["description"], "content": {"application/json": {"schema": ref}}}


def document_routes(schema: dict[str, Any], routes: list[APIRoute], raw: set[tuple[str, str]]) -> None:
    """Write each FastAPI route's security and true errors into `schema` (the raw layer's endpoints,
    `raw`, are documented by `api/routes/hot.py`). Error statuses FastAPI added (the routers' blanket,
    its 422) are replaced; others (a 304, say) are kept."""
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES | SESSION_SCHEME
    components.setdefault("schemas", {})[ErrorOut.__name__] = ErrorOut.model_json_schema()
    for route in routes:
        for method in sorted(route.methods or ()):
            operation = schema["paths"].get(route.path, {}).get(method.lower())
            if operation is None or (method, route.path) in raw:
                continue
            role = needed_role(route)
            optional = (method, route.path) in READS_TOKEN_IF_GIVEN
            operation["security"] = security(role, optional=optional, session=True)
            responses = operation["responses"]
            for status in [*ERROR_RESPONSES, 422, 503]:
                responses.pop(str(status), None)
            errors = error_responses(route_errors(route, method, operation), role)
            responses.update({status: _schema_of(answer) for status, answer in errors.items()})


def mount_docs(api: FastAPI) -> None:
    """`/docs`: Swagger UI from this server's own copy of its files (FastAPI's default page loads
    them from a CDN, and shows nothing offline)."""

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="Vexil API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True, "tryItOutEnabled": True},
        )

    api.add_api_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
    api.mount(ASSETS_PATH, StaticFiles(packages=[SWAGGER_FILES]), name="docs-assets")
