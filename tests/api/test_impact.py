"""The impact preview over real HTTP (`POST /flags/{name}/impact`, docs/impact.md): contexts evaluated
through a real server's surfaces make the sample, and the preview counts what a change would flip."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.sse import SseStream
from tests.conftest import ADMIN, LiveServer, ok
from vexil.engine import bucket


def evaluate_users(server: LiveServer, identifiers: list[str], **context: str) -> None:
    """Evaluate every user once through the server, a third each through GET, POST /evaluate and OFREP."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for index, identifier in enumerate(identifiers):
            if index % 3 == 0:
                ok(http.get("/flags/beta/evaluate", params={"identifier": identifier, **context}))
            elif index % 3 == 1:
                ok(http.post("/evaluate", json={"identifier": identifier, **context}))
            else:
                body = {"context": {"targetingKey": identifier, **context}}
                ok(http.post("/ofrep/v1/evaluate/flags/beta", json=body, headers=ADMIN))


def test_impact__rollout_from_10_to_20__flips_exactly_the_users_the_bucketing_says(
    server: LiveServer, admin: httpx.Client
) -> None:
    # Given a flag at 10 %, and 1,000 known users evaluated through the server (some twice)
    ok(admin.post("/flags", json={"name": "beta", "enabled": True, "rollout_percentage": 10}))
    identifiers = [f"user-{i}" for i in range(1000)]
    evaluate_users(server, identifiers)
    evaluate_users(server, identifiers[:50])
    # When the preview is asked for the rollout at 20 %
    result = ok(admin.post("/flags/beta/impact", json={"rollout_percentage": 20}))
    # Then it flips exactly the users whose bucket (the engine's bucketing, computed here) is in [10 %, 20 %)
    expected = [i for i in identifiers if 1000 <= bucket("beta", i) < 2000]
    assert len(expected) > 50
    assert result["sampled"] == 1000
    assert result["flipped"] == len(expected)
    assert result["by_change"] == [{"flag": "beta", "from": "off", "to": "on", "count": len(expected)}]
    assert result["by_environment"] == {"": {"sampled": 1000, "flipped": len(expected)}}
    # And nothing was changed
    assert ok(admin.get("/flags/beta"))["rollout_percentage"] == 10


def test_impact__override_of_production__counted_per_environment(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag off, and users in production and staging
    ok(admin.post("/flags", json={"name": "beta"}))
    evaluate_users(server, ["a", "b", "c"], environment="production")
    evaluate_users(server, ["d", "e"], environment="staging")
    # When the preview is asked for production's override switched on
    body = {"overrides": {"production": {"enabled": True}}}
    result = ok(admin.post("/flags/beta/impact", json=body))
    # Then production's three users flip, and staging's do not
    assert result["by_environment"] == {
        "production": {"sampled": 3, "flipped": 3},
        "staging": {"sampled": 2, "flipped": 0},
    }


def test_impact__document_as_read__accepted_and_answer_holds_counts_only(
    server: LiveServer, admin: httpx.Client
) -> None:
    # Given a flag, and a user evaluated
    ok(admin.post("/flags", json={"name": "beta"}))
    evaluate_users(server, ["secret-user-7"], plan="pro")
    # When the flag's document, as read, is sent back switched on
    document: dict[str, Any] = ok(admin.get("/flags/beta"))
    response = admin.post("/flags/beta/impact", json={**document, "enabled": True})
    # Then the user flips, and the answer names no context
    assert ok(response)["flipped"] == 1
    assert "secret-user-7" not in response.text and "pro" not in response.text


def test_impact__segment_change__flags_using_it_counted(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag served to a segment of pro users, and users on two plans
    pros = [{"field": "plan", "operator": "eq", "value": "pro"}]
    ok(admin.post("/segments", json={"name": "pros", "conditions": pros}))
    rule = {"conditions": [{"operator": "in_segment", "value": "pros"}], "serve": "on"}
    ok(admin.post("/flags", json={"name": "beta", "enabled": True, "rollout_percentage": 0, "rules": [rule]}))
    evaluate_users(server, ["a", "b"], plan="pro")
    evaluate_users(server, ["c"], plan="free")
    # When the preview is asked for the segment emptied of conditions (everyone)
    result = ok(admin.post("/segments/pros/impact", json={"conditions": []}))
    # Then the free user flips on
    assert (result["flipped"], result["by_change"]) == (1, [{"flag": "beta", "from": "off", "to": "on", "count": 1}])


def test_impact__refusals__plain_words_and_the_right_status(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag and a server token
    ok(admin.post("/flags", json={"name": "beta"}))
    secret = ok(admin.post("/tokens", json={"name": "reader", "role": "server"}))["token"]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        # Then a reader may not preview (it may not write), nor may anyone without a token
        reader = {"Authorization": f"Bearer {secret}"}
        assert http.post("/flags/beta/impact", json={}, headers=reader).status_code == 403
        assert http.post("/flags/beta/impact", json={}).status_code == 401
    # And an unknown flag is a 404, an invalid change a 400 that says what is wrong
    assert admin.post("/flags/nope/impact", json={}).status_code == 404
    invalid = admin.post("/flags/beta/impact", json={"default_variant": "purple"})
    assert invalid.status_code == 400 and "purple" in invalid.json()["error"]
    missing = admin.post("/flags/beta/impact", json={"prerequisites": [{"flag": "ghost"}]})
    assert missing.status_code == 400 and "ghost" in missing.json()["error"]


def test_impact__every_surface__offers_its_context(server: LiveServer, admin: httpx.Client) -> None:
    # Given a flag off, and one user evaluated on each other surface: a stream, the Unleash frontend
    # API, and the compatibility endpoints
    ok(admin.post("/flags", json={"name": "beta"}))
    frontend = ok(admin.post("/tokens", json={"name": "web", "role": "client"}))["token"]
    with SseStream(f"{server.url}/stream?identifier=streamed") as stream:
        assert stream.next_data().event == "snapshot"
    with httpx.Client(base_url=server.url, timeout=10) as http:
        ok(http.get("/api/frontend", params={"userId": "unleashed"}, headers={"Authorization": frontend}))
        ok(http.post("/flags/check", json={"name": "beta", "identifier": "checked"}))
        ok(http.post("/api/evaluate", json={"user": {"id": "compat"}}))
    # When the preview is asked for the flag switched on
    result = ok(admin.post("/flags/beta/impact", json={"enabled": True}))
    # Then the four users are sampled and flip
    assert (result["sampled"], result["flipped"]) == (4, 4)
