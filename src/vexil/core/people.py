"""People: accounts with an email, a name, a role and a password, for the admin UI (docs/people.md).

Passwords are hashed with argon2id through `argon2-cffi` (the reference implementation's
bindings, with RFC 9106's low-memory parameters as its defaults): unlike a token's 256 random bits
(`core/auth.py`, one SHA-256), a password can be guessed, so its hash must be slow and memory-hard.
Hashing takes tens of milliseconds, so callers in the event loop run it in a worker thread
(`hash_password`, `verify_password` are plain functions for `asyncio.to_thread`).

An email is one person whatever its case: it is kept lowercased (`normal_email`), and the store's
unique index does the rest. A person without a password hash (None) cannot sign in with a
password: room for people who only sign in through single sign-on.

The last admin person may not be deleted, disabled or demoted, and the last admin token may not be
revoked while no admin person exists (the store checks both in the write's own transaction,
`store/_people.py`): an installation is never left with nobody able to manage it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from vexil.core.auth import PERSON_ROLES
from vexil.core.validation import InvalidInput
from vexil.store.sql import SqlStore

Doc = dict[str, Any]

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 200
MAX_EMAIL = 254
# Deliberately loose: one @, something on both sides, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_NAMES = tuple(role.value for role in PERSON_ROLES)


_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (a PHC string with its own salt and parameters)."""
    return _hasher.hash(password)


# What a sign-in with an unknown email is checked against, so that it costs what a known one
# does and its timing does not say whether the email exists.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the `stored` hash; None (unknown email, or no password) checks
    against a dummy hash all the same, and is False."""
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normal_email(value: Any) -> str:
    """`value` as the email of a person (trimmed, lowercased), or `InvalidInput` saying why not."""
    if not isinstance(value, str):
        raise InvalidInput("email: give the person's email address as text")
    email = value.strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise InvalidInput(f"email: {value!r} is not an email address (such as alice@example.com)")
    return email


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise InvalidInput(f"name: give the person's name, 1 to {MAX_NAME} characters")
    return value.strip()


def check_role(value: Any) -> str:
    if value not in ROLE_NAMES:
        raise InvalidInput(f"role: {value!r} is not a person's role (use {', '.join(ROLE_NAMES)})")
    return str(value)


def check_password(value: Any) -> str:
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput(f"password: use {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return value


def person_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a new person, or of a change to one (only those given are checked;
    `password` stays in clear here: the caller hashes it off the event loop)."""
    checks = {
        "email": normal_email,
        "name": check_name,
        "role": check_role,
        "password": check_password,
        "disabled": _check_disabled,
    }
    return {key: checks[key](value) for key, value in fields.items() if key in checks and value is not None}


def _check_disabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("disabled: use true or false")
    return value


class People:
    """Managing people: every change checked here, passwords hashed off the event loop, the store
    writes (and audits) it; `changed` is called after each change (the session cache forgets)."""

    def __init__(self, store: SqlStore, changed: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.changed = changed

    async def create(self, fields: Mapping[str, Any], *, actor: str) -> Doc:
        missing = [key for key in ("email", "name", "role") if fields.get(key) is None]
        if missing:
            raise InvalidInput(f"{missing[0]}: required")
        checked = person_fields(fields)
        password = checked.pop("password", None)
        checked["password_hash"] = None if password is None else await asyncio.to_thread(hash_password, password)
        checked.pop("disabled", None)
        return await self.store.create_person(checked, actor=actor)

    async def update(self, person_id: int, fields: Mapping[str, Any], *, actor: str) -> Doc:
        if "email" in fields:
            raise InvalidInput("email: a person's email cannot change; create a new person instead")
        checked = person_fields(fields)
        password = checked.pop("password", None)
        if password is not None:
            checked["password_hash"] = await asyncio.to_thread(hash_password, password)
        if not checked:
            raise InvalidInput("give at least one of name, role, password, disabled")
        try:
            return await self.store.update_person(person_id, checked, actor=actor)
        finally:
            self.changed()

    async def delete(self, person_id: int, *, actor: str) -> Doc:
        try:
            return await self.store.delete_person(person_id, actor=actor)
        finally:
            self.changed()
