"""Vexil flags as Unleash features, for the Unleash client API (`GET /api/client/features`).

Unleash's server SDKs evaluate locally, and Vexil's bucketing is Unleash's (docs/spec.md §2), so a
flag translated faithfully gets from every Unleash SDK the answer Vexil itself gives. This module
is that translation, pure (it reads an engine `Snapshot` and segment documents, nothing else), for
one environment and one Unleash client specification level (`Dialect`). docs/unleash.md is the
mapping, field by field and operator by operator; in short:

- a flag is one feature whose strategies, tried in order (Unleash ORs them: the first that is on
  decides), are its allowlist, its rules and its rollout, each a `flexibleRollout` with the flag's
  salt as `groupId`, its own percentage and the variants it serves (strategy variants, which hash
  with the `groupId` as Vexil's split hashes with the salt);
- whoever an earlier step sends to the default variant (an allowlisted identifier, a rule serving
  the default variant) is kept out of later strategies by constraints, since a strategy cannot
  answer "off";
- conditions become constraints; one that Unleash reads only as an OR (a list of numbers, the
  negation of several conditions, `not_in_segment`) becomes several strategies;
- what no Unleash SDK can evaluate exactly (a regex, a CIDR, `exists`, a date compared with a
  field, a fractional percentage, a prerequisite two levels deep, ...) leaves the flag OUT of the
  feed, with the reason in plain words: never a wrong answer.

This module builds the features and the feed; what a client can evaluate is `unleash/dialect.py`,
conditions and segments as constraints `unleash/_conditions.py`, over the formulas of
`unleash/_formulas.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vexil.engine import BUCKETS, Snapshot
from vexil.engine.compile import CompiledFlag, configuration
from vexil.unleash._conditions import Conditions, Segments, exact_text
from vexil.unleash._formulas import (
    MAX_ALTERNATIVES,
    TRUE,
    Constraint,
    Doc,
    Formula,
    SegmentRef,
    Term,
    both,
    negated,
    new_constraint,
)
from vexil.unleash.dialect import (
    CURRENT,
    DEPENDENCIES_SPEC,
    OPERATORS_SPEC,
    STRATEGY_VARIANTS_SPEC,
    Dialect,
    NotExpressibleError,
)
from vexil.unleash.payloads import unleash_payload

__all__ = [
    "CURRENT",
    "Dialect",
    "Feed",
    "NotExpressibleError",
    "is_boolean",
    "translate",
]


# --- payloads and variants -------------------------------------------------------------------------


def is_boolean(flag: CompiledFlag) -> bool:
    """A boolean flag: `off` (the default, weight 0) and `on`, without payloads. Its answer is whether
    it is on, which Unleash's `isEnabled` gives without variants."""
    return flag.boolean and all(
        variant.payload is None and (variant.weight == 0 or variant.name != flag.default_variant)
        for variant in flag.variants
    )


# --- one feature -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Built:
    feature: Doc | None
    reason: str | None = None
    # Some enabled strategy may serve the default variant (by weight): `isEnabled` is then true for
    # users Vexil calls inactive, and a dependency on this flag must name variants.
    serves_default: bool = False


