"""Settings, read once from flags and environment variables and passed in (nothing global)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_DATA_DIR = Path("vexil-data")
ADMIN_TOKEN_FILE = "admin-token"
KIB = 1024
MIB = 1024 * 1024
# The default connection limit's ceiling, whatever the open-file limit: about what the streams'
# default memory (1 GiB at ~20 KiB a stream) allows.
MAX_DEFAULT_CONNECTIONS = 50_000
CLIENT_REASONS = ("full", "coarse")


# Counts kept in memory longer than this would lose more to a crash than docs/usage.md promises.
MAX_USAGE_FLUSH_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Settings:
    """How one Vexil server runs. `Settings.from_env()` reads the `VEXIL_*` variables."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    redis_url: str | None = None
    admin_token: str | None = field(default=None, repr=False)
    require_client_token: bool = False
    demo: bool = False
    workers: int = 1
    # Request bodies, by route and caller (`api/limits.py`): admin writes and server or admin
    # callers of the evaluation endpoints; POST /import (admin only: an export of a large
    # installation is bigger than any other request); anonymous and client-token callers.
    max_body_bytes: int = 1024 * 1024
    max_import_bytes: int = 256 * 1024 * 1024
    max_client_body_bytes: int = 64 * 1024
    # The request line and headers of one request (431 past it; `api/protocol.py`).
    max_header_bytes: int = 64 * 1024
    # Seconds a request may take to send its headers (from the connection, or its first byte on a
    # kept-alive one), and its body (from the end of its headers); then 408 and the connection is closed.
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    # Open connections per process, streams included (None: 90% of the open-file limit, which
    # `vexil serve` raises to its hard limit, and at most 50,000). Past it, a new connection is
    # answered 503, except GET /health.
    max_connections: int | None = None
    # Requests per process whose body is still arriving (each holds up to its limit meanwhile);
    # past it, 503. A body that arrives with its headers is not counted.
    max_pending_bodies: int = 1000
    # What all open event streams may hold together, as estimated per stream (`core/streams.py`);
    # a stream over it is refused with 503 and Retry-After, never an open one dropped.
    stream_memory_bytes: int = 1024 * 1024 * 1024
    # Names one `flags` list may hold (POST /evaluate, POST /stream), or the number of flags if larger.
    max_listed_flags: int = 1000
    # Seconds between checks of the database for changes made by other processes (None: 1 s with a
    # change bus, 0.2 s without one, i.e. SQLite; see vexil.bus).
    sync_interval: float | None = None
    # Bytes of client answers kept for clients that ask the same thing again (`api/answers.py`).
    answer_cache_bytes: int = 32 * 1024 * 1024
    # Flag usage (docs/usage.md): whether evaluations are counted at all (`VEXIL_USAGE=off`: usage
    # reads answer what is stored, and the not-evaluated stale signal has no new evidence), seconds
    # between flushes of the counts (at most 10), and how many days hourly and daily counts are kept.
    usage: bool = True
    usage_flush_seconds: float = 10.0
    usage_hourly_days: int = 30
    usage_daily_days: int = 365
    # Seconds between runs of the executor of scheduled changes and release plans (docs/schedules.md).
    schedule_seconds: float = 5.0
    # Distinct contexts recently evaluated, kept in memory for the impact preview (docs/impact.md; 0: none).
    impact_sample: int = 10_000
    # Seconds between `: ping` comments on open event streams (proxies close idle connections).
    stream_heartbeat: float = 15.0
    # Seconds a webhook receiver has to answer (docs/webhooks.md); a dead replica's attempts are
    # taken over after six times this.
    webhook_timeout_seconds: float = 10.0
    # Once started, move the objects built at startup (modules, the app, the compiled flags) out of
    # the cyclic collector's sight (`gc.freeze`) and collect the young generation less often, so
    # that full collections do not stop every open stream for 100+ ms (`api/lifecycle.py`). On
    # for servers built from the environment (`vexil serve`), off for in-process apps such as
    # tests', where it would keep whatever garbage earlier apps left and outlive the app.
    freeze_gc: bool = False
    # --- health and what callers are told (docs/deployment.md "Health checks", docs/spec.md §2) ---
    # Show why storage or the bus is down (driver messages, addresses, paths) to anonymous callers
    # of /health too; without it, only callers with a server or admin token see them.
    health_details: bool = False
    # Below this much free space in the SQLite database's directory, /health says `degraded`.
    min_free_disk_bytes: int = 100 * 1024 * 1024
    # `full`: client surfaces give the engine's reasons; `coarse`: only `flag_not_found`,
    # `disabled` and `targeting_match`, which reveal neither allowlists nor targeting.
    client_reasons: str = "full"
    # --- people's sessions (docs/people.md) ---
    # A session ends after this many minutes without a request, and this many hours after sign-in.
    session_idle_minutes: float = 12 * 60
    session_max_hours: float = 7 * 24
    # Mark the session cookie Secure even when the request did not come over https (behind a TLS
    # proxy that does not say so); it is Secure anyway when the request came over https.
    secure_cookies: bool = False
    # Single sign-on with OpenID Connect (docs/people.md "Single sign-on"); None: not configured.
    oidc: OidcSettings | None = None

    @property
    def coarse_reasons(self) -> bool:
        """Whether client surfaces give coarse reasons (`client_reasons == "coarse"`)."""
        return self.client_reasons == "coarse"

    def __post_init__(self) -> None:
        if not 0 < self.usage_flush_seconds <= MAX_USAGE_FLUSH_SECONDS:
            raise ValueError(
                f"VEXIL_USAGE_FLUSH_SECONDS: use a number of seconds above 0 and at most {MAX_USAGE_FLUSH_SECONDS}"
            )
        if self.impact_sample < 0:
            raise ValueError("VEXIL_IMPACT_SAMPLE: use a number of contexts, 0 or more")
        if self.client_reasons not in CLIENT_REASONS:
            raise ValueError(f"VEXIL_CLIENT_REASONS: use {' or '.join(CLIENT_REASONS)}, not {self.client_reasons!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls(
            host=env.get("VEXIL_HOST", DEFAULT_HOST),
            port=int(env.get("VEXIL_PORT", DEFAULT_PORT)),
            data_dir=Path(env.get("VEXIL_DATA_DIR", str(DEFAULT_DATA_DIR))),
            database_url=env.get("VEXIL_DATABASE_URL") or None,
            redis_url=env.get("VEXIL_REDIS_URL") or None,
            admin_token=env.get("VEXIL_ADMIN_TOKEN") or None,
            require_client_token=env.get("VEXIL_REQUIRE_CLIENT_TOKEN", "").lower() in {"1", "true", "yes"},
            sync_interval=float(env["VEXIL_SYNC_INTERVAL"]) if env.get("VEXIL_SYNC_INTERVAL") else None,
            stream_heartbeat=float(env.get("VEXIL_STREAM_HEARTBEAT", 15.0)),
            answer_cache_bytes=int(float(env.get("VEXIL_ANSWER_CACHE_MB", 32)) * 1024 * 1024),
            freeze_gc=env.get("VEXIL_FREEZE_GC", "1").lower() not in {"0", "false", "no"},
            max_body_bytes=_size(env, "VEXIL_MAX_BODY_KB", 1024, KIB),
            max_import_bytes=_size(env, "VEXIL_MAX_IMPORT_MB", 256, MIB),
            max_client_body_bytes=_size(env, "VEXIL_MAX_CLIENT_BODY_KB", 64, KIB),
            max_header_bytes=_size(env, "VEXIL_MAX_HEADER_KB", 64, KIB),
            header_timeout=_positive(env, "VEXIL_HEADER_TIMEOUT", 10.0),
            body_timeout=_positive(env, "VEXIL_BODY_TIMEOUT", 60.0),
            max_connections=int(_positive(env, "VEXIL_MAX_CONNECTIONS", 0)) or None,
            max_pending_bodies=int(_positive(env, "VEXIL_MAX_PENDING_BODIES", 1000)),
            stream_memory_bytes=_size(env, "VEXIL_STREAM_MEMORY_MB", 1024, MIB),
            max_listed_flags=int(_positive(env, "VEXIL_MAX_LISTED_FLAGS", 1000)),
            health_details=env.get("VEXIL_HEALTH_DETAILS", "").lower() in {"1", "true", "yes"},
            min_free_disk_bytes=int(float(env.get("VEXIL_MIN_FREE_DISK_MB", 100)) * 1024 * 1024),
            usage=env.get("VEXIL_USAGE", "on").strip().lower() not in {"off", "0", "false", "no"},
            usage_flush_seconds=_positive(env, "VEXIL_USAGE_FLUSH_SECONDS", 10.0),
            webhook_timeout_seconds=_positive(env, "VEXIL_WEBHOOK_TIMEOUT_SECONDS", 10.0),
            usage_hourly_days=int(_positive(env, "VEXIL_USAGE_HOURLY_DAYS", 30)),
            usage_daily_days=int(_positive(env, "VEXIL_USAGE_DAILY_DAYS", 365)),
            schedule_seconds=_positive(env, "VEXIL_SCHEDULE_SECONDS", 5.0),
            impact_sample=int(float(env.get("VEXIL_IMPACT_SAMPLE", 10_000))),
            client_reasons=env.get("VEXIL_CLIENT_REASONS", "full").strip().lower() or "full",
            session_idle_minutes=_positive(env, "VEXIL_SESSION_IDLE_MINUTES", 12 * 60),
            session_max_hours=_positive(env, "VEXIL_SESSION_MAX_HOURS", 7 * 24),
            secure_cookies=env.get("VEXIL_SECURE_COOKIES", "").lower() in {"1", "true", "yes"},
            oidc=OidcSettings.from_env(env),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / ADMIN_TOKEN_FILE

    def connection_limit(self, open_files: int) -> int:
        """Open connections allowed per process, given the process's open-file limit."""
        return self.max_connections or max(min(open_files * 9 // 10, MAX_DEFAULT_CONNECTIONS), 16)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'vexil.db'}"


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    """A number from the environment that must be above zero (ValueError naming it otherwise)."""
    text = env.get(name)
    if not text:
        return default
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a number above 0, not {text!r}")
    return value


def _size(env: Mapping[str, str], name: str, default: float, unit: int) -> int:
    return int(_positive(env, name, default) * unit)


PERSON_ROLE_NAMES = ("viewer", "editor", "admin")


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """Single sign-on with an OpenID Connect provider (`VEXIL_OIDC_*`, docs/people.md).

    `roles` maps values of the claim `role_claim` (a dotted path such as `realm_access.roles` reaches
    into an object) to a person's role; `default_role` is given when none matches (None: refuse).
    """

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid email profile"
    role_claim: str = "groups"
    roles: Mapping[str, str] = field(default_factory=dict)
    default_role: str | None = None
    create_people: bool = True
    button_label: str = "Sign in with SSO"
    # The callback URL registered at the provider (None: this server's own URL + /sso/callback, as
    # the request that starts a sign-in names it).
    redirect_url: str | None = None

    def __post_init__(self) -> None:
        if not self.issuer.startswith(("https://", "http://")):
            raise ValueError(f"VEXIL_OIDC_ISSUER: give the provider's URL (https://...), not {self.issuer!r}")
        if not self.client_id or not self.client_secret:
            raise ValueError(
                "VEXIL_OIDC_CLIENT_ID and VEXIL_OIDC_CLIENT_SECRET: give both, as registered at the provider"
            )
        if "openid" not in self.scopes.split():
            raise ValueError(f"VEXIL_OIDC_SCOPES: include openid, as in 'openid email profile', not {self.scopes!r}")
        for value, role in self.roles.items():
            if role not in PERSON_ROLE_NAMES:
                raise ValueError(f"VEXIL_OIDC_ROLES: {value}={role}: use a role of {', '.join(PERSON_ROLE_NAMES)}")
        if self.default_role is not None and self.default_role not in PERSON_ROLE_NAMES:
            raise ValueError(f"VEXIL_OIDC_DEFAULT_ROLE: use {', '.join(PERSON_ROLE_NAMES)}, or leave it empty")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """The settings from `VEXIL_OIDC_*`; None when `VEXIL_OIDC_ISSUER` is unset."""
        issuer = env.get("VEXIL_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        return cls(
            issuer=issuer,
            client_id=env.get("VEXIL_OIDC_CLIENT_ID", "").strip(),
            client_secret=env.get("VEXIL_OIDC_CLIENT_SECRET", ""),
            scopes=env.get("VEXIL_OIDC_SCOPES", "").strip() or "openid email profile",
            role_claim=env.get("VEXIL_OIDC_ROLE_CLAIM", "").strip() or "groups",
            roles=parse_role_map(env.get("VEXIL_OIDC_ROLES", "")),
            default_role=env.get("VEXIL_OIDC_DEFAULT_ROLE", "").strip().lower() or None,
            create_people=env.get("VEXIL_OIDC_CREATE_PEOPLE", "true").lower() not in {"0", "false", "no"},
            button_label=env.get("VEXIL_OIDC_BUTTON", "").strip() or "Sign in with SSO",
            redirect_url=env.get("VEXIL_OIDC_REDIRECT_URL", "").strip() or None,
        )


def parse_role_map(text: str) -> dict[str, str]:
    """`vexil-admins=admin, vexil-editors=editor` as {claim value: role} (ValueError naming the entry)."""
    roles: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        value, equals, role = entry.rpartition("=")
        if not equals or not value.strip():
            raise ValueError(f"VEXIL_OIDC_ROLES: {entry!r}: write claim-value=role, as in vexil-admins=admin")
        roles[value.strip()] = role.strip().lower()
    return roles
