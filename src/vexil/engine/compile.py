"""Compiling a flag document (docs/model.md) into a ``CompiledFlag``.

``compile_flag`` reads the document once: it fills in the documented defaults, lays each
environment override over the flag, compiles the rules' conditions, turns percentages into
bucket thresholds and weights into a split, and prebuilds every ``Evaluation`` the flag can
return. It never raises on rule data: what is malformed cannot match (a rule serving an
unknown variant, an allowlist entry naming one, an unparsable condition) or falls back to a
safe default (an unreadable percentage includes no one; a missing one is 100).

>>> flag = compile_flag({"name": "beta", "enabled": True, "rollout_percentage": 100}, {})
>>> flag.evaluate({"identifier": "u1"}, None, 0).variant  # type: ignore[arg-type]
'on'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vexil.engine._matchers import never
from vexil.engine.bucketing import BUCKETS
from vexil.engine.evaluate import (
    FlagRun,
    Prerequisite,
    Served,
    make_allowlist,
    make_dispatch,
    make_rollout,
    make_rules,
    make_run,
    make_split,
)
from vexil.engine.operators import Segments, compile_conditions
from vexil.engine.types import Evaluation, FlagDoc, Matcher, Reason

__all__ = [
    "BOOLEAN_VARIANTS",
    "OVERRIDABLE",
    "CompiledConfig",
    "CompiledFlag",
    "CompiledRule",
    "Variant",
    "compile_flag",
    "configuration",
    "flag_name",
    "prerequisites_of",
]

# The settings an environment's override may replace.
OVERRIDABLE = ("enabled", "rollout_percentage", "rules", "allowlist")
# The variants of a boolean flag, the first its default: what a flag created without variants has
# (docs/spec.md §1). A flag with exactly these two variants (in any order) and `off` its default is
# boolean wherever a surface answers one typed value (OpenFeature: the flag's `active`).
BOOLEAN_VARIANTS = ("off", "on")
_NO_PAYLOAD: Any = None


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    payload: Any
    weight: int


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int  # the rule's position in the (resolved) rules list, reported as Evaluation.rule
    matcher: Matcher
    threshold: int  # bucket threshold: round(rollout_percentage * 100)
    serve: str | None  # a variant name, or None for the weighted split


@dataclass(frozen=True, slots=True)
class CompiledConfig:
    """A flag's configuration in one environment, with the override laid over it."""

    enabled: bool
    threshold: int
    allowlist: Mapping[str, Evaluation]
    rules: tuple[CompiledRule, ...]
    run: FlagRun


@dataclass(frozen=True, slots=True)
class CompiledFlag:
    """A flag ready to evaluate: ``evaluate(context, resolve, depth)`` is docs/spec.md §2 steps 2-9."""

    name: str
    doc: FlagDoc
    salt: str
    apps: frozenset[str]
    variants: tuple[Variant, ...]
    default_variant: str
    cumulative_weights: tuple[int, ...]
    prerequisites: tuple[Prerequisite, ...]
    segments: frozenset[str]  # every segment name the conditions refer to, known or not
    base: CompiledConfig
    environments: Mapping[str, CompiledConfig]
    evaluate: FlagRun
    prerequisite_failed: Evaluation
    boolean: bool  # variants exactly BOOLEAN_VARIANTS, `off` the default

    def config(self, environment: str | None) -> CompiledConfig:
        if environment is None:
            return self.base
        return self.environments.get(environment, self.base)


@dataclass
class _Outcomes:
    """Prebuilt, shared results: one per (variant, reason, rule)."""

    name: str
    default: str
    payloads: Mapping[str, Any]
    built: dict[tuple[str, Reason, int | None], Evaluation] = field(default_factory=dict)

    def get(self, variant: str, reason: Reason, rule: int | None = None) -> Evaluation:
        key = (variant, reason, rule)
        result = self.built.get(key)
        if result is None:
            payload = self.payloads.get(variant, _NO_PAYLOAD)
            result = Evaluation(self.name, variant != self.default, variant, payload, reason, rule)
            self.built[key] = result
        return result


def flag_name(doc: FlagDoc) -> str:
    """The document's ``name`` (or its ``key`` alias); a document without one is not a flag."""
    name = doc.get("name", doc.get("key"))
    if not isinstance(name, str) or not name:
        raise ValueError("a flag document needs a non-empty string name")
    return name


def _threshold(value: Any) -> int:
    """round(percentage * 100), clamped to 0..10000; absent is 100 %, unreadable is 0 % (fail closed)."""
    if value is None:
        return BUCKETS
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return min(max(round(value * 100), 0), BUCKETS)


