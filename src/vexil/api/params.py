"""Query and path parameters as text every backend takes: no NUL character, no unpaired surrogate.

PostgreSQL cannot compare a NUL (a filter such as `?actor=%00` would fail in the driver) while
SQLite can; the store refuses both kinds alike (`vexil.store.check_text`), and so does every route
that depends on `plain_parameters`, before reading a parameter, whether or not it reaches the
database: `GET /flags?q=%00` is refused like `GET /audit?actor=%00`, with a 400 naming the parameter.
"""

from __future__ import annotations

from fastapi import Request

from vexil.store import check_text


def plain_parameters(request: Request) -> None:
    """A dependency: `InvalidValue` (400) for a query or path parameter that is not plain text."""
    for key, value in request.query_params.multi_items():
        check_text(key, "a query parameter's name")
        check_text(value, key[:40])
    for key, value in request.path_params.items():
        if isinstance(value, str):
            check_text(value, key)
