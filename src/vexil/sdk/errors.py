"""What the SDK raises when talking to the flag service fails.

Evaluation calls never raise: they log and answer the caller's default (or an `Evaluation` whose
`error_code` says what went wrong). These exceptions surface where a failure is the answer, such
as `Client.last_error`, and inside the SDK, where every `httpx` error is translated at the
boundary and chained (`raise ... from exc`), so the original stays in `__cause__`::

    FlagServiceError                 any failure talking to the flag service
    ├── ServiceUnavailable           no answer: connection refused or reset, timeout, protocol error
    └── ResponseError                an answer the SDK cannot use (`status_code` when there is one)
        ├── Unauthorized             401 or 403: no token, a wrong one, or one whose role is too small
        └── InvalidResponse          a body or stream event that is not what docs/live.md describes
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

__all__ = [
    "FlagServiceError",
    "InvalidResponse",
    "ResponseError",
    "ServiceUnavailable",
    "Unauthorized",
    "check_status",
    "translate_errors",
]


class FlagServiceError(Exception):
    """Base class of every error the SDK raises."""


class ServiceUnavailable(FlagServiceError):
    """The service could not be reached, or did not answer in time."""


class ResponseError(FlagServiceError):
    """The service answered, but not with something the SDK can use."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Unauthorized(ResponseError):
    """The token is missing, unknown, revoked, or its role does not allow the request."""


class InvalidResponse(ResponseError):
    """A body or an event that does not have the documented shape."""


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn httpx's exceptions into the SDK's, keeping the original as `__cause__`."""
    try:
        yield
    except httpx.TransportError as exc:
        raise ServiceUnavailable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc
    except httpx.StreamError as exc:  # e.g. a stream read after the client was closed
        raise ServiceUnavailable(f"{type(exc).__name__}: {exc}") from exc


def check_status(response: httpx.Response, *, allowed: tuple[int, ...] = (200,)) -> None:
    """Raise the matching `ResponseError` unless the response's status is one of `allowed`."""
    status = response.status_code
    if status in allowed:
        return
    detail = _error_detail(response)
    message = f"{response.request.method} {response.request.url.path} answered {status}{detail}"
    if status in (401, 403):
        raise Unauthorized(message, status_code=status)
    raise ResponseError(message, status_code=status)


def _error_detail(response: httpx.Response) -> str:
    """`: <the service's error message>` when the body has been read and names one."""
    try:
        body = response.json()
    except (ValueError, httpx.ResponseNotRead):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return f": {error}" if isinstance(error, str) else ""
