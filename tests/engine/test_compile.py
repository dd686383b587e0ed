"""compile_flag: defaults from docs/model.md, precomputed data, prebuilt results, tolerance of bad data."""

from __future__ import annotations

from typing import Any

import pytest

import vexil.engine
from vexil.engine import CompiledFlag, Evaluation, Reason, Snapshot, compile_flag

from .factories import FlagFactory


def compiled(doc: dict[str, Any]) -> CompiledFlag:
    return compile_flag(doc, {})


def test_compile_flag__minimal_doc__uses_documented_defaults() -> None:
    # Given a document with only a name
    flag = compiled({"name": "bare"})
    # When compiled
    # Then it is a disabled boolean flag at 100 %, salted by its name, for every app
    assert [(v.name, v.weight) for v in flag.variants] == [("off", 0), ("on", 1)]
    assert flag.default_variant == "off"
    assert flag.salt == "bare"
    assert flag.apps == frozenset()
    assert (flag.base.enabled, flag.base.threshold, flag.base.rules, flag.base.allowlist) == (False, 10000, (), {})
    assert flag.cumulative_weights == (0, 1)


@pytest.mark.parametrize(
    ("percentage", "threshold"),
    [(33.33, 3333), (0.01, 1), (50, 5000), (100, 10000), (0, 0), (150, 10000), (-3, 0), ("50", 0), (True, 0)],
)
def test_compile_flag__rollout_percentage__becomes_rounded_threshold(percentage: Any, threshold: int) -> None:
    # Given a rollout percentage, valid or not
    flag = compiled({"name": "f", "rollout_percentage": percentage})
    # When compiled
    # Then the threshold is round(p * 100) clamped to 0..10000; unreadable values include no one
    assert flag.base.threshold == threshold


def test_compile_flag__variants__cumulative_weights_and_default(make_flag: FlagFactory) -> None:
    # Given weighted variants with a named default
    variants = [{"name": "a", "weight": 3}, {"name": "b", "weight": 0}, {"name": "c", "weight": 2}]
    flag = compiled(make_flag(variants=variants, default_variant="c"))
    # When compiled
    # Then the running totals and the default are kept
    assert flag.cumulative_weights == (3, 3, 5)
    assert flag.default_variant == "c"


def test_compile_flag__evaluations__are_prebuilt_and_shared(make_flag: FlagFactory) -> None:
    # Given a flag with a rollout, a split and an allowlist
    variants = [{"name": "a", "weight": 1, "payload": {"k": 1}}, {"name": "b", "weight": 1}]
    snapshot = Snapshot([make_flag(variants=variants, rollout_percentage=50, allowlist={"x": "b"})])
    # When the same user is evaluated twice, and the allowlisted one too
    first = [snapshot.evaluate("f", {"identifier": f"u{n}"}) for n in range(50)]
    second = [snapshot.evaluate("f", {"identifier": f"u{n}"}) for n in range(50)]
    # Then the very same objects come back: nothing is allocated per evaluation
    assert all(a is b for a, b in zip(first, second, strict=True))
    assert len({id(result) for result in first}) <= 3
    assert snapshot.evaluate("f", {"identifier": "x"}) is snapshot.evaluate("f", {"identifier": "x"})


def test_compile_flag__environment_overrides__compiled_per_environment(make_flag: FlagFactory) -> None:
    # Given an override for production and an empty one for staging
    flag = compiled(make_flag(environments={"production": {"rollout_percentage": 25, "enabled": None}, "staging": {}}))
    # When the configurations are read
    # Then production has its own threshold, a null key inherits, and staging shares the flag's configuration
    assert (flag.config("production").threshold, flag.config("production").enabled) == (2500, True)
    assert flag.config("staging") is flag.base
    assert flag.config("qa") is flag.base
    assert flag.config(None) is flag.base


def test_compile_flag__rules__keep_their_index_and_serve(make_flag: FlagFactory) -> None:
    # Given a malformed rule followed by a good one
    flag = compiled(make_flag(rules=["junk", {"conditions": [], "serve": "on", "rollout_percentage": 12.5}]))
    # When compiled
    rule = flag.base.rules[1]
    # Then indices follow the stored list, and the good one is prepared
    assert [r.index for r in flag.base.rules] == [0, 1]
    assert (rule.threshold, rule.serve, rule.matcher({})) == (1250, "on", True)
    assert flag.base.rules[0].threshold == 0


