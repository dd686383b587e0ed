"""A flag's lifecycle through the HTTP API (docs/lifecycle.md): kind and owner, archive and restore,
and the stale signals with their evidence, on SQLite and PostgreSQL. Time is moved with the
service's clock, never waited for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN, ok, serve
from tests.postgres import empty_database
from vexil.api.app import create_app
from vexil.config import Settings

Doc = dict[str, Any]


class Clock:
    """The service's "now": the real time, plus the days the test moved it forward. Days do not pass
    without the usage counter's flushes (every 10 seconds), which settle what was counted at its
    time: `passing` runs before the clock moves, as they would."""

    def __init__(self) -> None:
        self.ahead = timedelta()
        self.passing: list[Callable[[], object]] = []

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def forward(self, days: float) -> None:
        for run in self.passing:
            run()
        self.ahead += timedelta(days=days)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    """The whole app on each backend, with its service's clock in the test's hand."""
    if settings.database_url:
        await empty_database(settings.database_url)
    app = create_app(settings)
    async with serve(app) as http:
        runtime = app.slot.runtime
        assert runtime is not None
        clock = Clock()
        runtime.service.clock = clock
        runtime.usage._clock = lambda: clock().timestamp()  # usage counted at the same moment
        clock.passing.append(runtime.usage.settle)
        yield http, clock


async def create(http: httpx.AsyncClient, name: str, **fields: Any) -> Doc:
    doc: Doc = ok(await http.post("/flags", json={"name": name, **fields}, headers=ADMIN))
    return doc


async def later(http: httpx.AsyncClient, clock: Clock, days: float) -> None:
    """`days` pass, and every flag is evaluated then (so that none is stale for lack of use)."""
    clock.forward(days)
    ok(await http.post("/evaluate", json={"identifier": "someone"}))


async def signals(http: httpx.AsyncClient, name: str) -> dict[str, Doc]:
    summary = ok(await http.get(f"/flags/{name}/stale", headers=ADMIN))
    return {signal["signal"]: signal["evidence"] for signal in summary["signals"]}


async def scan_naming(http: httpx.AsyncClient, flag: str) -> None:
    """Upload a code scan of acme/shop's main branch that names `flag` once (as `vexil refs --upload`)."""
    refs = {flag: [{"path": "app.py", "line": 3, "text": f'flags.enabled("{flag}")'}]}
    upload = {"repository": "acme/shop", "branch": "main", "commit": "0123456789abcdef", "refs": refs}
    ok(await http.post("/code-refs", json=upload, headers=ADMIN))


async def listed(http: httpx.AsyncClient, query: str = "") -> list[str]:
    return [flag["name"] for flag in ok(await http.get(f"/flags{query}", headers=ADMIN))["flags"]]


# --- kind and owner ------------------------------------------------------------------------------