class _Feature:
    """One flag in one environment, as an Unleash feature (or `NotExpressibleError`)."""

    def __init__(self, flag: CompiledFlag, feed: _FeedBuilder) -> None:
        self.flag = flag
        self.feed = feed
        self.dialect = feed.dialect
        self.strategies: list[Doc] = []
        self.exclusion: Formula = TRUE  # who earlier steps sent to the default variant, kept out of later ones
        self.pending: str | None = None  # why no strategy may follow (a rule serving the default to a part)
        self.serves_default = False

    def build(self) -> _Built:
        flag, environment = self.flag, self.feed.environment
        config = flag.config(environment)
        if not config.enabled:
            return _Built(self._feature(False, []))
        dependencies = self._dependencies()
        if dependencies is None:  # a prerequisite that can never be met: the default variant for all
            return _Built(self._feature(False, []))
        if not self.dialect.strategy_variants and not is_boolean(flag):
            raise self.dialect.lacks(STRATEGY_VARIANTS_SPEC, "has variants, served by strategy variants")
        self._allowlist({identifier: result.variant for identifier, result in config.allowlist.items()})
        settings = configuration(flag.doc, environment)
        raw_rules = settings["rules"]
        for rule in config.rules:
            if rule.threshold > 0:
                self._rule(rule.index, raw_rules[rule.index], rule.threshold, rule.serve)
        weighted = [variant.name for variant in flag.variants if variant.weight > 0]
        if config.threshold > 0 and any(name != flag.default_variant for name in weighted):
            self._add(TRUE, config.threshold, weighted, "the rollout")
        feature = self._feature(bool(self.strategies), self.strategies, dependencies)
        return _Built(feature, serves_default=self.serves_default)

    def _feature(self, enabled: bool, strategies: list[Doc], dependencies: list[Doc] | None = None) -> Doc:
        feature: Doc = {
            "name": self.flag.name,
            "type": "release",
            "project": "default",
            "enabled": enabled,
            "stale": False,
            "impressionData": False,
            "strategies": strategies,
            "variants": [],
        }
        if dependencies:
            feature["dependencies"] = dependencies
        return feature

    # --- steps 5 to 8 of docs/spec.md §2 ---------------------------------------------------------

    def _dependencies(self) -> list[Doc] | None:
        """The prerequisites as Unleash dependencies, or None when one can never be met."""
        dependencies: list[Doc] = []
        for name, active, allowed in self.flag.prerequisites:
            parent = self.feed.snapshot.get_compiled(name) if name else None
            if parent is None:  # a flag that does not exist is never active
                if active:
                    return None
                continue
            where = f"has prerequisite `{name}`"
            if not self.dialect.dependencies:
                raise self.dialect.lacks(DEPENDENCIES_SPEC, f"{where}, served as an Unleash dependency")
            if parent.prerequisites:
                raise NotExpressibleError(
                    f"{where}, which has prerequisites of its own, and Unleash dependencies are one level deep"
                )
            built = self.feed.built.get(name)
            if built is None or built.feature is None:
                raise NotExpressibleError(f"{where}, which is left out of the feed itself")
            dependency = self._dependency(parent, built, active, allowed)
            if dependency is None:
                return None
            dependencies.append(dependency)
        return dependencies

    def _dependency(
        self, parent: CompiledFlag, built: _Built, active: bool, allowed: frozenset[str] | None
    ) -> Doc | None:
        default = parent.default_variant
        names = [variant.name for variant in parent.variants]
        if not active:
            if allowed is not None and default not in allowed:
                return None  # an inactive flag serves its default variant: never met
            if built.serves_default:
                raise NotExpressibleError(
                    f"has prerequisite `{parent.name}` required off, but `{parent.name}` serves its default "
                    "variant by weight to some users, which Unleash counts as on"
                )
            return {"feature": parent.name, "enabled": False}
        wanted = [name for name in names if name != default and (allowed is None or name in allowed)]
        if not wanted:
            return None
        if allowed is None and not built.serves_default:
            return {"feature": parent.name, "enabled": True}
        return {"feature": parent.name, "enabled": True, "variants": wanted}

    def _allowlist(self, allowlist: Mapping[str, str | None]) -> None:
        by_variant: dict[str, list[str]] = {}
        for identifier, variant in sorted(allowlist.items()):
            exact_text(identifier, "the allowlist lists the identifier")
            by_variant.setdefault(variant or "", []).append(identifier)
        default = by_variant.pop(self.flag.default_variant, None)
        for variant, identifiers in by_variant.items():
            self._add(((new_constraint("userId", "IN", values=identifiers),),), BUCKETS, [variant], "the allowlist")
        if default:
            self.exclusion = both(self.exclusion, ((new_constraint("userId", "NOT_IN", values=default),),))

    def _rule(self, index: int, rule: Mapping[str, Any], threshold: int, serve: str | None) -> None:
        where = f"rule {index + 1}"
        try:
            formula = self.feed.conditions.all(rule.get("conditions", []))
        except NotExpressibleError as exc:
            raise NotExpressibleError(f"{where} {exc.reason}") from None
        if not formula:
            return
        default = self.flag.default_variant
        served = [serve] if serve is not None else [v.name for v in self.flag.variants if v.weight > 0]
        if all(name == default for name in served):
            if threshold >= BUCKETS:
                try:
                    self.exclusion = both(self.exclusion, negated(formula))
                except NotExpressibleError as exc:
                    raise NotExpressibleError(
                        f"{where} serves the default variant, and keeping its users out of the later steps {exc.reason}"
                    ) from None
            else:
                self.pending = self.pending or (
                    f"{where} serves the default variant to {_percent(threshold)} % of the users it matches, "
                    "and Unleash cannot hand the others on to the later steps"
                )
            return
        self._add(formula, threshold, served, where)

    def _add(self, formula: Formula, threshold: int, served: Sequence[str], where: str) -> None:
        if self.pending is not None:
            raise NotExpressibleError(self.pending)
        if threshold % 100:
            raise NotExpressibleError(
                f"{where} rolls out to {_percent(threshold)} %, and Unleash SDKs roll out whole percentages only"
            )
        try:
            terms = both(formula, self.exclusion)
        except NotExpressibleError as exc:
            raise NotExpressibleError(f"{where} {exc.reason}") from None
        if len(self.strategies) + len(terms) > MAX_ALTERNATIVES:
            raise NotExpressibleError(f"would need more than {MAX_ALTERNATIVES} Unleash strategies")
        if self.flag.default_variant in served:
            self.serves_default = True
        for term in terms:
            self.strategies.append(self._strategy(term, threshold // 100, served, where))

    def _strategy(self, term: Term, percent: int, served: Sequence[str], where: str) -> Doc:
        constraints: list[Constraint] = []
        if self.flag.apps:
            constraints.append(new_constraint("appName", "IN", values=sorted(self.flag.apps)))
        segments: list[int] = []
        for literal in term:
            if isinstance(literal, SegmentRef):
                segments.append(literal.id)
            else:
                constraints.append(self._readable(literal, where))
        strategy: Doc = {
            "name": "flexibleRollout",
            "parameters": {"rollout": str(percent), "stickiness": "default", "groupId": self.flag.salt},
            "constraints": constraints,
            "segments": segments,
        }
        if self.dialect.strategy_variants:
            strategy["variants"] = [self._variant(name, len(served)) for name in served]
        return strategy

    def _variant(self, name: str, count: int) -> Doc:
        variant = next(v for v in self.flag.variants if v.name == name)
        entry: Doc = {
            "name": name,
            "weight": variant.weight if count > 1 else 1000,
            "weightType": "variable",
            "stickiness": "default",
        }
        payload = unleash_payload(variant.payload)
        if payload is not None:
            entry["payload"] = payload
        return entry

    def _readable(self, constraint: Constraint, where: str) -> Constraint:
        """`constraint` as the client reads it: before specification 4.1.0 only IN and NOT_IN exist."""
        if self.dialect.operators:
            return constraint
        if constraint["operator"] not in ("IN", "NOT_IN"):
            raise self.dialect.lacks(OPERATORS_SPEC, f"{where} uses {constraint['operator']}")
        operator = constraint["operator"]
        if constraint.get("inverted"):
            operator = "NOT_IN" if operator == "IN" else "IN"
        return {"contextName": constraint["contextName"], "operator": operator, "values": constraint["values"]}


def _percent(threshold: int) -> str:
    return f"{threshold / 100:g}"


# --- the feed --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Feed:
    """The features served, the global segments they refer to (None: inlined for this client), and
    every flag left out with its reason."""

    features: list[Doc]
    segments: list[Doc] | None
    left_out: dict[str, str]


class _FeedBuilder:
    def __init__(
        self, snapshot: Snapshot, segments: Iterable[Mapping[str, Any]], environment: str | None, dialect: Dialect
    ) -> None:
        self.snapshot = snapshot
        self.environment = environment
        self.dialect = dialect
        self.segments = Segments(segments, dialect)
        self.conditions = Conditions(self.segments, environment)
        self.built: dict[str, _Built] = {}

    def build(self, names: Sequence[str] | None) -> Feed:
        known = self.snapshot.names() if names is None else names
        flags = [flag for flag in map(self.snapshot.get_compiled, known) if flag is not None]
        names = [flag.name for flag in flags]
        # Parents first: a dependency is served only if its parent is (and parents have no prerequisites).
        for flag in sorted(flags, key=lambda flag: (bool(flag.prerequisites), flag.name)):
            try:
                self.built[flag.name] = _Feature(flag, self).build()
            except NotExpressibleError as exc:
                self.built[flag.name] = _Built(None, exc.reason)
        features = [built.feature for name in names if (built := self.built[name]).feature is not None]
        left_out = {name: built.reason for name in names if (built := self.built[name]).reason is not None}
        used = sorted(
            {ref for feature in features for strategy in feature["strategies"] for ref in strategy["segments"]}
        )
        segments = [self.segments.definitions[ref] for ref in used] if self.dialect.segments else None
        return Feed(features, segments, left_out)


def translate(
    snapshot: Snapshot,
    segments: Iterable[Mapping[str, Any]],
    environment: str | None,
    dialect: Dialect = CURRENT,
    names: Sequence[str] | None = None,
) -> Feed:
    """Every flag of `snapshot` (or those of `names`, sorted) as an Unleash feature in `environment`
    (None: each flag's own configuration) for a client of `dialect`, or left out with the reason.

    Reads the snapshot one flag at a time, so it may run in another thread than the snapshot's
    writer when `names` is taken beforehand (listing a dict while it changes is not safe)."""
    return _FeedBuilder(snapshot, segments, environment, dialect).build(names)
