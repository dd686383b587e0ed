"""Environments through the service, on SQLite and PostgreSQL (docs/environments.md): a promotion is
one transaction (a write that fails half-way changes nothing), and the pure rules of compare and
promote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from vexil.core.auth import TokenCache
from vexil.core.environments import compare, promotion
from vexil.core.service import FlagService
from vexil.store import InvalidValue, NotFound, SqlStore


@pytest.fixture
async def service(store: SqlStore) -> AsyncIterator[FlagService]:
    """A service with flags `a` and `b`, both on in staging only."""
    flags = FlagService(store, TokenCache())
    await flags.load()
    for name in ("a", "b"):
        await flags.create_flag({"name": name, "environments": {"staging": {"enabled": True}}}, actor="root")
    yield flags


async def test_write_flags__second_write_fails__first_rolled_back_too(service: FlagService, store: SqlStore) -> None:
    # Given the edits of a promotion, the second of which cannot apply (b has no production override)
    edits: list[dict[str, Any]] = [
        {"kind": "override", "flag": "a", "environment": "production", "fields": {"enabled": True}},
        {"kind": "remove_override", "flag": "b", "environment": "production"},
    ]
    before = await store.list_audit(limit=1000)
    # When they are written together
    with pytest.raises(NotFound):
        await service.write_flags(edits, actor="root")
    # Then neither flag changed, in the store or in the snapshot, and nothing was audited
    assert "production" not in (await store.get_flag("a"))["environments"]
    assert "production" not in (service.snapshot.get_doc("a") or {})["environments"]
    assert await store.list_audit(limit=1000) == before


async def test_write_flags__all_apply__one_audit_event_per_flag(service: FlagService, store: SqlStore) -> None:
    # Given the edits of a promotion of a and b to production
    docs = [await store.get_flag(name) for name in ("a", "b")]
    edits = [{k: v for k, v in edit.items() if k != "version"} for edit in promotion(docs, "staging", "production")]
    newest = (await store.list_audit(limit=1))[0]["id"]
    # When they are written
    written = await service.write_flags(edits, actor="root")
    # Then both flags evaluate alike in the two environments, with one event each
    assert compare(written.values(), "staging", "production") == []
    events = [e for e in await store.list_audit(limit=1000) if e["id"] > newest]
    assert sorted(e["entity_id"] for e in events) == ["a", "b"]


async def test_create_flag__unknown_environment__refused_naming_known(service: FlagService) -> None:
    # When a flag is created with an override in an environment that does not exist
    with pytest.raises(InvalidValue, match="'qa' is not an environment"):
        await service.create_flag({"name": "c", "environments": {"qa": {"enabled": True}}}, actor="root")
    # Then it is refused as bad input (400), and no flag was made
    with pytest.raises(NotFound):
        await service.store.get_flag("c")


def test_promotion__source_without_override__target_override_removed() -> None:
    # Given a flag overridden in production only
    doc = {"name": "a", "version": 3, "enabled": False, "environments": {"production": {"enabled": True}}}
    # When staging is promoted to production
    edits = promotion([doc], "staging", "production")
    # Then production's override is removed (it inherits, as staging does), against version 3
    assert edits == [{"kind": "remove_override", "flag": "a", "environment": "production", "version": 3}]
