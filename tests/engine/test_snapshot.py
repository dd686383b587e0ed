"""Snapshot: holding compiled flags and segments, keeping them current, evaluating many at once."""

from __future__ import annotations

from collections import UserDict
from typing import Any

import pytest

from vexil.engine import MAX_PREREQUISITE_DEPTH, Reason, Snapshot
from vexil.engine import evaluate as evaluate_module

from .factories import FlagFactory

STAFF_SEGMENT = {"name": "staff", "conditions": [{"field": "email", "operator": "ends_with", "value": "@acme.com"}]}


def targeted(make_flag: FlagFactory, name: str = "f", segment: str = "staff") -> dict[str, Any]:
    rules = [{"conditions": [{"operator": "in_segment", "value": segment}], "serve": "on"}]
    return make_flag(name=name, rollout_percentage=0, rules=rules)


def test_snapshot__reading__contains_len_names_and_doc(make_flag: FlagFactory) -> None:
    # Given a snapshot of two flags
    b, a = make_flag(name="b"), make_flag(name="a")
    snapshot = Snapshot([b, a])
    # When read
    # Then it answers membership, size, sorted names and the very documents it compiled
    assert "a" in snapshot and "c" not in snapshot
    assert len(snapshot) == 2
    assert snapshot.names() == ["a", "b"]
    assert snapshot.get_doc("b") is b
    assert snapshot.get_doc("c") is None


def test_upsert_flag__existing_name__replaces_it(make_flag: FlagFactory) -> None:
    # Given an enabled flag
    snapshot = Snapshot([make_flag()])
    # When it is upserted disabled, and another is added through the `key` alias
    snapshot.upsert_flag(make_flag(enabled=False))
    snapshot.upsert_flag({"key": "aliased", "enabled": True})
    # Then the new configuration answers
    assert snapshot.evaluate("f", {}).reason == Reason.DISABLED
    assert snapshot.evaluate("aliased", {}).reason == Reason.ENABLED
    assert snapshot.names() == ["aliased", "f"]


def test_upsert_flag__no_name__raises_value_error() -> None:
    # Given a document without a name
    # When upserted
    # Then it is refused: it is not a flag
    with pytest.raises(ValueError, match="name"):
        Snapshot().upsert_flag({"enabled": True})


def test_remove_flag__known_and_unknown__reports_whether_removed(make_flag: FlagFactory) -> None:
    # Given one flag
    snapshot = Snapshot([make_flag()])
    # When removed twice
    first, second = snapshot.remove_flag("f"), snapshot.remove_flag("f")
    # Then the first removes it and it is no longer found
    assert (first, second) == (True, False)
    assert snapshot.evaluate("f", {}).reason == Reason.FLAG_NOT_FOUND
    assert snapshot.evaluate_all({}) == []


def test_set_segments__changed_segment__recompiles_flags_using_it(make_flag: FlagFactory) -> None:
    # Given a flag targeting the "staff" segment before the segment exists
    snapshot = Snapshot([targeted(make_flag)])
    context = {"identifier": "u", "email": "u@acme.com"}
    before = snapshot.evaluate("f", context).reason
    # When the segment is defined, then changed to another domain
    snapshot.set_segments([STAFF_SEGMENT])
    defined = snapshot.evaluate("f", context).reason
    snapshot.set_segments([{"name": "staff", "conditions": [{"field": "email", "operator": "eq", "value": "x"}]}])
    changed = snapshot.evaluate("f", context).reason
    # Then an unknown segment contains no one, and each change takes effect
    assert (before, defined, changed) == (Reason.ROLLOUT_EXCLUDED, Reason.RULE_MATCH, Reason.ROLLOUT_EXCLUDED)
    assert snapshot.segment_names() == ["staff"]


def test_set_segments__unreadable_conditions__segment_contains_no_one(make_flag: FlagFactory) -> None:
    # Given a segment whose conditions are not a list
    snapshot = Snapshot([targeted(make_flag)], segments=[{"name": "staff", "conditions": "everyone"}, "junk"])  # type: ignore[list-item]
    # When evaluated
    result = snapshot.evaluate("f", {"identifier": "u"})
    # Then it matches no one
    assert result.reason == Reason.ROLLOUT_EXCLUDED


