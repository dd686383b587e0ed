"""Where a request carries its credentials: the one reading of the token headers, and of the
session cookie and CSRF header of a signed-in person (docs/people.md)."""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie

SESSION_COOKIE = "vexil_session"
CSRF_HEADER = "X-CSRF-Token"
_CSRF = CSRF_HEADER.lower().encode("latin-1")


def token_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The presented secret, from raw ASGI headers (names lowercased): `Authorization: Bearer T` or
    a bare `Authorization: T` (what Unleash SDKs and OFREP examples send) first, then `X-API-Key`,
    then `X-Admin-Token`; None when there is none."""
    api_key = admin_token = None
    for name, value in headers:
        if name == b"authorization":
            value = value.strip()
            scheme, space, secret = value.partition(b" ")
            if not space:  # bare: the whole value is the token (a lone scheme name is none)
                if value and value.lower() != b"bearer":
                    return value.decode("latin-1")
                continue
            secret = secret.strip()
            if secret and scheme.lower() == b"bearer":
                return secret.decode("latin-1")
        elif name == b"x-api-key":
            api_key = api_key or value
        elif name == b"x-admin-token":
            admin_token = admin_token or value
    chosen = api_key or admin_token
    return chosen.decode("latin-1") if chosen else None


def session_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The session cookie's secret, from raw ASGI headers; None when there is none."""
    for name, value in headers:
        if name == b"cookie" and SESSION_COOKIE.encode() in value:
            try:
                morsel = SimpleCookie(value.decode("latin-1")).get(SESSION_COOKIE)
            except CookieError:
                continue
            if morsel is not None and morsel.value:
                return morsel.value
    return None


def csrf_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == _CSRF:
            return value.decode("latin-1")
    return None