async def test_flag_kind__create_and_patch__stored_in_the_document(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a flag created without lifecycle fields, and one with them
    plain = await create(http, "plain")
    switch = await create(http, "switch", kind="kill_switch", owner="payments-team")
    # When the first is given a kind and owner, and marked stale
    response = await http.patch(
        "/flags/plain", json={"kind": "experiment", "owner": "growth", "stale": True}, headers=ADMIN
    )
    # Then the defaults were release, no owner, not stale, not archived, and the patch is stored
    assert (plain["kind"], plain["owner"], plain["stale"], plain["archived"]) == ("release", "", False, False)
    assert (switch["kind"], switch["owner"]) == ("kill_switch", "payments-team")
    patched = ok(response)
    assert (patched["kind"], patched["owner"], patched["stale"]) == ("experiment", "growth", True)
    assert ok(await http.get("/flags/plain", headers=ADMIN)) == patched


async def test_flag_kind__unknown_kind__400_in_plain_words(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # When a flag is created with a kind that does not exist
    response = await http.post("/flags", json={"name": "odd", "kind": "forever"}, headers=ADMIN)
    # Then it is refused, naming the field, and nothing is created
    assert response.status_code == 400
    assert "kind" in response.json()["error"]
    assert (await http.get("/flags/odd", headers=ADMIN)).status_code == 404


async def test_flag_kind__export_import__kind_owner_stale_archived_kept(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = served
    # Given an experiment marked stale and an archived operational flag
    await create(http, "trial", kind="experiment", owner="growth", stale=True)
    await create(http, "ops", kind="operational", enabled=True)
    ok(await http.post("/flags/ops/archive", headers=ADMIN))
    exported = ok(await http.get("/export", headers=ADMIN))
    # When everything is deleted and the export imported
    ok(await http.post("/flags/ops/restore", headers=ADMIN))
    for name in ("trial", "ops"):
        assert (await http.delete(f"/flags/{name}", headers=ADMIN)).status_code == 204
    ok(await http.post("/import", json=exported, headers=ADMIN))
    # Then both come back with their lifecycle, and the archived one is still not served
    trial = ok(await http.get("/flags/trial", headers=ADMIN))
    ops = ok(await http.get("/flags/ops", headers=ADMIN))
    assert (trial["kind"], trial["owner"], trial["stale"], trial["archived"]) == ("experiment", "growth", True, False)
    assert (ops["kind"], ops["archived"]) == ("operational", True)
    assert ok(await http.get("/flags/ops/evaluate"))["reason"] == "flag_not_found"


# --- archive and restore -------------------------------------------------------------------------


async def test_archive__archived_flag__not_found_on_every_surface(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a flag that is on for everyone, and another one
    await create(http, "old-banner", enabled=True, tags=["ui"])
    await create(http, "other", enabled=True)
    assert ok(await http.get("/flags/old-banner/evaluate?identifier=u1"))["active"] is True
    # When it is archived
    archived = ok(await http.post("/flags/old-banner/archive", headers=ADMIN))
    # Then every evaluation surface answers as for a flag that does not exist
    assert archived["archived"] is True
    single = ok(await http.get("/flags/old-banner/evaluate?identifier=u1"))
    assert (single["reason"], single["active"]) == ("flag_not_found", False)
    bulk = ok(await http.post("/evaluate", json={"identifier": "u1"}))
    assert "old-banner" not in bulk["flags"] and "other" in bulk["flags"]
    ofrep = await http.post(
        "/ofrep/v1/evaluate/flags/old-banner", json={"context": {"targetingKey": "u1"}}, headers=ADMIN
    )
    assert ofrep.status_code == 404 and ofrep.json()["errorCode"] == "FLAG_NOT_FOUND"
    # And it is listed only among the archived, its document still readable
    assert await listed(http) == ["other"]
    assert await listed(http, "?archived=true") == ["old-banner"]
    assert ok(await http.get("/flags/old-banner", headers=ADMIN))["tags"] == ["ui"]


async def test_archive__archived_flag__absent_from_sdk_feed_and_unleash_features(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = served
    # Given two flags, one of them archived
    await create(http, "kept", enabled=True)
    await create(http, "shelved", enabled=True)
    ok(await http.post("/flags/shelved/archive", headers=ADMIN))
    # When the server SDKs' feed and Unleash's client API are read
    feed = ok(await http.get("/sdk/config", headers=ADMIN))
    features = ok(await http.get("/api/client/features", headers=ADMIN))
    # Then only the served flag is in them
    assert [flag["name"] for flag in feed["flags"]] == ["kept"]
    assert [feature["name"] for feature in features["features"]] == ["kept"]


async def test_restore__archived_flag__comes_back_intact_with_history(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a flag with targeting, archived
    rule = {"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}
    before = await create(http, "pro-only", enabled=True, rollout_percentage=0, rules=[rule], owner="billing")
    ok(await http.post("/flags/pro-only/archive", headers=ADMIN))
    # When it is restored
    restored = ok(await http.post("/flags/pro-only/restore", headers=ADMIN))
    # Then its configuration is as it was, it is served again and listed again
    moving = ("version", "updated_at")
    assert {k: v for k, v in restored.items() if k not in moving} == {
        k: v for k, v in before.items() if k not in moving
    }
    pro = ok(await http.post("/flags/pro-only/evaluate", json={"identifier": "u", "attributes": {"plan": "pro"}}))
    assert pro["variant"] == "on"
    assert await listed(http) == ["pro-only"] and await listed(http, "?archived=true") == []
    # And the history holds the archive and the restore, by whom
    events = ok(await http.get("/audit?flag=pro-only", headers=ADMIN))["events"]
    assert [e["action"] for e in events] == ["restore", "archive", "create"]
    assert events[1]["after"]["archived"] is True and events[1]["actor"] == "admin"


async def test_archive__refused_cases__409_403_404(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a flag that another requires, and a client token
    await create(http, "base", enabled=True)
    await create(http, "child", prerequisites=[{"flag": "base"}])
    body = {"name": "web", "role": "client"}
    client_token = ok(await http.post("/tokens", json=body, headers=ADMIN))["token"]
    # When / Then: a required flag cannot be archived (its dependents would fail closed)
    required = await http.post("/flags/base/archive", headers=ADMIN)
    assert required.status_code == 409 and "prerequisite of child" in required.json()["error"]
    # a client token may not archive; an unknown flag is 404; archiving twice or restoring a served flag is 409
    assert (await http.post("/flags/child/archive", headers={"X-API-Key": client_token})).status_code == 403
    assert (await http.post("/flags/ghost/archive", headers=ADMIN)).status_code == 404
    ok(await http.post("/flags/child/archive", headers=ADMIN))
    twice = await http.post("/flags/child/archive", headers=ADMIN)
    assert twice.status_code == 409 and twice.json()["error"] == "flag 'child' is already archived"
    assert (await http.post("/flags/base/restore", headers=ADMIN)).status_code == 409


async def test_delete__archived_flag__deleted_for_good(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given an archived flag
    await create(http, "gone")
    ok(await http.post("/flags/gone/archive", headers=ADMIN))
    # When it is deleted
    assert (await http.delete("/flags/gone", headers=ADMIN)).status_code == 204
    # Then it is nowhere, archived or not
    assert (await http.get("/flags/gone", headers=ADMIN)).status_code == 404
    assert await listed(http, "?archived=true") == []


# --- stale signals -------------------------------------------------------------------------------


async def test_stale__past_its_kinds_lifetime__signal_with_age(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, clock = served
    # Given a release flag, an operational flag and a kill switch, all with targeting (never one variant)
    rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
    for name, kind in (("release", "release"), ("ops", "operational"), ("switch", "kill_switch")):
        await create(http, name, kind=kind, enabled=True, rules=rules)
    # When 8 days pass, then only the operational flag (7 days) is past its lifetime
    await later(http, clock, 8)
    assert await listed(http, "?stale=true") == ["ops"]
    evidence = (await signals(http, "ops"))["past_lifetime"]
    assert (evidence["kind"], evidence["lifetime_days"], evidence["age_days"]) == ("operational", 7, 8)
    # When 41 days have passed, the release flag is too; the kill switch never is
    await later(http, clock, 33)
    assert await listed(http, "?stale=true") == ["ops", "release"]
    assert await listed(http, "?stale=false") == ["switch"]
    assert await signals(http, "switch") == {}


async def test_stale__one_variant_to_everyone_for_7_days__signal_with_variant(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, clock = served
    # Given a flag fully rolled out, one disabled, one at 50 % and one with an allowlist
    await create(http, "everyone", enabled=True, kind="kill_switch")
    await create(http, "nobody", enabled=False, kind="permission")
    await create(http, "half", enabled=True, rollout_percentage=50, kind="permission")
    await create(http, "listed", enabled=True, allowlist={"u1": "off"}, kind="permission")
    # When 6 days pass, nothing is stale yet
    await later(http, clock, 6)
    assert await listed(http, "?stale=true") == []
    # When a 7th day passes, the two that serve one variant to every context are
    await later(http, clock, 1)
    assert await listed(http, "?stale=true") == ["everyone", "nobody"]
    everyone = (await signals(http, "everyone"))["one_variant"]
    assert (everyone["variant"], everyone["days"], everyone["environments"]) == ("on", 7, {})
    assert (await signals(http, "nobody"))["one_variant"]["variant"] == "off"


async def test_stale__environment_serves_otherwise__no_one_variant_signal(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, clock = served
    # Given a flag on for everyone, but at 10 % in production
    await create(
        http, "rolling", enabled=True, kind="permission", environments={"production": {"rollout_percentage": 10}}
    )
    await create(http, "both-on", enabled=True, kind="permission", environments={"production": {}})
    # When two weeks pass
    await later(http, clock, 14)
    # Then only the one that serves "on" everywhere is stale, with each environment's variant as evidence
    assert await signals(http, "rolling") == {}
    assert (await signals(http, "both-on"))["one_variant"]["environments"] == {"production": "on"}


async def test_stale__marked_by_a_person__signal_until_unmarked(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a kill switch (never stale by age) with targeting
    rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
    await create(http, "switch", kind="kill_switch", enabled=True, rules=rules)
    # When a person marks it stale
    marked = ok(await http.patch("/flags/switch", json={"stale": True}, headers=ADMIN))
    # Then it is stale, with when it was marked as evidence
    assert await signals(http, "switch") == {"marked_stale": {"stale": True, "since": marked["updated_at"]}}
    assert await listed(http, "?stale=true") == ["switch"]
    # When the mark is taken back, it is not
    ok(await http.patch("/flags/switch", json={"stale": False}, headers=ADMIN))
    assert await listed(http, "?stale=true") == []


async def test_stale__not_evaluated_for_7_days__signal_from_usage(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, clock = served
    # Given two flags with targeting (never "one variant"), kinds that never expire
    rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
    for name in ("used", "unused"):
        await create(http, name, enabled=True, kind="permission", rules=rules)
    # When 8 days pass and only `used` is evaluated then (counted by the usage counter)
    clock.forward(8)
    ok(await http.post("/flags/used/evaluate", json={"identifier": "u1"}))
    # Then only `unused` is stale, as never evaluated in the 8 days it existed
    assert await listed(http, "?stale=true") == ["unused"]
    assert (await signals(http, "unused"))["not_evaluated"] == {"last_seen": None, "days": 8}
    assert await signals(http, "used") == {}
    # And when 8 more days pass without an evaluation, `used` is too, with when it was last seen
    clock.forward(8)
    evidence = (await signals(http, "used"))["not_evaluated"]
    assert evidence["days"] == 8 and evidence["last_seen"] is not None


async def test_stale__and_named_in_no_scanned_code__ready_to_remove(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, clock = served
    # Given two flags never evaluated for 8 days, and no code scanned yet
    for name in ("named", "forgotten"):
        await create(http, name, kind="permission", enabled=True, rules=[])
    clock.forward(8)
    before = ok(await http.get("/flags/forgotten/stale", headers=ADMIN))
    assert (before["stale"], before["references"], before["ready_to_remove"]) == (True, None, False)
    # When a scan that names only `named` is uploaded
    await scan_naming(http, "named")
    # Then the stale flag named nowhere is ready to remove; the one the code names is not
    forgotten = ok(await http.get("/flags/forgotten/stale", headers=ADMIN))
    named = ok(await http.get("/flags/named/stale", headers=ADMIN))
    assert (forgotten["references"], forgotten["ready_to_remove"]) == (0, True)
    assert (named["references"], named["ready_to_remove"]) == (1, False)


async def test_cleanup__stale_flags__ready_to_remove_apart_from_potentially_stale(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, clock = served
    # Given three flags with targeting (never "one variant"), kinds that never expire
    rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": "on"}]
    for name in ("forgotten", "named", "busy"):
        await create(http, name, enabled=True, kind="permission", owner="growth", rules=rules)
    # And, 8 days later, only `busy` evaluated, once
    clock.forward(8)
    ok(await http.post("/flags/busy/evaluate", json={"identifier": "u1"}))
    # When nothing was scanned yet, the stale flags are only potentially stale: nobody knows the code
    before = ok(await http.get("/cleanup", headers=ADMIN))
    assert before["ready_to_remove"] == []
    assert [item["flag"] for item in before["potentially_stale"]] == ["forgotten", "named"]
    # When a scan that names only `named` is uploaded
    await scan_naming(http, "named")
    found = ok(await http.get("/cleanup", headers=ADMIN))
    # Then the flag named nowhere is ready to remove, with its signals, kind, owner and last evaluation
    [forgotten] = found["ready_to_remove"]
    assert (forgotten["flag"], forgotten["kind"], forgotten["owner"]) == ("forgotten", "permission", "growth")
    assert forgotten["signals"] == [{"signal": "not_evaluated", "evidence": {"last_seen": None, "days": 8}}]
    assert (forgotten["last_seen"], forgotten["references"]) == (None, 0)
    # And the one the code names stays potentially stale; the evaluated one is in neither list
    assert [(item["flag"], item["references"]) for item in found["potentially_stale"]] == [("named", 1)]
    # And once archived, a flag leaves the cleanup lists
    ok(await http.post("/flags/forgotten/archive", headers=ADMIN))
    assert ok(await http.get("/cleanup", headers=ADMIN))["ready_to_remove"] == []


async def test_cleanup__client_token__403(served: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = served
    # Given a client token
    token = ok(await http.post("/tokens", json={"name": "web", "role": "client"}, headers=ADMIN))["token"]
    # When it asks for the cleanup lists
    answer = await http.get("/cleanup", headers={"Authorization": f"Bearer {token}"})
    # Then it is refused in plain words
    assert answer.status_code == 403 and "error" in answer.json()


async def test_usage_overview__evaluations_on_two_days__each_counted_in_its_day(
    served: tuple[httpx.AsyncClient, Clock],
) -> None:
    # (Here for the clock that moves the usage counter's time too: the list's sparklines.)
    http, clock = served
    # Given a flag evaluated once, then twice two days later
    await create(http, "shown", enabled=True)
    ok(await http.get("/flags/shown/evaluate?identifier=u1"))
    clock.forward(2)
    for user in ("u1", "u2"):
        ok(await http.get(f"/flags/shown/evaluate?identifier={user}"))
    # When the flags list reads the overview
    shown = ok(await http.get("/usage", headers=ADMIN))["flags"]["shown"]
    # Then each evaluation is in its day, today last, and 8 days later they have left the week
    assert shown["daily"][-3:] == [1, 0, 2] and sum(shown["daily"]) == 3
    clock.forward(8)
    assert ok(await http.get("/usage", headers=ADMIN))["flags"]["shown"]["daily"] == [0] * 7