def test_evaluate_all__every_flag__sorted_by_name(make_flag: FlagFactory) -> None:
    # Given three flags added out of order
    snapshot = Snapshot([make_flag(name="c"), make_flag(name="a", enabled=False)])
    snapshot.upsert_flag(make_flag(name="b", rollout_percentage=0))
    # When all are evaluated for one user
    results = snapshot.evaluate_all({"identifier": "u"})
    # Then there is one result per flag, by name
    assert [(r.flag, r.reason) for r in results] == [
        ("a", Reason.DISABLED),
        ("b", Reason.ROLLOUT_EXCLUDED),
        ("c", Reason.ENABLED),
    ]


def test_evaluate_many__given_order_and_unknown_names(make_flag: FlagFactory) -> None:
    # Given two flags
    snapshot = Snapshot([make_flag(name="a"), make_flag(name="b", enabled=False)])
    # When some are evaluated, one unknown
    results = snapshot.evaluate_many(["b", "zzz", "a"], {})
    # Then results follow the order asked
    assert [(r.flag, r.reason) for r in results] == [
        ("b", Reason.DISABLED),
        ("zzz", Reason.FLAG_NOT_FOUND),
        ("a", Reason.ENABLED),
    ]


def test_evaluate_many__with_and_without_prerequisites__same_as_one_by_one(make_flag: FlagFactory) -> None:
    # Given flags without prerequisites, then the same with a chain added
    plain = [make_flag(name="a"), make_flag(name="b", rollout_percentage=50)]
    chained = [*plain, make_flag(name="c", prerequisites=[{"flag": "b"}])]
    for docs in (plain, chained):
        snapshot = Snapshot(docs)
        names = [doc["name"] for doc in docs] + ["missing"]
        for identifier in ("u1", "u2", "u3", "u4"):
            context = {"identifier": identifier}
            # When evaluated together / Then each answer is the one-by-one answer
            together = [result.fields() for result in snapshot.evaluate_many(names, context)]
            assert together == [snapshot.evaluate(name, context).fields() for name in names]


