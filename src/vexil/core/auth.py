"""Tokens: generation, hashing, and the in-memory lookup that authenticates requests.

Secrets are 256-bit random strings, so a single SHA-256 is the right hash (a slow password hash
buys nothing against a key that cannot be guessed, and would sit on every request). The cache maps
hash -> principal; the final comparison uses `hmac.compare_digest`. The secrets that authenticated
most recently (at most `RECENT` of them, forgotten at every change of the tokens) are kept in memory,
so that a client presenting its token again costs one dictionary lookup instead of a hash: they are
in this process's memory on every request anyway, and never leave it.

The audit log records who made each change by token name, so two names are Vexil's own and no
token created through the API may take them (docs/spec.md §4): `admin`, the configured admin
token's (`VEXIL_ADMIN_TOKEN`, or the one created on first start), and `vexil`, Vexil itself (what
it does on first start: the admin token, the demo flags).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

log = logging.getLogger("vexil.auth")

ADMIN_TOKEN_NAME = "admin"
SYSTEM_ACTOR = "vexil"
RESERVED_TOKEN_NAMES = frozenset({ADMIN_TOKEN_NAME, SYSTEM_ACTOR})
RECENT = 1024


def reserved_name_message(name: str) -> str | None:
    """Why a token may not be named `name` (None: it may)."""
    if name not in RESERVED_TOKEN_NAMES:
        return None
    whose = "the configured admin token's" if name == ADMIN_TOKEN_NAME else "Vexil's own"
    return (
        f"name: {name!r} is reserved (it is {whose} name in the audit log, which must tell them apart); "
        f"choose another name"
    )


class Role(StrEnum):
    """The one ladder of roles (docs/spec.md §4), each allowing what the ones below it allow:
    client (evaluate) < server (read configuration: SDKs) < viewer (read the management API, as a
    person) < editor (change flags, segments, overrides, flag imports) < admin (also tokens, people,
    environments, whole-state imports). People have viewer, editor or admin; tokens any of the five."""

    CLIENT = "client"
    SERVER = "server"
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


LADDER = tuple(Role)
PERSON_ROLES = (Role.VIEWER, Role.EDITOR, Role.ADMIN)
_RANK = {role: rank for rank, role in enumerate(LADDER)}
TOKEN = "token"
PERSON = "person"


def rank(role: Role) -> int:
    """Where `role` stands on the ladder (client 0 ... admin 4)."""
    return _RANK[role]


def needs(role: Role) -> str:
    """`a server token`, `an admin token`: what a request needs, in words."""
    return f"a{_an(role)} {role.value} token"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    # Which token: the hash of its secret (not the secret). What a stream keeps to be checked again.
    key: str = field(default="", repr=False)
    # The environment every evaluation made with this token happens in (None: unbound).
    environment: str | None = None
    # `token`, or `person` (signed in with a session: `name` is the email, `person_id` the id).
    kind: str = TOKEN
    person_id: int | None = None

    def can(self, needed: Role) -> bool:
        return _RANK[self.role] >= _RANK[needed]

    @property
    def is_person(self) -> bool:
        return self.kind == PERSON

    def environment_for(self, asked: str | None) -> str | None:
        """The environment an evaluation with this token happens in, given the one a caller named:
        a bound token's own (`Forbidden` if the caller named another), else the one named."""
        bound = self.environment
        if bound is None or asked is None or asked == bound:
            return bound if bound is not None else asked
        raise Forbidden(
            f"this token is bound to the environment {bound!r} and cannot evaluate in {asked!r}: "
            f"leave the environment out, or use a token of {asked!r}"
        )


class AuthError(Exception):
    """Base: no token where one is needed (401) or a token without the role (403)."""

    status = 401


class Unauthenticated(AuthError):
    status = 401


class Forbidden(AuthError):
    status = 403


def new_secret() -> str:
    return "vx_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class TokenCache:
    """Active tokens by hash. Rebuilt from the store on start and after every token change, here or
    on another replica; whoever keeps a principal for long (an open stream) subscribes to hear of
    each rebuild that changed something, and checks it again with `refusal`."""

    def __init__(self) -> None:
        self._by_hash: dict[str, tuple[str, Principal]] = {}
        self._recent: dict[str, Principal] = {}
        self._listeners: dict[int, Callable[[], None]] = {}
        self._next_id = 0

    def replace(
        self, entries: Iterable[tuple[str, str, str, str | None]], *, bootstrap_secret: str | None = None
    ) -> None:
        by_hash = {
            secret_hash: (secret_hash, Principal(name, Role(role), secret_hash, environment))
            for secret_hash, name, role, environment in entries
        }
        if bootstrap_secret:
            digest = hash_secret(bootstrap_secret)
            by_hash[digest] = (digest, Principal(ADMIN_TOKEN_NAME, Role.ADMIN, digest))
        changed = by_hash != self._by_hash
        self._by_hash = by_hash
        self._recent = {}
        if changed:
            for listener in list(self._listeners.values()):
                try:
                    listener()
                except Exception:
                    log.exception("a listener of the token cache failed: %r", listener)

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` after each rebuild that changed a token; returns the function that stops it."""
        key = self._next_id
        self._next_id += 1
        self._listeners[key] = listener

        def unsubscribe() -> None:
            self._listeners.pop(key, None)

        return unsubscribe

    def refusal(self, principal: Principal, role: Role) -> str | None:
        """Why `principal`, authenticated earlier, may no longer act as `role` (revoked, or narrowed
        below it), in plain words; None while it still may. A person's session is not a token: its
        end is heard of from the sessions (`core/sessions.Sessions.refusal`, asked by `core/streams.py`)."""
        if principal.is_person:
            return None
        entry = self._by_hash.get(principal.key)
        if entry is None:
            return "the token was revoked"
        if not entry[1].can(role):
            return f"the token no longer has the {role.value} role"
        return None

    def authenticate(self, secret: str | None) -> Principal | None:
        """The principal for a presented secret, None for no secret; Unauthenticated for a wrong one."""
        if secret is None:
            return None
        known = self._recent.get(secret)
        if known is not None:
            return known
        digest = hash_secret(secret)
        # The lookup is keyed by the digest, so its timing says nothing about the secret; the
        # final check is constant-time all the same.
        entry = self._by_hash.get(digest)
        if entry is None or not hmac.compare_digest(entry[0], digest):
            raise Unauthenticated("invalid token")
        if len(self._recent) >= RECENT:
            self._recent = {}
        self._recent[secret] = entry[1]
        return entry[1]

    def require(self, secret: str | None, role: Role) -> Principal:
        principal = self.authenticate(secret)
        if principal is None:
            raise Unauthenticated(f"this needs {needs(role)}")
        return authorize(principal, role)


def authorize(principal: Principal, role: Role) -> Principal:
    """The one decision of who may do what: `principal` if its role is `role` or above on the
    ladder, else `Forbidden` in words that say what was needed and what the caller has."""
    if principal.can(role):
        return principal
    if principal.is_person:
        raise Forbidden(
            f"this needs the {role.value} role; {principal.name} is a{_an(principal.role)} {principal.role.value}"
        )
    raise Forbidden(f"this needs {needs(role)}")


def _an(role: Role) -> str:
    return "n" if role in {Role.ADMIN, Role.EDITOR} else ""
