"""`VEXIL_CLIENT_REASONS=coarse`: a client cannot probe who is on an allowlist through the reasons
it is told (docs/spec.md §2). Every client surface says `flag_not_found`, `disabled` or
`targeting_match`, nothing else; admin surfaces keep the engine's reasons; streams send nothing for
a change that only the engine's reason would show."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.sse import SseStream
from tests.conftest import ADMIN, ADMIN_ENV, LiveServer, ok, start_server
from vexil.api import wire
from vexil.config import Settings
from vexil.engine import Evaluation, Reason, bucket

pytestmark = pytest.mark.slow

RULE = {"conditions": [{"field": "email", "operator": "ends_with", "value": "@staff.example"}], "serve": "on"}
BETA = {"name": "beta", "enabled": True, "rollout_percentage": 50, "allowlist": {"vip": "on"}, "rules": [RULE]}
# Users the 50 % rollout of `beta` includes and leaves out (never on its allowlist).
INCLUDED = next(f"u{i}" for i in range(1000) if bucket("beta", f"u{i}") < 5000)
EXCLUDED = next(f"u{i}" for i in range(1000) if bucket("beta", f"u{i}") >= 5000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    started = start_server(
        tmp_path_factory.mktemp("coarse") / "data", env={**ADMIN_ENV, "VEXIL_CLIENT_REASONS": "coarse"}
    )
    with httpx.Client(base_url=started.url, headers=ADMIN, timeout=10) as admin:
        ok(admin.post("/flags", json=BETA))
        ok(admin.post("/flags", json={"name": "off"}))
        ok(admin.post("/flags", json={"name": "scoped", "enabled": True, "apps": ["ios"]}))
    yield started
    started.stop(signal.SIGKILL)


def client_reasons(server: LiveServer, context: dict[str, Any]) -> dict[str, set[str]]:
    """Every client surface's reason for each flag, for one context."""
    url = server.url
    query = {k: v for k, v in context.items() if isinstance(v, str)}
    found: dict[str, set[str]] = {}
    for flag in ("beta", "off", "scoped", "ghost"):
        answers = [
            httpx.get(f"{url}/flags/{flag}/evaluate", params=query).json()["reason"],
            httpx.post(f"{url}/flags/{flag}/evaluate", json=context).json()["reason"],
        ]
        if flag != "ghost":
            answers.append(httpx.post(f"{url}/flags/check", json={"name": flag, **context}).json()["reason"])
        found[flag] = set(answers)
    for name, result in httpx.post(f"{url}/evaluate", json=context).json()["flags"].items():
        found[name].add(result["reason"])
    user = {"id": context.get("identifier"), **{k: v for k, v in context.items() if k != "identifier"}}
    for result in httpx.post(f"{url}/api/evaluate", json={"user": user}).json()["results"]:
        found[result["flagKey"]].add(result["reason"].lower())
    with SseStream(f"{url}/stream", params=query) as stream:
        for name, result in stream.next_data().flags.items():
            found[name].add(result["reason"])
    return found


@pytest.mark.parametrize(
    "context",
    [
        pytest.param({"identifier": "vip"}, id="allowlist"),
        pytest.param({"identifier": EXCLUDED, "email": "ann@staff.example"}, id="rule"),
        pytest.param({"identifier": INCLUDED}, id="rollout-included"),
        pytest.param({"identifier": EXCLUDED}, id="rollout-excluded"),
    ],
)
def test_client_surfaces__coarse__only_targeting_match_disabled_or_not_found(
    server: LiveServer, context: dict[str, Any]
) -> None:
    # Given a server with coarse client reasons, and a flag decided by allowlist, rule or rollout

    # When every client surface answers this context
    reasons = client_reasons(server, context)

    # Then
    assert reasons == {
        "beta": {"targeting_match"},
        "off": {"disabled"},
        "scoped": {"targeting_match"},
        "ghost": {"flag_not_found"},
    }


def test_evaluate__allowlisted_user_and_user_in_by_rollout__same_bytes(server: LiveServer) -> None:
    # Given / When
    listed = httpx.get(f"{server.url}/flags/beta/evaluate", params={"identifier": "vip"})
    rolled = httpx.get(f"{server.url}/flags/beta/evaluate", params={"identifier": INCLUDED})
    bulk_listed = httpx.post(f"{server.url}/evaluate", json={"identifier": "vip", "flags": ["beta"]})
    bulk_rolled = httpx.post(f"{server.url}/evaluate", json={"identifier": INCLUDED, "flags": ["beta"]})

    # Then the answer says nothing of the allowlist
    assert listed.content == rolled.content
    assert bulk_listed.content == bulk_rolled.content


def test_evaluate__server_token__engine_reasons_and_rule(server: LiveServer) -> None:
    # Given / When
    listed = httpx.get(f"{server.url}/flags/beta/evaluate", params={"identifier": "vip"}, headers=ADMIN).json()
    matched = httpx.post(
        f"{server.url}/flags/beta/evaluate", json={"identifier": EXCLUDED, "email": "a@staff.example"}, headers=ADMIN
    ).json()

    # Then
    assert (listed["reason"], matched["reason"], matched["rule"]) == ("allowlist", "rule_match", 0)


def test_stream__coarse__change_only_the_engine_reason_shows__nothing_sent(server: LiveServer) -> None:
    # Given a client in `beta` by the rollout, and a flag of this test's own
    with httpx.Client(base_url=server.url, headers=ADMIN, timeout=10) as admin:
        ok(admin.post("/flags", json={"name": "mine", "enabled": True, "rollout_percentage": 50}))
        user = next(f"u{i}" for i in range(1000) if bucket("mine", f"u{i}") < 5000)
        with SseStream(f"{server.url}/stream", params={"identifier": user}) as stream:
            snapshot = stream.next_data()
            # When the user is put on the allowlist (same variant), then the flag is switched off
            ok(admin.patch("/flags/mine", json={"allowlist": {user: "on"}}))
            ok(admin.post("/flags/mine/toggle"))
            update = stream.next_data()

    # Then the client saw the snapshot, then the kill switch only
    assert snapshot.flags["mine"] == {"active": True, "variant": "on", "payload": None, "reason": "targeting_match"}
    assert update.flags == {"mine": {"active": False, "variant": "off", "payload": None, "reason": "disabled"}}


def test_wire__one_result_both_forms__each_encoded_once_and_apart() -> None:
    # Given a shared engine result
    result = Evaluation("beta", True, "on", {"a": 1}, Reason.ALLOWLIST)

    # When
    full = wire.client_single(result)
    coarse = wire.client_single(result, coarse=True)

    # Then
    assert full == b'{"active":true,"variant":"on","payload":{"a":1},"reason":"allowlist","flag":"beta"}'
    assert coarse == full.replace(b"allowlist", b"targeting_match")
    assert (
        wire.client_bulk([result])
        == b'{"flags":{"beta":{"active":true,"variant":"on","payload":{"a":1},"reason":"allowlist"}}}'
    )
    assert wire.client_bulk([result], coarse=True).count(b"targeting_match") == 1
    assert wire.client_single(result) is full


def test_settings__client_reasons__full_by_default_coarse_or_refused() -> None:
    # Given / When / Then
    assert Settings.from_env({}).client_reasons == "full"
    assert Settings.from_env({"VEXIL_CLIENT_REASONS": "Coarse"}).coarse_reasons is True
    with pytest.raises(ValueError, match="VEXIL_CLIENT_REASONS: use full or coarse, not 'some'"):
        Settings.from_env({"VEXIL_CLIENT_REASONS": "some"})
