"""Store contract: exporting the whole state, and importing it back all or nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vexil.store import Conflict, SqlStore

RULE = {"conditions": [{"field": None, "operator": "in_segment", "value": "beta"}], "serve": "on"}


async def populate(store: SqlStore) -> None:
    await store.create_environment("qa", actor="alice")
    await store.create_segment(
        {"name": "beta", "conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}, actor="a"
    )
    await store.create_segment({"name": "staff", "description": "Us"}, actor="alice")
    await store.create_flag(
        {
            "name": "checkout",
            "rollout_percentage": 33.33,
            "rules": [RULE],
            "apps": ["web", "ios"],
            "environments": {"production": {"enabled": True, "rollout_percentage": 5}, "qa": {}},
            "allowlist": {"u1": "on"},
        },
        actor="alice",
    )
    await store.update_flag("checkout", lambda doc: {**doc, "enabled": True}, actor="alice")
    await store.create_flag({"name": "banner", "variants": [{"name": "a", "weight": 1}, {"name": "b"}]}, actor="a")
    await store.create_token(name="ci", role="server", secret_hash="h", prefix="vx_h", actor="alice")


def without_stamp(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "exported_at"}


async def test_export_state__populated__every_section_and_no_tokens(store: SqlStore) -> None:
    # Given
    await populate(store)

    # When
    state = await store.export_state()

    # Then
    assert set(state) == {"version", "exported_at", "environments", "flags", "segments"}
    assert state["version"] == 1
    assert [e["name"] for e in state["environments"]] == ["development", "staging", "production", "qa"]
    assert state["flags"] == await store.list_flags()
    assert state["segments"] == await store.list_segments()


async def test_import_state__own_export_after_changes__round_trip_equal(store: SqlStore) -> None:
    # Given
    await populate(store)
    exported = await store.export_state()
    await store.delete_flag("banner", actor="alice")
    await store.update_flag("checkout", lambda doc: {**doc, "rules": [], "apps": []}, actor="alice")
    await store.create_flag({"name": "extra", "environments": {"eu": {}}}, actor="alice")
    await store.create_segment({"name": "later"}, actor="alice")

    # When
    counts = await store.import_state(copy.deepcopy(exported), actor="bob")

    # Then
    assert counts == {"environments": 4, "flags": 2, "segments": 2}
    assert without_stamp(await store.export_state()) == without_stamp(exported)
    checkout = next(f for f in exported["flags"] if f["name"] == "checkout")
    assert await store.get_flag("checkout") == checkout
    assert checkout["version"] == 2


async def test_import_state__recorded_as_one_audit_event_with_counts(store: SqlStore) -> None:
    # Given
    await populate(store)
    exported = await store.export_state()
    top = (await store.list_audit(limit=1))[0]["id"]

    # When
    await store.import_state(exported, actor="bob")

    # Then
    events = [e for e in await store.list_audit() if e["id"] > top]
    assert len(events) == 1
    assert (events[0]["entity"], events[0]["actor"]) == ("import", "bob")
    assert events[0]["after"] == {"environments": 4, "flags": 2, "segments": 2}


async def test_import_state__documents_without_times_or_versions__get_fresh_ones(store: SqlStore) -> None:
    # Given
    state = {
        "version": 1,
        "environments": ["prod"],
        "flags": [{"name": "f", "environments": {"canary": {"enabled": True}}}],
        "segments": [{"name": "s"}],
    }

    # When
    counts = await store.import_state(state, actor="alice")

    # Then
    assert counts == {"environments": 2, "flags": 1, "segments": 1}
    assert [e["name"] for e in await store.list_environments()] == ["canary", "prod"]
    flag = await store.get_flag("f")
    assert (flag["version"], flag["salt"], flag["variants"][1]["name"]) == (1, "f", "on")
    assert (await store.get_segment("s"))["version"] == 1


async def test_import_state__keeps_created_at_and_version__of_imported_documents(store: SqlStore) -> None:
    # Given
    flag = {"name": "f", "created_at": "2024-01-02T03:04:05.123456Z", "updated_at": "2025-01-01T00:00:00Z"}
    state = {"flags": [{**flag, "version": 7}], "segments": [], "environments": []}

    # When
    await store.import_state(state, actor="alice")

    # Then
    stored = await store.get_flag("f")
    assert (stored["created_at"], stored["updated_at"], stored["version"]) == (
        "2024-01-02T03:04:05.123456Z",
        "2025-01-01T00:00:00.000000Z",
        7,
    )
    after = await store.update_flag("f", lambda doc: doc, actor="alice")
    assert after["version"] == 8


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"flags": [{"name": "x"}, {"name": "x"}]}, id="duplicate-flag"),
        pytest.param({"segments": [{"name": "s"}, {"name": "s"}]}, id="duplicate-segment"),
        pytest.param({"environments": ["e", {"name": "e"}]}, id="duplicate-environment"),
    ],
)
async def test_import_state__duplicate_names__conflict_and_old_state_intact(
    store: SqlStore, bad: dict[str, Any]
) -> None:
    # Given
    await populate(store)
    before = await store.export_state()
    marker = await store.change_marker()

    # When / Then
    with pytest.raises(Conflict, match="more than one"):
        await store.import_state({"version": 1, **bad}, actor="bob")
    assert without_stamp(await store.export_state()) == without_stamp(before)
    assert await store.change_marker() == marker


async def test_import_state__failure_midway__old_state_intact(store: SqlStore) -> None:
    # Given: a file that passes parsing, with one flag rejected by the database in the last batch
    await populate(store)
    before = await store.export_state()
    flags: list[dict[str, Any]] = [{"name": f"f{i}"} for i in range(3)]
    flags.append({"name": "broken", "variants": [{"name": None}]})  # default_variant NULL: NOT NULL fails

    # When / Then
    with pytest.raises(Conflict):
        await store.import_state({"flags": flags}, actor="bob")
    assert without_stamp(await store.export_state()) == without_stamp(before)


async def test_import_state__progress__reported_up_to_the_total(store: SqlStore) -> None:
    # Given
    state = {"environments": ["a", "b"], "segments": [{"name": "s"}], "flags": [{"name": f"f{i}"} for i in range(4)]}
    calls: list[tuple[int, int]] = []

    # When
    await store.import_state(state, actor="alice", on_progress=lambda done, total: calls.append((done, total)))

    # Then
    assert calls[-1] == (7, 7)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total for _, total in calls} == {7}


async def test_import_state__progress_callback_raises__aborted_unchanged(store: SqlStore) -> None:
    # Given
    await populate(store)
    before = await store.export_state()

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    # When / Then
    with pytest.raises(KeyboardInterrupt):
        await store.import_state({"flags": [{"name": "new"}]}, actor="bob", on_progress=cancel)
    assert without_stamp(await store.export_state()) == without_stamp(before)


async def test_import_state__tokens_and_audit__left_alone(store: SqlStore) -> None:
    # Given
    await populate(store)
    audit_before = await store.list_audit(limit=1000)

    # When
    await store.import_state({"flags": []}, actor="bob")

    # Then
    assert [t["name"] for t in await store.list_tokens()] == ["ci"]
    assert (await store.list_audit(limit=1000))[1:] == audit_before
    assert await store.list_flags() == []
    assert await store.list_environments() == []
