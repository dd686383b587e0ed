"""First start: the admin token, and the demo flags that `make run` shows; every start: the data
directory kept to its owner (0700, whatever the umask; `vexil.store.private_directory`).

Several processes may start on a new database at once (`--workers`, replicas): one of them
creates each thing, and the others find it created (`Conflict`) and carry on.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from vexil.api.schemas import FlagCreate
from vexil.config import Settings
from vexil.core.auth import ADMIN_TOKEN_NAME, SYSTEM_ACTOR, hash_secret, new_secret
from vexil.core.service import flag_from_input
from vexil.store import private_directory
from vexil.store.errors import Conflict
from vexil.store.sql import SqlStore


async def bootstrap_admin_token(store: SqlStore, settings: Settings) -> None:
    """Without VEXIL_ADMIN_TOKEN and without any token, create one, print it once, and keep it in
    an owner-only file in the data directory, where the CLI finds it.

    The data directory, when there is one, is made its owner's only first (it holds the SQLite
    database and this file), on every start."""
    if settings.data_dir.is_dir():
        private_directory(settings.data_dir)
    if settings.admin_token or await store.count_tokens() > 0:
        return
    secret = new_secret()
    try:
        await store.create_token(
            name=ADMIN_TOKEN_NAME, role="admin", secret_hash=hash_secret(secret), prefix=secret[:8], actor=SYSTEM_ACTOR
        )
    except Conflict:
        return  # another process created it (and wrote the file, if it shares this data directory)
    path = settings.admin_token_file
    private_directory(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
    print(f"vexil: created admin token (kept in {path}): {secret}", file=sys.stderr, flush=True)


DEMO_FLAGS: list[dict[str, Any]] = [
    {
        "name": "new_dashboard",
        "description": "The redesigned dashboard, rolling out to a quarter of users in production.",
        "tags": ["ui"],
        "enabled": True,
        "environments": {"production": {"rollout_percentage": 25}, "development": {"rollout_percentage": 100}},
        "rules": [
            {
                "conditions": [{"field": "email", "operator": "ends_with", "value": "@example.com"}],
                "rollout_percentage": 100,
                "serve": "on",
            }
        ],
    },
    {
        "name": "beta_api_v2",
        "description": "Version 2 of the public API, for the beta customers on the allowlist.",
        "tags": ["api", "beta"],
        "enabled": True,
        "rollout_percentage": 0,
        "allowlist": {"customer-1": "on", "customer-2": "on"},
        "apps": ["api"],
    },
    {
        "name": "dark_mode",
        "description": "Theme choice with a JSON payload per variant.",
        "tags": ["ui"],
        "enabled": True,
        "variants": [
            {"name": "light", "payload": {"background": "#ffffff"}, "weight": 1},
            {"name": "dark", "payload": {"background": "#111111"}, "weight": 1},
        ],
        "default_variant": "light",
    },
]


def _with_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    return flag_from_input(FlagCreate.model_validate(fields).model_dump())


async def seed_demo(store: SqlStore) -> None:
    """Create the example flags on a database that has none."""
    if await store.list_flags():
        return
    for fields in DEMO_FLAGS:
        with contextlib.suppress(Conflict):  # another process seeds at the same time
            await store.create_flag(_with_defaults(fields), actor=SYSTEM_ACTOR)