def test_evaluate_all__no_identifier__prerequisite_draw_is_shared(
    make_flag: FlagFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 50 % parent and a child requiring it, and random draws that alternate
    draws = iter([0.1, 0.9] * 10)
    monkeypatch.setattr(evaluate_module, "random", lambda: next(draws))
    snapshot = Snapshot(
        [make_flag(name="a_child", prerequisites=[{"flag": "parent"}]), make_flag(name="parent", rollout_percentage=50)]
    )
    # When every flag is evaluated without an identifier
    child, parent = snapshot.evaluate_all({})
    # Then the parent was drawn once: the child saw the same answer that is reported for it
    assert parent.reason == Reason.ROLLOUT_INCLUDED
    assert child.reason == Reason.ENABLED


def test_prerequisite_cycle__would_close_a_loop__returns_the_path(make_flag: FlagFactory) -> None:
    # Given a -> b -> c
    snapshot = Snapshot(
        [
            make_flag(name="a", prerequisites=[{"flag": "b"}]),
            make_flag(name="b", prerequisites=[{"flag": "c"}]),
            make_flag(name="c"),
        ]
    )
    # When c would require a, or itself, or an unrelated flag
    closing = snapshot.prerequisite_cycle(make_flag(name="c", prerequisites=[{"flag": "a"}]))
    itself = snapshot.prerequisite_cycle(make_flag(name="c", prerequisites=[{"flag": "c"}]))
    harmless = snapshot.prerequisite_cycle(make_flag(name="c", prerequisites=[{"flag": "x"}, {"flag": "b2"}]))
    updating_a = snapshot.prerequisite_cycle(make_flag(name="a", prerequisites=[{"flag": "c"}]))
    # Then the cycle is named from the upserted flag back to it
    assert closing == ["c", "a", "b", "c"]
    assert itself == ["c", "c"]
    assert harmless is None
    assert updating_a is None


def test_evaluate__cycle_in_stored_data__prerequisite_failed(make_flag: FlagFactory) -> None:
    # Given a prerequisite cycle that reached storage anyway, and a flag depending on it
    snapshot = Snapshot(
        [
            make_flag(name="a", prerequisites=[{"flag": "b"}]),
            make_flag(name="b", prerequisites=[{"flag": "a", "active": False}]),
            make_flag(name="c", prerequisites=[{"flag": "a"}]),
            make_flag(name="d"),
        ]
    )
    # When evaluated singly and all together
    single = [snapshot.evaluate(name, {}).reason for name in ("a", "b", "c", "d")]
    together = [r.reason for r in snapshot.evaluate_all({})]
    # Then no recursion error escapes: the cycle's flags fail their prerequisites
    failed = Reason.PREREQUISITE_FAILED
    assert single[:3] == [failed, failed, failed]
    assert single[3] == Reason.ENABLED
    assert together[0] == failed
    assert together[3] == Reason.ENABLED


def test_evaluate__deep_acyclic_chain__resolves(make_flag: FlagFactory) -> None:
    # Given a chain as deep as the guard allows
    depth = MAX_PREREQUISITE_DEPTH
    docs = [make_flag(name=f"f{n:03d}", prerequisites=[{"flag": f"f{n + 1:03d}"}]) for n in range(depth)]
    snapshot = Snapshot([*docs, make_flag(name=f"f{depth:03d}")])
    # When the head is evaluated
    result = snapshot.evaluate("f000", {})
    # Then every link is met
    assert result.reason == Reason.ENABLED


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(None, id="none"),
        pytest.param("identifier=u", id="string"),
        pytest.param([("identifier", "u")], id="pairs"),
        pytest.param(UserDict({"identifier": "u", "plan": "pro"}), id="user-dict"),
        pytest.param({"identifier": ["u"], "app": {"a": 1}, "environment": ["prod"]}, id="wrong-types"),
        pytest.param({"identifier": "\udcff", "attributes": "plan=pro"}, id="surrogate-and-flat-attributes"),
        pytest.param({"identifier": 10**5000}, id="huge-int-identifier"),
        pytest.param({1: "x", None: "y", ("t",): 1}, id="odd-keys"),
    ],
)
def test_evaluate__any_context__never_raises(make_flag: FlagFactory, context: Any) -> None:
    # Given flags exercising every step
    rules = [{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}], "serve": None}]
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    full = make_flag(name="full", variants=variants, rollout_percentage=50, rules=rules, allowlist={"u": "b"})
    full["environments"] = {"prod": {"rollout_percentage": 10}}
    full["prerequisites"] = [{"flag": "scoped", "active": False}]
    snapshot = Snapshot([make_flag(name="scoped", apps=["web"]), full])
    # When evaluated with a context of any shape
    results = [snapshot.evaluate("full", context), *snapshot.evaluate_all(context)]
    # Then each answer is an Evaluation
    assert all(result.flag in ("full", "scoped") for result in results)


def test_snapshot_with_changes__flags_and_segments_put_in_place__original_untouched(make_flag: FlagFactory) -> None:
    # Given a snapshot with a flag targeting a segment, and another flag
    snapshot = Snapshot([targeted(make_flag), make_flag(name="other", enabled=True)], [STAFF_SEGMENT])
    staff = {"identifier": "u1", "email": "ann@acme.com"}
    guest = {"identifier": "u2", "email": "bob@example.com"}
    # When a derived snapshot removes "other", adds "new" and widens the segment to everyone
    derived = snapshot.with_changes(
        {"other": None, "new": make_flag(name="new", enabled=True)}, {"staff": {"conditions": []}}
    )
    # Then the derived one answers with the changes
    assert derived.names() == ["f", "new"]
    assert derived.evaluate("f", guest).variant == "on"
    # And the original answers as before
    assert snapshot.names() == ["f", "other"]
    assert snapshot.evaluate("f", guest).variant == "off"
    assert snapshot.evaluate("f", staff).variant == "on"
