"""Where a request carries its token: the one reading of the credential headers."""

from __future__ import annotations

from collections.abc import Mapping


def token_from_headers(headers: Mapping[str, str]) -> str | None:
    """`Authorization: Bearer`, then `x-api-key`, then `x-admin-token` (header names lowercased)."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return headers.get("x-api-key") or headers.get("x-admin-token") or None