def _variants(value: Any) -> tuple[Variant, ...]:
    variants: list[Variant] = []
    seen: set[str] = set()
    for item in value if isinstance(value, list | tuple) else ():
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not name or name in seen:
            continue
        weight = item.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            weight = 0
        seen.add(name)
        variants.append(Variant(name, item.get("payload"), weight))
    # No (readable) variants: a boolean flag.
    off, on = BOOLEAN_VARIANTS
    return tuple(variants) or (Variant(off, None, 0), Variant(on, None, 1))


def prerequisites_of(doc: FlagDoc) -> tuple[Prerequisite, ...]:
    """The document's prerequisites as (flag, active, variants or None); an unreadable one is never met."""
    value = doc.get("prerequisites")
    prerequisites: list[Prerequisite] = []
    for item in value if isinstance(value, list | tuple) else ():
        flag = item.get("flag") if isinstance(item, Mapping) else None
        if not isinstance(flag, str) or not flag:
            # Unreadable: require a flag that cannot exist to be active, so it is never met.
            prerequisites.append(("", True, None))
            continue
        active = item.get("active", True)
        variants = item.get("variants")
        allowed = frozenset(v for v in variants if isinstance(v, str)) if isinstance(variants, list | tuple) else None
        # An empty list is read as "any variant", like null.
        prerequisites.append((flag, active is not False, allowed or None))
    return tuple(prerequisites)


class _FlagCompiler:
    """Holds what every environment of one flag shares while its configurations are compiled."""

    def __init__(self, doc: FlagDoc, segments: Segments) -> None:
        self.name = flag_name(doc)
        salt = doc.get("salt")
        self.salt = salt if isinstance(salt, str) and salt else self.name
        self.prefix = self.salt + ":"
        self.variants = _variants(doc.get("variants"))
        names = [variant.name for variant in self.variants]
        default = doc.get("default_variant")
        self.default = default if isinstance(default, str) and default in names else names[0]
        payloads = {variant.name: variant.payload for variant in self.variants}
        self.outcomes = _Outcomes(self.name, self.default, payloads)
        self.weights = [variant.weight for variant in self.variants]
        self.segments = segments
        self.used_segments: set[str] = set()
        self._rules_cache: dict[int, tuple[CompiledRule, ...]] = {}

    def default_result(self, reason: Reason) -> Evaluation:
        return self.outcomes.get(self.default, reason)

    def split(self, reason: Reason, rule: int | None = None) -> Served:
        weighted = [variant for variant in self.variants if variant.weight > 0]
        if not weighted:
            return self.outcomes.get(self.default, reason, rule)  # a total weight of 0 serves the default variant
        results = [self.outcomes.get(variant.name, reason, rule) for variant in weighted]
        return make_split(self.prefix, [variant.weight for variant in weighted], results)

    def rules(self, value: Any) -> tuple[CompiledRule, ...]:
        cached = self._rules_cache.get(id(value))
        if cached is None:
            cached = (
                tuple(self._rule(index, rule) for index, rule in enumerate(value))
                if isinstance(value, list | tuple)
                else ()
            )
            self._rules_cache[id(value)] = cached
        return cached

    def _rule(self, index: int, rule: Any) -> CompiledRule:
        if not isinstance(rule, Mapping):
            return CompiledRule(index, never, 0, None)
        serve = rule.get("serve")
        threshold = _threshold(rule.get("rollout_percentage"))
        if serve is not None and (not isinstance(serve, str) or serve not in self.outcomes.payloads):
            threshold = 0  # serving a variant that does not exist: the rule can never decide
        conditions = rule.get("conditions", [])
        matcher = compile_conditions(conditions, self.segments, used_segments=self.used_segments)
        return CompiledRule(index, matcher, threshold, serve)

    def allowlist(self, value: Any) -> dict[str, Evaluation]:
        if not isinstance(value, Mapping):
            return {}
        return {
            identifier: self.outcomes.get(variant, Reason.ALLOWLIST)
            for identifier, variant in value.items()
            if isinstance(identifier, str) and isinstance(variant, str) and variant in self.outcomes.payloads
        }

    def config(
        self, settings: Mapping[str, Any], apps: frozenset[str], prerequisites: Sequence[Prerequisite]
    ) -> CompiledConfig:
        enabled = settings.get("enabled") is True
        threshold = _threshold(settings.get("rollout_percentage"))
        allowlist = self.allowlist(settings.get("allowlist"))
        rules = self.rules(settings.get("rules"))
        outcomes = {
            reason: self.default_result(reason)
            for reason in (Reason.APP_NOT_SCOPED, Reason.DISABLED, Reason.PREREQUISITE_FAILED)
        }
        if not enabled:  # the kill switch: nothing past step 4 can be reached
            run = make_run(_unreachable, constant=None, enabled=False, apps=apps, prerequisites=(), outcomes=outcomes)
            return CompiledConfig(enabled, threshold, allowlist, rules, run)
        excluded = self.default_result(Reason.ROLLOUT_EXCLUDED)
        everyone = self.split(Reason.ENABLED) if threshold >= BUCKETS else excluded
        included = self.split(Reason.ROLLOUT_INCLUDED) if 0 < threshold < BUCKETS else excluded
        decide = make_rollout(self.prefix, threshold, included=included, everyone=everyone, excluded=excluded)
        live_rules = [rule for rule in rules if rule.threshold > 0]
        serving = [(rule.matcher, rule.threshold, self._served(rule)) for rule in live_rules]
        decide = make_allowlist(allowlist, make_rules(self.prefix, serving, decide))
        simple = threshold >= BUCKETS and not allowlist and not live_rules
        run = make_run(
            decide,
            constant=everyone if simple and isinstance(everyone, Evaluation) else None,
            enabled=True,
            apps=apps,
            prerequisites=prerequisites,
            outcomes=outcomes,
        )
        return CompiledConfig(enabled, threshold, allowlist, rules, run)

    def _served(self, rule: CompiledRule) -> Served:
        if rule.serve is None:
            return self.split(Reason.RULE_MATCH, rule.index)
        return self.outcomes.get(rule.serve, Reason.RULE_MATCH, rule.index)


