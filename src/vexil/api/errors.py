"""Errors to HTTP, in one place. Every surface raises; `describe()` gives the status and the
`{"error": "..."}` message, for the FastAPI routes (through `install`) and the raw ASGI layer alike.

StoreError ─┬─ NotFound         404     AuthError ─┬─ Unauthenticated 401 (+ WWW-Authenticate)
   (500)    ├─ Conflict         409                └─ Forbidden       403
            ├─ InvalidValue     400     InvalidInput (core)           400
            └─ StoreUnavailable 503
BadRequest (HTTP: a body or parameter this layer refuses)   400, or its own status (413)
pydantic ValidationError / RequestValidationError           400, one readable line
HTTPException                                               as given

A 500 says "internal error" and nothing else: what went wrong is logged, never answered (it could
quote SQL, a driver's message, an address or a path).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from vexil.core.auth import AuthError
from vexil.core.validation import InvalidInput
from vexil.store.errors import Conflict, InvalidValue, NotFound, StoreError, StoreUnavailable

log = logging.getLogger("vexil.api")
INTERNAL_ERROR = "internal error"


class BadRequest(Exception):
    """A request refused before it reaches the core: malformed, wrong-typed, or too large."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ErrorOut(BaseModel):
    error: str


STATUS_BY_ERROR: dict[type[Exception], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidValue: 400,
    StoreUnavailable: 503,
    StoreError: 500,
    InvalidInput: 400,
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "Invalid input: the message names the field, what is wrong and what is expected",
        401: "Missing or invalid token",
        403: "Token lacks the role",
        404: "Not found",
        409: "Conflict",
        413: "Body too large",
    }.items()
}


def describe(exc: Exception) -> tuple[int, str, dict[str, str] | None]:
    """Status, message and extra headers for an exception raised while answering a request."""
    if isinstance(exc, AuthError):
        return exc.status, _message(exc), {"www-authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, BadRequest):
        return exc.status, _message(exc), None
    if isinstance(exc, RequestValidationError | ValidationError):
        return 400, describe_validation_error(list(exc.errors())), None
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail), dict(exc.headers or {})
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            status = STATUS_BY_ERROR[cls]
            if status == 500:
                break
            return status, _message(exc), None
    log.error("internal error answering a request: %r", exc, exc_info=exc)
    return 500, INTERNAL_ERROR, None


def _message(exc: Exception) -> str:
    return str(exc.args[0]) if exc.args else type(exc).__name__


def describe_validation_error(errors: list[Any]) -> str:
    """One readable line from pydantic's error list."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return "malformed JSON body"
    location = ".".join(str(part) for part in first.get("loc", ()) if part not in {"body", "query", "path"})
    message = first.get("msg", "invalid input")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{location}: {message}{more}" if location else f"{message}{more}"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    return error_response(*describe(exc))


HANDLED: tuple[type[Exception], ...] = (
    RequestValidationError,
    ValidationError,
    HTTPException,
    AuthError,
    BadRequest,
    *STATUS_BY_ERROR,
)


def install(app: FastAPI) -> None:
    for error in HANDLED:
        app.add_exception_handler(error, _handle)
