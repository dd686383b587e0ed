"""Store contract: the audit log's filters, paging and change marker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from vexil.store import SqlStore

# What every audit event says, as the log reads it back (an event of a change request adds `via`).
AUDIT_EVENT_KEYS = {"id", "at", "actor", "actor_kind", "action", "entity", "entity_id", "before", "after", "reverts"}

PLUS_TWO = timezone(timedelta(hours=2))


async def test_list_audit__writes__newest_first_with_every_field(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "a"}, actor="alice")
    await store.create_flag({"name": "b"}, actor="bob")

    # When
    events = await store.list_audit()

    # Then
    assert [(e["entity_id"], e["actor"]) for e in events] == [("b", "bob"), ("a", "alice")]
    assert events[0]["id"] > events[1]["id"]
    assert set(events[0]) == AUDIT_EVENT_KEYS
    assert events[0]["at"] >= events[1]["at"]


async def test_list_audit__flag_filter__only_that_flags_events(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "a"}, actor="alice")
    await store.create_flag({"name": "b"}, actor="alice")
    await store.update_flag("a", lambda doc: {**doc, "enabled": True}, actor="alice", action="toggle")
    await store.create_segment({"name": "a"}, actor="alice")

    # When
    events = await store.list_audit(flag="a")

    # Then
    assert [(e["entity"], e["entity_id"], e["action"]) for e in events] == [
        ("flag", "a", "toggle"),
        ("flag", "a", "create"),
    ]


async def test_list_audit__actor_filter__only_that_actors_events(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "a"}, actor="alice")
    await store.create_flag({"name": "b"}, actor="bob")
    await store.create_flag({"name": "c"}, actor="alice")

    # When
    events = await store.list_audit(actor="alice")

    # Then
    assert [e["entity_id"] for e in events] == ["c", "a"]


async def test_list_audit__since__only_events_at_or_after(store: SqlStore) -> None:
    # Given
    await store.create_flag({"name": "old"}, actor="alice")
    cut = datetime.now(UTC)
    await store.create_flag({"name": "new"}, actor="alice")

    # When
    since_cut = await store.list_audit(since=cut)
    since_naive = await store.list_audit(since=cut.replace(tzinfo=None))
    since_other_zone = await store.list_audit(since=cut.astimezone(PLUS_TWO))

    # Then
    assert [e["entity_id"] for e in since_cut] == ["new"]
    assert since_naive == since_cut == since_other_zone
    assert len(await store.list_audit(since=cut - timedelta(hours=1))) == 2
    assert await store.list_audit(since=cut + timedelta(hours=1)) == []


async def test_list_audit__limit_and_before_id__pages_through_everything(store: SqlStore) -> None:
    # Given
    for i in range(7):
        await store.create_flag({"name": f"f{i}"}, actor="alice")

    # When
    pages: list[list[str]] = []
    before_id = None
    while True:
        page = await store.list_audit(limit=3, before_id=before_id)
        if not page:
            break
        pages.append([e["entity_id"] for e in page])
        before_id = page[-1]["id"]

    # Then
    assert pages == [["f6", "f5", "f4"], ["f3", "f2", "f1"], ["f0"]]


async def test_list_audit__default_limit__fifty(store: SqlStore) -> None:
    # Given
    for i in range(3):
        await store.create_flag({"name": f"f{i}"}, actor="alice")
        for _ in range(20):
            await store.update_flag(f"f{i}", lambda doc: doc, actor="alice")

    # When / Then
    assert len(await store.list_audit()) == 50


async def test_change_marker__every_write__moves(store: SqlStore) -> None:
    # Given
    markers = [await store.change_marker()]

    # When
    await store.create_flag({"name": "f"}, actor="alice")
    markers.append(await store.change_marker())
    await store.create_segment({"name": "s"}, actor="alice")
    markers.append(await store.change_marker())
    await store.delete_flag("f", actor="alice")
    markers.append(await store.change_marker())

    # Then
    assert markers == sorted(set(markers))
    assert len(markers) == 4
