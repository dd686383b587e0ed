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
CLIENT_REASONS = ("full", "coarse")


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
    max_body_bytes: int = 1024 * 1024
    # An export of a large installation is bigger than any other request; only POST /import gets this.
    max_import_bytes: int = 256 * 1024 * 1024
    # Seconds between checks of the database for changes made by other processes (None: 1 s with a
    # change bus, 0.2 s without one, i.e. SQLite; see vexil.bus).
    sync_interval: float | None = None
    # Bytes of client answers kept for clients that ask the same thing again (`api/answers.py`).
    answer_cache_bytes: int = 32 * 1024 * 1024
    # Seconds between `: ping` comments on open event streams (proxies close idle connections).
    stream_heartbeat: float = 15.0
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

    @property
    def coarse_reasons(self) -> bool:
        """Whether client surfaces give coarse reasons (`client_reasons == "coarse"`)."""
        return self.client_reasons == "coarse"

    def __post_init__(self) -> None:
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
            health_details=env.get("VEXIL_HEALTH_DETAILS", "").lower() in {"1", "true", "yes"},
            min_free_disk_bytes=int(float(env.get("VEXIL_MIN_FREE_DISK_MB", 100)) * 1024 * 1024),
            client_reasons=env.get("VEXIL_CLIENT_REASONS", "full").strip().lower() or "full",
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / ADMIN_TOKEN_FILE

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'vexil.db'}"