def _unreachable(context: Any, identifier: str | None, bucket: int) -> Evaluation:
    raise AssertionError("a disabled configuration never decides past step 4")


def _overrides(value: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        return {}
    return {
        name: override for name, override in value.items() if isinstance(name, str) and isinstance(override, Mapping)
    }


def _present(override: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of an override that replace the flag's own: those present and not null."""
    return {key: override[key] for key in OVERRIDABLE if override.get(key) is not None}


def configuration(doc: FlagDoc, environment: str | None) -> dict[str, Any]:
    """The raw settings (`OVERRIDABLE`) ``doc`` is evaluated with in ``environment``, the override laid
    over the flag's own as ``compile_flag`` does; for translators that need the settings themselves
    (the Unleash feed), not a matcher."""
    own = {key: doc.get(key) for key in OVERRIDABLE}
    override = _overrides(doc.get("environments")).get(environment) if environment is not None else None
    return {**own, **_present(override)} if override is not None else own


def compile_flag(doc: FlagDoc, segments: Segments) -> CompiledFlag:
    """Compile ``doc`` against ``segments`` (segment name to its conditions).

    Raises ``ValueError`` only for a document without a name; everything else is tolerated.
    The document is kept, not copied: treat documents as immutable once compiled.
    """
    compiler = _FlagCompiler(doc, segments)
    apps_value = doc.get("apps")
    apps = (
        frozenset(a for a in apps_value if isinstance(a, str)) if isinstance(apps_value, list | tuple) else frozenset()
    )
    prerequisites = prerequisites_of(doc)
    own = {key: doc.get(key) for key in OVERRIDABLE}
    base = compiler.config(own, apps, prerequisites)
    environments: dict[str, CompiledConfig] = {}
    for environment, override in _overrides(doc.get("environments")).items():
        # A key present (and not null) replaces the flag's own; an absent one inherits it.
        present = _present(override)
        environments[environment] = compiler.config({**own, **present}, apps, prerequisites) if present else base
    return CompiledFlag(
        name=compiler.name,
        doc=doc,
        salt=compiler.salt,
        apps=apps,
        variants=compiler.variants,
        default_variant=compiler.default,
        cumulative_weights=_cumulative(compiler.weights),
        prerequisites=prerequisites,
        segments=frozenset(compiler.used_segments),
        base=base,
        environments=environments,
        evaluate=make_dispatch(
            base.run, {name: config.run for name, config in environments.items() if config is not base}
        ),
        prerequisite_failed=compiler.default_result(Reason.PREREQUISITE_FAILED),
        boolean=compiler.default == BOOLEAN_VARIANTS[0]
        and sorted(variant.name for variant in compiler.variants) == list(BOOLEAN_VARIANTS),
    )


def _cumulative(weights: Sequence[int]) -> tuple[int, ...]:
    running, totals = 0, []
    for weight in weights:
        running += weight
        totals.append(running)
    return tuple(totals)