def test_compile_flag__no_name__raises_value_error() -> None:
    # Given a nameless document
    # When compiled
    # Then it is refused
    with pytest.raises(ValueError, match="name"):
        compiled({"name": ""})


BAD_DOCS: list[Any] = [
    pytest.param({"variants": "on,off"}, id="variants-not-a-list"),
    pytest.param({"variants": [{"weight": 1}, None, {"name": "x", "weight": -1}]}, id="variants-unreadable"),
    pytest.param({"variants": [{"name": "a", "weight": 1.5}, {"name": "a", "weight": 1}]}, id="variants-dup-float"),
    pytest.param({"default_variant": "nope"}, id="default-unknown"),
    pytest.param({"rules": {"conditions": []}}, id="rules-not-a-list"),
    pytest.param({"rules": [{"conditions": "x", "serve": "on"}]}, id="conditions-not-a-list"),
    pytest.param({"rules": [{"conditions": [], "serve": "ghost"}]}, id="serve-unknown-variant"),
    pytest.param({"rules": [{"conditions": [], "serve": ["on"]}]}, id="serve-not-a-string"),
    pytest.param({"rules": [{"conditions": [{"operator": "gt"}], "serve": "on"}]}, id="condition-incomplete"),
    pytest.param({"rules": [{"conditions": [{"field": "x", "operator": "matches", "value": "("}]}]}, id="bad-regex"),
    pytest.param({"allowlist": ["u"]}, id="allowlist-not-an-object"),
    pytest.param({"allowlist": {"u": "ghost", "v": 1}}, id="allowlist-unknown-variant"),
    pytest.param({"apps": "web"}, id="apps-not-a-list"),
    pytest.param({"environments": ["production"]}, id="environments-not-an-object"),
    pytest.param({"environments": {"production": "off", "staging": {"rules": 3}}}, id="override-unreadable"),
    pytest.param({"prerequisites": "other"}, id="prerequisites-not-a-list"),
    pytest.param({"prerequisites": [{"flag": 1}, "x"]}, id="prerequisite-unreadable"),
    pytest.param({"salt": 12, "rollout_percentage": 50}, id="salt-not-a-string"),
    pytest.param({"enabled": "yes"}, id="enabled-not-a-bool"),
    pytest.param({"rollout_percentage": float("nan")}, id="rollout-nan"),
]


@pytest.mark.parametrize("fields", BAD_DOCS)
def test_compile_flag__bad_data__still_evaluates(make_flag: FlagFactory, fields: dict[str, Any]) -> None:
    # Given a document with malformed parts
    snapshot = Snapshot([make_flag(**fields)])
    # When evaluated in and out of an environment
    results = [snapshot.evaluate("f", {"identifier": "u", "environment": env, "x": 1}) for env in ("production", None)]
    # Then it answers, never raising, with a variant the flag has
    assert all(isinstance(result, Evaluation) and result.variant is not None for result in results)


def test_compile_flag__bad_data__fails_closed(make_flag: FlagFactory) -> None:
    # Given a rule serving an unknown variant, an allowlist naming one, and a non-boolean enabled
    ghost_rule = make_flag(rollout_percentage=0, rules=[{"conditions": [], "serve": "ghost"}], allowlist={"u": "ghost"})
    # When evaluated
    ghost = Snapshot([ghost_rule]).evaluate("f", {"identifier": "u"})
    truthy = Snapshot([make_flag(enabled="yes")]).evaluate("f", {})
    # Then nothing is served that was not meant
    assert ghost.reason == Reason.ROLLOUT_EXCLUDED
    assert truthy.reason == Reason.DISABLED


def test_engine__all__lists_the_public_api() -> None:
    # Given the package's declared exports
    exported = set(vexil.engine.__all__)
    # When each is looked up
    missing = [name for name in exported if not hasattr(vexil.engine, name)]
    # Then they all exist, and the main entry points are among them
    assert missing == []
    assert {"Snapshot", "compile_flag", "bucket", "variant_hash", "OPERATORS", "Evaluation", "Reason"} <= exported
