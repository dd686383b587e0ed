"""Errors to HTTP, in one place. Routes raise; these handlers answer `{"error": "..."}`.

StoreError ─┬─ NotFound        404      AuthError ─┬─ Unauthenticated 401
            ├─ Conflict        409                 └─ Forbidden       403
            └─ StoreUnavailable 503     InvalidInput                  422
RequestValidationError 422 (400 for malformed JSON) · HTTPException as given
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from vexil.api.auth import AuthError
from vexil.api.schemas import ErrorOut
from vexil.api.validation import InvalidInput
from vexil.store.errors import Conflict, NotFound, StoreError, StoreUnavailable

STATUS_BY_ERROR: dict[type[Exception], int] = {
    NotFound: 404,
    Conflict: 409,
    StoreUnavailable: 503,
    StoreError: 500,
    InvalidInput: 422,
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "Malformed request",
        401: "Missing or invalid token",
        403: "Token lacks the role",
        404: "Not found",
        409: "Conflict",
        413: "Body over 1 MiB",
        422: "Invalid input",
    }.items()
}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def _message(exc: Exception) -> str:
    return str(exc.args[0]) if exc.args else type(exc).__name__


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(_status_for(exc), _message(exc))


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    headers = {"www-authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, _message(exc), headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}))


def describe_validation_error(errors: list[Any]) -> tuple[int, str]:
    """One readable line from pydantic's error list; malformed JSON is a 400."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return 400, "malformed JSON body"
    location = ".".join(str(part) for part in first.get("loc", ()) if part not in {"body", "query", "path"})
    message = first.get("msg", "invalid input")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return 422, f"{location}: {message}{more}" if location else f"{message}{more}"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    status, message = describe_validation_error(list(exc.errors()))
    return error_response(status, message)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(AuthError, _auth_error)
    for error in STATUS_BY_ERROR:
        app.add_exception_handler(error, _domain_error)
