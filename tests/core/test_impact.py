"""The impact preview's counting (core/impact.py): the engine run on the current and the proposed
configuration over a known sample."""

from __future__ import annotations

from typing import Any

from vexil.core.impact import Proposal, impact
from vexil.engine import Snapshot, bucket


def users(n: int, **context: Any) -> list[dict[str, Any]]:
    return [{"identifier": f"user-{i}", **context} for i in range(n)]


def flag(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "enabled": True, **fields}


def test_impact__rollout_raised__flips_exactly_the_users_bucketed_between() -> None:
    # Given a flag at 10 % and 500 known users
    snapshot = Snapshot([flag("beta", rollout_percentage=10)])
    sample = users(500)
    # When the rollout is proposed at 20 %
    result = impact(snapshot, Proposal(flags={"beta": flag("beta", rollout_percentage=20)}), sample)
    # Then exactly the users whose bucket lies in [1000, 2000) flip, from off to on
    expected = sum(1 for user in sample if 1000 <= bucket("beta", user["identifier"]) < 2000)
    assert expected > 0
    assert result["sampled"] == 500
    assert result["flipped"] == expected
    assert result["by_change"] == [{"flag": "beta", "from": "off", "to": "on", "count": expected}]
    assert result["by_environment"] == {"": {"sampled": 500, "flipped": expected}}


def test_impact__override_of_one_environment__only_that_environment_flips() -> None:
    # Given a flag off in production only, and users in two environments
    snapshot = Snapshot([flag("beta", environments={"production": {"enabled": False}})])
    sample = users(10, environment="production") + users(5, environment="staging")
    # When production's override is proposed on
    proposed = flag("beta", environments={"production": {"enabled": True}})
    result = impact(snapshot, Proposal(flags={"beta": proposed}), sample)
    # Then the ten production users flip and the staging ones do not
    assert result["flipped"] == 10
    assert result["by_environment"] == {
        "production": {"sampled": 10, "flipped": 10},
        "staging": {"sampled": 5, "flipped": 0},
    }


def test_impact__prerequisite_changed__its_dependents_flip_too() -> None:
    # Given "checkout" that requires "payments", both on
    snapshot = Snapshot([flag("payments"), flag("checkout", prerequisites=[{"flag": "payments"}])])
    # When "payments" is proposed off
    result = impact(snapshot, Proposal(flags={"payments": flag("payments", enabled=False)}), users(4))
    # Then both flags are compared and both flip for every user (a user flips once)
    assert result["flags"] == ["checkout", "payments"]
    assert result["flipped"] == 4
    assert {(c["flag"], c["from"], c["to"], c["count"]) for c in result["by_change"]} == {
        ("checkout", "on", "off", 4),
        ("payments", "on", "off", 4),
    }


def test_impact__segment_changed__flags_using_it_flip() -> None:
    # Given a flag served to the "pros" segment, and users on two plans
    segment = {"name": "pros", "conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}
    rule = {"conditions": [{"operator": "in_segment", "value": "pros"}], "serve": "on"}
    snapshot = Snapshot([flag("beta", rollout_percentage=0, rules=[rule])], [segment])
    sample = users(3, plan="pro") + users(2, plan="free")
    # When the segment is proposed to hold the free plan instead
    proposed = {"name": "pros", "conditions": [{"field": "plan", "operator": "eq", "value": "free"}]}
    result = impact(snapshot, Proposal(segments={"pros": proposed}), sample)
    # Then all five flip: three pros lose it, two free users get it
    assert result["flipped"] == 5
    assert {(c["from"], c["to"], c["count"]) for c in result["by_change"]} == {("on", "off", 3), ("off", "on", 2)}


def test_impact__flag_deleted__served_variant_becomes_null() -> None:
    snapshot = Snapshot([flag("beta")])
    result = impact(snapshot, Proposal(flags={"beta": None}), users(2))
    assert result["by_change"] == [{"flag": "beta", "from": "on", "to": None, "count": 2}]


def test_impact__anonymous_contexts_in_a_rollout__counted_as_drawn_not_flipped() -> None:
    # Given a rollout, and contexts without an identifier (each answer is a random draw)
    snapshot = Snapshot([flag("beta", rollout_percentage=50)])
    sample = [{"attributes": {"n": i}} for i in range(50)]
    # When the rollout is proposed at 60 %
    result = impact(snapshot, Proposal(flags={"beta": flag("beta", rollout_percentage=60)}), sample)
    # Then no noise is counted as a flip
    assert result["flipped"] == 0
    assert 0 < result["drawn"] <= 50


def test_impact__anonymous_contexts_and_a_kill_switch__counted_as_flipped() -> None:
    # Given a flag on for everyone, and contexts without an identifier
    snapshot = Snapshot([flag("beta")])
    # When it is proposed off
    result = impact(snapshot, Proposal(flags={"beta": flag("beta", enabled=False)}), [{}, {"app": "web"}])
    # Then both flip: nothing was drawn at random
    assert (result["flipped"], result["drawn"]) == (2, 0)


def test_impact__snapshot_given__left_as_it_was() -> None:
    snapshot = Snapshot([flag("beta", rollout_percentage=10)])
    impact(snapshot, Proposal(flags={"beta": flag("beta", rollout_percentage=90), "new": flag("new")}), users(10))
    assert snapshot.names() == ["beta"]
    assert snapshot.get_doc("beta") == flag("beta", rollout_percentage=10)
