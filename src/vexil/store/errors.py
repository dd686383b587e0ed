"""The store's exceptions.

Every failure the store reports is a `StoreError`; database driver errors never leave the
store untranslated (the original stays reachable as `__cause__`):

    StoreError
     ├── NotFound           no flag, segment or token by that name
     ├── Conflict           duplicate name, version mismatch, segment in use, ...
     └── StoreUnavailable   the database cannot be reached (or is locked/busy)

The HTTP layer maps them to 404, 409 and 503; the message is meant for the user.
"""

from __future__ import annotations

__all__ = ["Conflict", "NotFound", "StoreError", "StoreUnavailable"]


class StoreError(Exception):
    """Base class of everything the store raises on purpose."""


class NotFound(StoreError):
    """The named entity does not exist."""


class Conflict(StoreError):
    """The write contradicts the stored state: a duplicate name, a stale version, a segment in use."""


class StoreUnavailable(StoreError):
    """The database is unreachable or refused to serve the request; retrying later may succeed."""
