"""Store contract: an import's audit event keeps the state it replaced (`store/_kept.py`), the newest
`KEPT_STATES` of them, and an import planned against a state that has since moved is refused."""

from __future__ import annotations

from typing import Any

import pytest

from vexil.store import Conflict, NotFound, SqlStore
from vexil.store._kept import KEPT_STATES

from .test_sql_audit import AUDIT_EVENT_KEYS
from .test_sql_state import populate, without_stamp


def with_flag(name: str) -> dict[str, Any]:
    return {"environments": ["production"], "flags": [{"name": name}], "segments": []}


async def test_import_state__replaced_state__kept_in_its_event_as_an_export(store: SqlStore) -> None:
    # Given
    await populate(store)
    before = await store.export_state()

    # When
    await store.import_state(with_flag("only"), actor="bob")

    # Then the newest import's event holds the state as it was, an export document
    event = (await store.list_audit(limit=1))[0]
    found, kept = await store.kept_state()
    assert found == event["id"] and event["entity"] == "import"
    assert kept == without_stamp(before)
    # and reading the log does not carry it
    assert set(event) == AUDIT_EVENT_KEYS


async def test_import_state__more_imports_than_kept__oldest_state_forgotten_events_remain(store: SqlStore) -> None:
    # Given
    for index in range(KEPT_STATES + 1):
        await store.import_state(with_flag(f"f{index}"), actor="bob")
    events = [e for e in await store.list_audit(limit=1000) if e["entity"] == "import"]
    oldest, newest = events[-1]["id"], events[0]["id"]

    # When / Then: the oldest event is still in the log, without its state; the newest keeps its own
    assert len(events) == KEPT_STATES + 1
    with pytest.raises(NotFound, match=f"no longer kept \\(only the newest {KEPT_STATES} are\\)"):
        await store.kept_state(oldest)
    _, kept = await store.kept_state(newest)
    assert [doc["name"] for doc in kept["flags"]] == [f"f{KEPT_STATES - 1}"]


async def test_import_state__planned_against_a_state_since_changed__conflict_nothing_written(
    store: SqlStore,
) -> None:
    # Given an import planned against the state, then a change by someone else
    await populate(store)
    planned = await store.export_state()
    await store.create_flag({"name": "meanwhile"}, actor="alice")
    before, marker = await store.export_state(), await store.change_marker()

    # When / Then
    with pytest.raises(Conflict, match="the state changed while the import was being prepared"):
        await store.import_state(with_flag("only"), actor="bob", expected=planned)
    assert without_stamp(await store.export_state()) == without_stamp(before)
    assert await store.change_marker() == marker


async def test_kept_state__no_import__not_found(store: SqlStore) -> None:
    # Given a store with changes but no import / When / Then
    await populate(store)
    with pytest.raises(NotFound, match="no import to undo"):
        await store.kept_state()
