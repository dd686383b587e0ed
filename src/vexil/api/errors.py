"""Errors to HTTP, in one place. Every surface raises; `describe()` gives the status and the
`{"error": "..."}` message, for the FastAPI routes (through `install`) and the raw ASGI layer alike.

StoreError ─┬─ NotFound         404     AuthError ─┬─ Unauthenticated 401 (+ WWW-Authenticate)
   (500)    ├─ Conflict         409                └─ Forbidden       403
            ├─ InvalidValue     400     InvalidInput (core)           400
            └─ StoreUnavailable 503
BadRequest (HTTP: a request this layer refuses)             400, or its own status and headers
                                                            (408, 413, 431, 503 + Retry-After)
pydantic ValidationError / RequestValidationError           400, one readable line
HTTPException                                               as given

Every 400 says which field, what is wrong and what is expected, in plain words
(`rules[0].conditions[1].value: gt compares numbers; "abc" is not a number`): the core and the
engine write their messages so; pydantic's are reworded by `describe_validation_error`
(docs/errors.md has the rules).

A 500 says "internal error" and nothing else: what went wrong is logged, never answered (it could
quote SQL, a driver's message, an address or a path).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from pydantic_core.core_schema import ErrorType
from starlette.exceptions import HTTPException

from vexil.api.inputs import UNKNOWN_FIELD
from vexil.core.auth import AuthError
from vexil.core.names import NAME_PATTERN, NAME_RULE
from vexil.core.validation import InvalidInput
from vexil.engine import show_value
from vexil.store.errors import Conflict, InvalidValue, NotFound, StoreError, StoreUnavailable

log = logging.getLogger("vexil.api")
INTERNAL_ERROR = "internal error"


class BadRequest(Exception):
    """A request refused before it reaches the core: malformed, wrong-typed, too large or too slow,
    or one the server has no room for now (503, with a Retry-After header)."""

    def __init__(self, message: str, status: int = 400, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


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
        return exc.status, _message(exc), exc.headers
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


def describe_validation_error(errors: Sequence[Mapping[str, Any]]) -> str:
    """One plain line from pydantic's error list: the first problem, and how many more there are."""
    problems = _best_union_member(list(errors))
    if not problems:
        return "the request is not valid"
    more = len(problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return _plain(problems[0]) + tail


_ORIGINS = frozenset({"body", "query", "path", "header", "cookie"})
_BODY_NOT_AN_OBJECT = frozenset({"missing", "model_type", "dict_type", "model_attributes_type"})
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
DATE_TIME_RULE = "use an ISO 8601 date and time such as 2026-01-01T00:00:00Z"


def _plain(error: Mapping[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "json_invalid":
        return "the body is not valid JSON"
    loc = tuple(error.get("loc", ()))
    origin = loc[0] if loc and loc[0] in _ORIGINS else None
    loc = loc[1:] if origin else loc
    if kind == UNKNOWN_FIELD:
        loc = (*loc, ctx.get("field"))
    text = _words(kind, ctx, error)
    if len(loc) >= 2 and loc[-1] == "[key]":  # the key of an object, not its value, is refused
        return f"{_field_path(loc[:-2])}[{show_value(loc[-2])}]: this key is not accepted; {text}"
    path = _field_path(loc)
    if not path and origin == "body":
        if kind in _BODY_NOT_AN_OBJECT:
            return "the body must be a JSON object"
        path = "body"
    return f"{path}: {text}" if path else text


def _field_path(loc: Iterable[Any]) -> str:
    """`rules[0].conditions[1].value` from pydantic's `("rules", 0, "conditions", 1, "value")`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            path += f".{part}" if path else str(part)
        else:
            path += f"[{show_value(part)}]"
    return path


def _choices(expected: str) -> str:
    return expected.replace("'", "")


def _plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


Words = Callable[[Mapping[str, Any], Any], str]


def _always(text: str) -> Words:
    return lambda ctx, value: text


def _choice(ctx: Mapping[str, Any], value: Any) -> str:
    return f"{show_value(value)} is not accepted; use {_choices(ctx['expected'])}"


def _validator_said(ctx: Mapping[str, Any], value: Any) -> str:
    return str(ctx.get("error", "this value is not accepted"))


# Error types that all mean the same to a person.
_ALIKE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("bool_type", "bool_parsing"), "use true or false"),
    (("int_type", "int_parsing", "int_from_float", "int_parsing_size"), "use a whole number"),
    (("float_type", "float_parsing", "finite_number"), "use a number"),
    (("string_type", "string_unicode", "string_sub_type"), "use a string"),
    (("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"), "use a list"),
    (("dict_type", "model_type", "model_attributes_type", "dataclass_type", "mapping_type"), "use an object"),
    (("datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"), DATE_TIME_RULE),
    (("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"), DATE_TIME_RULE),
)

# What each of pydantic's error types means for a person: what is expected, sometimes what is wrong.
_WORDS: dict[str, Words] = {
    **{kind: _always(text) for kinds, text in _ALIKE for kind in kinds},
    "missing": _always("this field is required"),
    "extra_forbidden": _always("this field is not known"),
    "none_required": _always("use null"),
    "union_tag_invalid": lambda ctx, value: (
        f"{str(ctx.get('discriminator', 'kind')).strip(chr(39))} {ctx.get('tag')!r} is not known; "
        f"use one of {ctx.get('expected_tags')}"
    ),
    "timezone_aware": _always("give the time zone too (Z for UTC), such as 2026-01-01T00:00:00Z"),
    "string_pattern_mismatch": lambda ctx, value: (
        NAME_RULE if ctx.get("pattern") == NAME_PATTERN else "this text is not in the expected form"
    ),
    "literal_error": _choice,
    "enum": _choice,
    "greater_than_equal": lambda ctx, value: f"use a number of at least {ctx['ge']}",
    "greater_than": lambda ctx, value: f"use a number greater than {ctx['gt']}",
    "less_than_equal": lambda ctx, value: f"use a number of at most {ctx['le']}",
    "less_than": lambda ctx, value: f"use a number less than {ctx['lt']}",
    "too_long": lambda ctx, value: f"use at most {_plural(ctx['max_length'], 'item')}",
    "too_short": lambda ctx, value: f"use at least {_plural(ctx['min_length'], 'item')}",
    "string_too_long": lambda ctx, value: f"use at most {_plural(ctx['max_length'], 'character')}",
    "string_too_short": lambda ctx, value: f"use at least {_plural(ctx['min_length'], 'character')}",
    "value_error": _validator_said,
    "assertion_error": _validator_said,
}


# pydantic's own error types; any other was raised by a validator of ours, already in plain words.
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))


def _words(kind: str, ctx: Mapping[str, Any], error: Mapping[str, Any]) -> str:
    if kind not in _PYDANTIC_TYPES:  # EXPECTED, UNKNOWN_FIELD: api/inputs.py
        return str(error.get("msg", ""))
    words = _WORDS.get(kind)
    try:
        return words(ctx, error.get("input")) if words else "this value is not accepted here"
    except (KeyError, TypeError):
        return "this value is not accepted here"


def _best_union_member(errors: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Where a union of models (`Thing | Other`) failed, only the errors of its best-matching member
    (the one with the fewest; the first of those), without the member's name in their path."""
    tags = _model_names()
    while True:
        found = next(
            (
                (tuple(error["loc"][:at]), at)
                for error in errors
                for at, part in enumerate(error.get("loc", ()))
                if isinstance(part, str) and part in tags
            ),
            None,
        )
        if found is None:
            return errors
        prefix, at = found
        members: dict[str, list[int]] = {}
        for position, error in enumerate(errors):
            loc = tuple(error.get("loc", ()))
            if len(loc) > at and loc[:at] == prefix and loc[at] in tags:
                members.setdefault(loc[at], []).append(position)
        best: list[int] = min(members.values(), key=len)
        others = {position for group in members.values() for position in group} - set(best)
        errors = [
            {**error, "loc": (*error["loc"][:at], *error["loc"][at + 1 :])} if position in best else error
            for position, error in enumerate(errors)
            if position not in others
        ]


def _model_names() -> set[str]:
    """The names of every pydantic model: how pydantic names a union's member in an error's path."""
    names: set[str] = set()
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for model in pending.pop().__subclasses__():
            if model.__name__ not in names:
                names.add(model.__name__)
                pending.append(model)
    return names


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
