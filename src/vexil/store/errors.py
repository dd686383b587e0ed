"""The store's exceptions.

Every failure the store reports is a `StoreError`; database driver errors never leave the
store untranslated (the original stays reachable as `__cause__`, and in the log):

    StoreError
     ├── NotFound           no flag, segment or token by that name
     ├── Conflict           duplicate name, version mismatch, segment in use, ...
     ├── InvalidValue       a value no database of Vexil's can hold (a NUL character, an unpaired
     │                      surrogate, NaN, an instant outside years 1 to 9999, ...): refused the
     │                      same way on SQLite and PostgreSQL
     └── StoreUnavailable   the database cannot be reached (or is locked/busy, or its disk is full)

The HTTP layer maps them to 404, 409, 400 and 503 (a bare `StoreError` is a 500 that says only
"internal error"). Messages are plain words meant for the user: they never quote SQL, a driver's
message, an address or a file path.
"""

from __future__ import annotations

__all__ = ["Conflict", "InvalidValue", "NotFound", "StoreError", "StoreUnavailable"]


class StoreError(Exception):
    """Base class of everything the store raises on purpose."""


class NotFound(StoreError):
    """The named entity does not exist."""


class Conflict(StoreError):
    """The write contradicts the stored state: a duplicate name, a stale version, a segment in use."""


class InvalidValue(StoreError):
    """A value the database cannot store or compare; the message names where it is and why."""


class StoreUnavailable(StoreError):
    """The database is unreachable or refused to serve the request; retrying later may succeed."""
