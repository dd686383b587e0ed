"""The change hub: what the service publishes after each committed change."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import ADMIN, ADMIN_TOKEN
from vexil.api.app import create_app
from vexil.config import Settings
from vexil.core.changes import ChangeHub, with_dependents


def test_hub__publish__listeners_called_with_sequence_and_names() -> None:
    hub = ChangeHub()
    seen: list[tuple[int, frozenset[str]]] = []
    unsubscribe = hub.subscribe(lambda seq, names: seen.append((seq, names)))
    hub.publish(["a"])
    hub.publish(["b", "c"])
    unsubscribe()
    hub.publish(["d"])
    assert seen == [(1, frozenset({"a"})), (2, frozenset({"b", "c"}))]
    assert hub.listeners == 0


class Broken:
    def __repr__(self) -> str:
        return "<the broken listener>"

    def listen(self, seq: int, names: frozenset[str]) -> None:
        raise ValueError("cannot encode this")


def test_hub__publish__listener_raises__logged_by_name_and_the_others_still_called(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a listener that raises between two that work
    hub = ChangeHub()
    first: list[frozenset[str]] = []
    last: list[frozenset[str]] = []
    hub.subscribe(lambda seq, names: first.append(names))
    hub.subscribe(Broken().listen)
    hub.subscribe(lambda seq, names: last.append(names))
    # When two changes are published
    with caplog.at_level(logging.ERROR, logger="vexil.changes"):
        hub.publish(["a"])
        seq = hub.publish(["b"])
    # Then publishing went on: both working listeners got both changes, and each failure is logged
    assert seq == 2
    assert first == last == [{"a"}, {"b"}]
    failures = [record for record in caplog.records if record.name == "vexil.changes"]
    assert len(failures) == 2
    assert "Broken.listen of <the broken listener>" in failures[0].getMessage()
    assert failures[0].exc_info is not None and failures[0].exc_info[0] is ValueError


async def test_service__listener_raises__write_answers_success_and_other_listeners_get_the_change(
    tmp_path: Path,
) -> None:
    # Given a running app whose hub has a listener that raises, then one that records
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            hub = app.runtime.service.hub
            hub.subscribe(Broken().listen)
            published: list[frozenset[str]] = []
            hub.subscribe(lambda seq, names: published.append(names))
            # When a flag is created and then toggled
            created = await client.post("/flags", json={"name": "beta"}, headers=ADMIN)
            toggled = await client.post("/flags/beta/toggle", headers=ADMIN)
            evaluated = await client.get("/flags/beta/evaluate")
    # Then both writes answer success, the recording listener saw both, and the change is served
    assert created.status_code == 201, created.text
    assert toggled.status_code == 200, toggled.text
    assert published == [{"beta"}, {"beta"}]
    assert evaluated.json()["active"] is True


def test_hub__changed_since__known_window_unknown_beyond() -> None:
    hub = ChangeHub(history=2)
    for name in ("a", "b", "c"):
        hub.publish([name])
    assert hub.changed_since(3) == frozenset()
    assert hub.changed_since(2) == frozenset({"c"})
    assert hub.changed_since(1) == frozenset({"b", "c"})
    assert hub.changed_since(0) is None


def test_hub__event_ids__only_this_process_ids_parse() -> None:
    hub = ChangeHub()
    hub.publish(["a"])
    assert hub.parse_event_id(hub.event_id()) == 1
    assert hub.parse_event_id("other-1") is None
    assert hub.parse_event_id(f"{hub.epoch}-99") is None
    assert hub.parse_event_id(None) is None


def test_with_dependents__transitive() -> None:
    docs = {"a": {}, "b": {"prerequisites": [{"flag": "a"}]}, "c": {"prerequisites": [{"flag": "b"}]}, "d": {}}
    assert with_dependents(docs.get, docs, ["a"]) == {"a", "b", "c"}
    assert with_dependents(docs.get, docs, ["d"]) == {"d"}


async def test_service__writes_publish_the_touched_flags(tmp_path: Path) -> None:
    # Given a running app with a listener on its hub
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            published: list[frozenset[str]] = []
            app.runtime.service.hub.subscribe(lambda seq, names: published.append(names))
            # When flags, a prerequisite chain and a segment change
            await client.post("/segments", json={"name": "staff", "conditions": []}, headers=ADMIN)
            await client.post("/flags", json={"name": "base"}, headers=ADMIN)
            await client.post("/flags", json={"name": "child", "prerequisites": [{"flag": "base"}]}, headers=ADMIN)
            seg_rule = {"conditions": [{"operator": "in_segment", "value": "staff"}]}
            await client.post("/flags", json={"name": "staffy", "rules": [seg_rule]}, headers=ADMIN)
            await client.post("/flags/base/toggle", headers=ADMIN)
            await client.patch("/segments/staff", json={"description": "x"}, headers=ADMIN)
            await client.delete("/flags/child", headers=ADMIN)
    # Then each publication names what changed, dependents included
    assert published == [{"base"}, {"child"}, {"staffy"}, {"base", "child"}, {"staffy"}, {"child"}]


async def test_load__collector_paused_while_loading_and_restored() -> None:
    # Given the collector on
    import gc

    from vexil.core.service import collector_paused

    assert gc.isenabled()
    # When loading runs inside collector_paused
    with collector_paused():
        paused = not gc.isenabled()
    # Then it was off meanwhile and is on again; a caller that had it off keeps it off
    assert paused and gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_sync__segments_as_held__nothing_published(tmp_path: Path) -> None:
    # Given a running app with a segment, and a listener on its hub
    app = create_app(Settings(data_dir=tmp_path / "data", admin_token=ADMIN_TOKEN))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vexil") as client:
            await client.post("/segments", json={"name": "staff", "conditions": []}, headers=ADMIN)
            published: list[frozenset[str]] = []
            app.runtime.service.hub.subscribe(lambda seq, names: published.append(names), markers=True)
            # When the version check asks for segments this process already holds (its own write,
            # seen before the write had refreshed them)
            await app.runtime.service.sync_from_store(segments=True)
            # Then nobody is told twice
            assert published == []
