"""What the CLI does on the server machine itself, against the database directly rather than over
HTTP: `vexil user create|list`. It is how the first admin person is made (docs/people.md): whoever
can read the data directory or the database URL needs no token, as they could read the database
anyway. Changes are audited with the actor `vexil` (Vexil's own, `core/auth.SYSTEM_ACTOR`)."""

from __future__ import annotations

from typing import Any

from vexil.config import Settings
from vexil.core.auth import SYSTEM_ACTOR
from vexil.core.people import People
from vexil.core.validation import InvalidInput
from vexil.store.errors import StoreError
from vexil.store.sql import SqlStore


class Refused(Exception):
    """What the database or the checks refused, in words (the CLI's exit 2)."""


async def create_person(settings: Settings, fields: dict[str, Any]) -> dict[str, Any]:
    """Add a person (`email`, `name`, `role`, `password`) to the database of `settings`."""
    try:
        store = await SqlStore.open(settings.resolved_database_url())
        try:
            return await People(store).create(fields, actor=SYSTEM_ACTOR)
        finally:
            await store.close()
    except (InvalidInput, StoreError) as exc:
        raise Refused(str(exc)) from exc


async def list_people(settings: Settings) -> list[dict[str, Any]]:
    store = await SqlStore.open(settings.resolved_database_url())
    try:
        return await store.list_people()
    finally:
        await store.close()
