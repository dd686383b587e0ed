"""Unleash's export → Vexil flag and segment documents (`vexil import --from unleash`).

Pure (no I/O): `convert(documents)` reads what Unleash hands out and answers the documents to
create, or raises `Refused` listing every feature it cannot reproduce exactly, each with why. The
rule is that an imported flag gives every user the answer Unleash's SDKs gave (docs/migrating-from-
unleash.md): where a difference would be silent, the feature is refused, never approximated.

The input, one JSON document or a list of them:

- Unleash's features-batch export (`POST /api/admin/features-batch/export`), one per environment
  (an export holds one environment's strategies, named by its `featureEnvironments`);
- Unleash's segment list (`GET /api/admin/segments`), since an export names the segments its
  strategies use without their constraints.

How each feature maps (the docs page has the table): one Vexil flag of the same name, off in its
own configuration, with one override per Unleash environment (`enabled`, and one rule per active
strategy in Unleash's order, with `rollout_percentage: 0` after them, since a user no strategy
enables is off). A flexibleRollout's `groupId` becomes the flag's salt, so that Vexil's bucket
(`docs/spec.md`, bucketing) is Unleash's and every user keeps their answer. Variants become the
flag's variants behind a default named `disabled`, Unleash's own name for "no variant".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vexil.engine import BOOLEAN_VARIANTS

__all__ = ["DEFAULT_VARIANT", "Conversion", "Refused", "convert"]

Doc = dict[str, Any]

# The default variant of an imported flag with variants: what Unleash's SDKs call the answer of a
# feature that is off (or on without a variant).
DEFAULT_VARIANT = "disabled"
# A flag without variants in Unleash is a Vexil boolean flag; its rules serve this variant.
BOOLEAN_ON = BOOLEAN_VARIANTS[1]
# Unleash context fields with a Vexil counterpart of another name; every other field is an attribute.
FIELDS = {"userId": "identifier", "appName": "app", "environment": "environment"}
# Vexil's reserved context keys: an Unleash property of one of these names would read something else.
RESERVED_FIELDS = frozenset({"identifier", "app", "environment", "attributes"})
STRING_OPERATORS = {
    "STR_STARTS_WITH": ("starts_with", "^(?:{})"),
    "STR_ENDS_WITH": ("ends_with", "(?:{})$"),
    "STR_CONTAINS": ("contains", "(?:{})"),
}
NUMBER_OPERATORS = {"NUM_EQ": "eq", "NUM_GT": "gt", "NUM_GTE": "gte", "NUM_LT": "lt", "NUM_LTE": "lte"}
SEMVER_OPERATORS = {"SEMVER_EQ": "semver_eq", "SEMVER_GT": "semver_gt", "SEMVER_LT": "semver_lt"}
# What RE2 reads as syntax; everything else stands for itself.
REGEX_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")
SEGMENT_NAME_JUNK = re.compile(r"[^a-z0-9_.-]+")


class Refused(ValueError):
    """What cannot be imported faithfully: one plain sentence per problem, each naming its feature."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = "the file cannot be imported" if count == 1 else f"{count} problems, nothing imported"
        super().__init__(f"{head}: " + "; ".join(self.problems))


class _Problem(Exception):
    """One reason a feature cannot be converted (collected per feature by `convert`)."""


@dataclass
class Conversion:
    """The documents to create (`POST /flags` and `POST /segments` shapes), and what the import
    changes without changing any answer (said to the user, never silently)."""

    flags: list[Doc] = field(default_factory=list)
    segments: list[Doc] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- reading the input ---------------------------------------------------------------------------


@dataclass
class _Environment:
    enabled: bool
    strategies: list[Doc]
    variants: list[Doc]
    disabled_strategies: int = 0


@dataclass
class _Feature:
    name: str
    description: str
    environments: dict[str, _Environment] = field(default_factory=dict)
    dependencies: list[Doc] = field(default_factory=list)


@dataclass
class _Input:
    features: dict[str, _Feature] = field(default_factory=dict)
    # Unleash segment id -> {name, description, constraints}.
    segments: dict[Any, Doc] = field(default_factory=dict)
    segment_names: dict[Any, str] = field(default_factory=dict)


def _documents(data: Any) -> list[Doc]:
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise Refused(["expected Unleash's export (an object with 'features'), its segment list, or a list of them"])
    for index, item in enumerate(items):
        if "features" not in item and "segments" not in item:
            where = "the document" if len(items) == 1 else f"document {index + 1}"
            raise Refused([f"{where} is not an Unleash export: it has neither 'features' nor 'segments'"])
    return items


def _list(doc: Mapping[str, Any], key: str, where: str) -> list[Doc]:
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Refused([f"{where}: '{key}' must be a list of objects"])
    return value


def _export_environment(doc: Mapping[str, Any], where: str) -> str | None:
    names = {str(item.get("environment")) for item in _list(doc, "featureEnvironments", where)}
    if len(names) > 1:
        raise Refused([f"{where} holds several environments ({', '.join(sorted(names))}); export one at a time"])
    if not names and _list(doc, "featureStrategies", where):
        raise Refused([f"{where} has strategies but no featureEnvironments to say which environment they are in"])
    return names.pop() if names else None


def _read(data: Any) -> _Input:
    read = _Input()
    seen_environments: set[str] = set()
    for index, doc in enumerate(_documents(data)):
        where = f"document {index + 1}"
        if "features" not in doc:
            for segment in _list(doc, "segments", where):
                read.segments[segment.get("id")] = segment
            continue
        environment = _export_environment(doc, where)
        if environment is not None:
            if environment in seen_environments:
                raise Refused([f"the environment {environment} is exported twice"])
            seen_environments.add(environment)
        _read_export(read, doc, environment, where)
    return read


def _read_export(read: _Input, doc: Mapping[str, Any], environment: str | None, where: str) -> None:
    for raw in _list(doc, "features", where):
        name = str(raw.get("name"))
        feature = read.features.setdefault(name, _Feature(name, str(raw.get("description") or "")))
        if environment is not None:
            feature.environments.setdefault(environment, _Environment(False, [], []))
    if environment is not None:
        _read_environment(read.features, doc, environment, where)
    for raw in _list(doc, "segments", where):
        read.segment_names[raw.get("id")] = str(raw.get("name"))
    for raw in _list(doc, "dependencies", where):
        _read_dependencies(read.features.get(str(raw.get("feature"))), raw)


def _read_dependencies(feature: _Feature | None, raw: Mapping[str, Any]) -> None:
    """A feature's parents (every environment's export repeats them: kept once)."""
    for parent in raw.get("dependencies") or [] if feature is not None else []:
        if feature is not None and parent not in feature.dependencies:
            feature.dependencies.append(parent)


def _read_environment(features: Mapping[str, _Feature], doc: Mapping[str, Any], environment: str, where: str) -> None:
    """One environment's state and active strategies, in Unleash's order (`sortOrder` when the
    export gives it; Unleash 7's does not, and its list order is then all there is)."""
    for raw in _list(doc, "featureEnvironments", where):
        feature = features.get(str(raw.get("featureName")))
        if feature is not None:
            feature.environments[environment] = _Environment(bool(raw.get("enabled")), [], raw.get("variants") or [])
    strategies = sorted(_list(doc, "featureStrategies", where), key=lambda s: s.get("sortOrder") or 0)
    for raw in strategies:
        feature = features.get(str(raw.get("featureName")))
        if feature is not None and raw.get("disabled"):
            feature.environments[environment].disabled_strategies += 1
        elif feature is not None:
            feature.environments[environment].strategies.append(raw)


# --- segments ------------------------------------------------------------------------------------


def _segment_name(unleash_name: str, segment_id: Any, taken: set[str]) -> str:
    """A Vexil segment name for an Unleash one (SDKs never see segment names, so renaming is harmless)."""
    slug = SEGMENT_NAME_JUNK.sub("-", unleash_name.lower()).strip("-_.")[:90] or f"segment-{segment_id}"
    name = slug if slug not in taken else f"{slug}-{segment_id}"
    taken.add(name)
    return name


class _Segments:
    """The Unleash segments the imported strategies use, converted once, by Unleash id."""

    def __init__(self, read: _Input, warnings: list[str]) -> None:
        self.read = read
        self.warnings = warnings
        self.names: dict[Any, str] = {}
        self.documents: list[Doc] = []
        self.taken: set[str] = set()

    def name_of(self, segment_id: Any) -> str:
        if segment_id in self.names:
            return self.names[segment_id]
        segment = self.read.segments.get(segment_id)
        if segment is None:
            known = self.read.segment_names.get(segment_id)
            label = f"segment {segment_id}" + (f" ({known})" if known else "")
            raise _Problem(
                f"{label}'s constraints are not in the file (an export names segments only: add the answer "
                "of Unleash's GET /api/admin/segments to the list)"
            )
        unleash_name = str(segment.get("name") or "")
        try:
            conditions = [c for raw in segment.get("constraints") or [] for c in _conditions(raw)]
        except _Problem as exc:
            raise _Problem(f"segment {unleash_name}: {exc}") from None
        name = _segment_name(unleash_name, segment_id, self.taken)
        if name != unleash_name:
            self.warnings.append(f"segment {unleash_name!r} is named {name!r} in Vexil")
        self.names[segment_id] = name
        self.documents.append(
            {"name": name, "description": str(segment.get("description") or ""), "conditions": conditions}
        )
        return name


# --- constraints → conditions --------------------------------------------------------------------


def _field(context_name: Any) -> str:
    name = str(context_name or "")
    if name in FIELDS:
        return FIELDS[name]
    if name == "currentTime":
        raise _Problem("a constraint on currentTime reads the clock in Unleash, which Vexil conditions cannot")
    if not name or "." in name or name in RESERVED_FIELDS:
        raise _Problem(f"the context field {name!r} would read another value in a Vexil context")
    return name


def _values(raw: Mapping[str, Any]) -> list[str]:
    """The constraint's values as Unleash's SDKs read them: empty ones dropped, the others trimmed."""
    values = [str(v).strip() for v in raw.get("values") or [] if v]
    if not values:
        raise _Problem(f"a {raw.get('operator')} constraint on {raw.get('contextName')} has no values")
    return values


def _number(text: Any) -> int | float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise _Problem(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _Problem(f"{text!r} is not a finite number")
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def _literal(values: list[str]) -> str:
    return "|".join(REGEX_SPECIAL.sub(r"\\\1", value) for value in values)


def _condition(raw: Mapping[str, Any], field_name: str) -> Doc:
    """One Unleash constraint as one Vexil condition (before `inverted`)."""
    operator = str(raw.get("operator"))
    insensitive = bool(raw.get("caseInsensitive"))
    if operator in ("IN", "NOT_IN"):
        # Unleash's SDKs compare IN and NOT_IN exactly, whatever caseInsensitive says.
        return {"field": field_name, "operator": operator.lower(), "value": _values(raw)}
    if operator in STRING_OPERATORS:
        single, pattern = STRING_OPERATORS[operator]
        values = _values(raw)
        if len(values) == 1:
            return {"field": field_name, "operator": single, "value": values[0], "case_insensitive": insensitive}
        return {"field": field_name, "operator": "matches", "value": pattern.format(_literal(values))} | (
            {"case_insensitive": insensitive}
        )
    if operator in NUMBER_OPERATORS:
        return {"field": field_name, "operator": NUMBER_OPERATORS[operator], "value": _number(raw.get("value"))}
    if operator in SEMVER_OPERATORS:
        return {"field": field_name, "operator": SEMVER_OPERATORS[operator], "value": str(raw.get("value") or "")}
    if operator == "REGEX":
        return {
            "field": field_name,
            "operator": "matches",
            "value": str(raw.get("value") or ""),
            "case_insensitive": insensitive,
        }
    if operator == "IN_CIDR":
        return {"field": field_name, "operator": "in_cidr", "value": _values(raw)}
    raise _Problem(f"the constraint operator {operator} has no Vexil equivalent")


def _conditions(raw: Any) -> list[Doc]:
    if not isinstance(raw, Mapping):
        raise _Problem("a constraint is not an object")
    if str(raw.get("operator")) in ("DATE_AFTER", "DATE_BEFORE"):
        raise _Problem(f"{raw.get('operator')} compares the clock in Unleash, which Vexil conditions cannot")
    condition = _condition(raw, _field(raw.get("contextName")))
    if raw.get("inverted"):
        condition["negate"] = True
    return [condition]


# --- variants and payloads -----------------------------------------------------------------------


def _payload(raw: Any, where: str, warnings: list[str]) -> Any:
    """An Unleash payload `{type, value}` as the JSON value Vexil serves."""
    if raw is None:
        return None
    kind, value = (raw.get("type"), raw.get("value")) if isinstance(raw, Mapping) else (None, None)
    if kind == "string":
        return str(value)
    if kind == "number":
        return _number(value)
    if kind == "json":
        try:
            return json.loads(str(value), parse_constant=_no_constant)
        except ValueError:
            raise _Problem(f"variant {where.rpartition('variant ')[2]}: its json payload is not JSON") from None
    if kind == "csv":
        warnings.append(f"{where}: its csv payload is served as the same text, of type string")
        return str(value)
    raise _Problem(f"variant {where.rpartition('variant ')[2]}: a payload of type {kind!r} has no Vexil equivalent")


def _no_constant(name: str) -> Any:
    raise ValueError(name)


@dataclass
class _Split:
    """A weighted choice between variants, and what its hash reads."""

    weights: tuple[tuple[str, int], ...]
    salt: str
    stickiness: str


class _Variants:
    """Every variant a feature serves, one payload per name, and the one weighted split allowed."""

    def __init__(self, feature: str, warnings: list[str]) -> None:
        self.feature = feature
        self.warnings = warnings
        self.payloads: dict[str, Any] = {}
        self.split: _Split | None = None

    def add(self, raw: Mapping[str, Any]) -> str:
        name = str(raw.get("name"))
        if name == DEFAULT_VARIANT:
            raise _Problem(f"a variant is named {DEFAULT_VARIANT}, the name Unleash gives to no variant")
        if raw.get("overrides"):
            raise _Problem(f"variant {name} has overrides, which are not imported (make them a strategy)")
        payload = _payload(raw.get("payload"), f"feature {self.feature}: variant {name}", self.warnings)
        if name in self.payloads and self.payloads[name] != payload:
            raise _Problem(f"variant {name} has different payloads in different places; Vexil keeps one per variant")
        self.payloads[name] = payload
        return name

    def serve(self, variants: list[Doc], salt: str | None, stickiness: str) -> str | None:
        """What a rule serves for this variant list: one variant's name, or None for the split."""
        names = [self.add(v) for v in variants]
        weighted = tuple((name, int(v.get("weight") or 0)) for name, v in zip(names, variants, strict=True))
        weighted = tuple(w for w in weighted if w[1] > 0)
        if not weighted:
            raise _Problem("a variant list has no weight at all")
        if len(weighted) == 1:
            return weighted[0][0]
        if stickiness not in ("default", "userId"):
            raise _Problem(f"variants are sticky on {stickiness}; Vexil splits on the identifier (userId) only")
        if salt is None:
            raise _Problem("a strategy with several variants has no groupId to hash them with")
        split = _Split(weighted, salt, stickiness)
        if self.split is not None and (self.split.weights, self.split.salt) != (split.weights, split.salt):
            raise _Problem("variants are split differently in different places; Vexil has one weighted split per flag")
        self.split = split
        return None

    def documents(self) -> list[Doc] | None:
        if not self.payloads:
            return None
        weights = dict(self.split.weights) if self.split else {}
        return [{"name": DEFAULT_VARIANT, "payload": None, "weight": 0}] + [
            {"name": name, "payload": payload, "weight": weights.get(name, 0)}
            for name, payload in self.payloads.items()
        ]


# --- strategies → rules --------------------------------------------------------------------------


@dataclass
class _Rule:
    conditions: list[Doc]
    rollout: float
    salt: str | None  # the groupId its rollout hashes with (None: it needs no hash)
    variants: list[Doc]
    variant_salt: str | None
    variant_stickiness: str


def _rollout(strategy: Mapping[str, Any], feature: str) -> tuple[float, str | None, list[Doc]]:
    """A flexibleRollout's percentage, the salt it needs (None at 0 and 100) and the conditions its
    stickiness adds."""
    parameters = strategy.get("parameters") or {}
    percentage = _number(parameters.get("rollout", 100))
    if not 0 <= percentage <= 100 or percentage != int(percentage):
        raise _Problem(f"a flexibleRollout at {percentage} % (Unleash buckets whole percentages)")
    stickiness = str(parameters.get("stickiness") or "default")
    group = str(parameters.get("groupId") or feature)
    hashed = 0 < percentage < 100
    if stickiness == "default" or (stickiness == "random" and not hashed):
        return percentage, group if hashed else None, []
    if stickiness == "userId":
        return percentage, group if hashed else None, [{"field": "identifier", "operator": "exists"}]
    if hashed:
        raise _Problem(f"a {percentage:g} % rollout sticky on {stickiness}; Vexil buckets by the identifier (userId)")
    # At 0 % or 100 % only whether the field has a value matters.
    return percentage, None, [{"field": _field(stickiness), "operator": "exists"}]


def _strategy_conditions(strategy: Mapping[str, Any], feature: str) -> tuple[float, str | None, list[Doc]]:
    name = strategy.get("name")
    parameters = strategy.get("parameters") or {}
    if name == "default":
        return 100, None, []
    if name == "flexibleRollout":
        return _rollout(strategy, feature)
    if name == "userWithId":
        ids = [i.strip() for i in str(parameters.get("userIds") or "").split(",") if i.strip()]
        return 100, None, [{"field": "identifier", "operator": "in", "value": ids}] if ids else [_NEVER]
    if name == "remoteAddress":
        ips = [i.strip() for i in str(parameters.get("IPs") or "").split(",") if i.strip()]
        return 100, None, [{"field": "remoteAddress", "operator": "in_cidr", "value": ips}] if ips else [_NEVER]
    if name == "applicationHostname":
        raise _Problem("the applicationHostname strategy reads the SDK's host name, which Vexil never sees")
    raise _Problem(f"the strategy {name} has no Vexil equivalent")


# A condition no context meets (a strategy with an empty id or address list enables no one).
_NEVER: Doc = {"field": "identifier", "operator": "exists", "negate": True}


def _rule(strategy: Mapping[str, Any], feature: _Feature, segments: _Segments) -> _Rule | None:
    rollout, salt, conditions = _strategy_conditions(strategy, feature.name)
    if rollout == 0:
        return None  # enables no one
    conditions = [c for raw in strategy.get("constraints") or [] for c in _conditions(raw)] + conditions
    conditions += [
        {"operator": "in_segment", "value": segments.name_of(segment_id)}
        for segment_id in strategy.get("segments") or []
    ]
    parameters = strategy.get("parameters") or {}
    variants = strategy.get("variants") or []
    stickiness = str((variants[0].get("stickiness") if variants else None) or parameters.get("stickiness") or "default")
    group = parameters.get("groupId")
    return _Rule(conditions, rollout, salt, variants, str(group) if group else None, stickiness)


# --- one feature ---------------------------------------------------------------------------------


class _FeatureConversion:
    def __init__(self, feature: _Feature, segments: _Segments, warnings: list[str]) -> None:
        self.feature = feature
        self.segments = segments
        self.variants = _Variants(feature.name, warnings)
        self.warnings = warnings
        self.salts: set[str] = set()

    def _serve(self, rule: _Rule, environment: _Environment) -> str | None:
        """The variant a rule serves (None: the split); for a flag without variants, `BOOLEAN_ON`."""
        if rule.variants:
            served = self.variants.serve(rule.variants, rule.variant_salt, rule.variant_stickiness)
            if served is None:
                self.salts.add(str(rule.variant_salt))  # a split needs its groupId (`serve` checked it)
            return served
        if environment.variants:
            # Unleash falls back to the environment's feature variants, hashed with the feature's name.
            stickiness = str(environment.variants[0].get("stickiness") or "default")
            served = self.variants.serve(environment.variants, self.feature.name, stickiness)
            if served is None:
                self.salts.add(self.feature.name)
            return served
        return BOOLEAN_ON

    def override(self, environment: _Environment) -> Doc:
        if not environment.enabled:
            return {"enabled": False}
        if environment.disabled_strategies and not environment.strategies:
            # Unleash's Node SDK then sees no strategy and enables everyone; not every SDK agrees.
            raise _Problem(
                "every strategy of an enabled environment is disabled, which Unleash's SDKs read differently"
            )
        rules = []
        strategies = environment.strategies or [{"name": "default"}]  # no strategy: on for everyone
        for strategy in strategies:
            rule = _rule(strategy, self.feature, self.segments)
            if rule is None:
                continue
            if rule.salt is not None:
                self.salts.add(rule.salt)
            serve = self._serve(rule, environment)
            rules.append({"conditions": rule.conditions, "rollout_percentage": rule.rollout, "serve": serve})
        unordered = any("sortOrder" not in strategy for strategy in environment.strategies)
        if unordered and len({rule["serve"] for rule in rules}) > 1:
            # Only then does the order decide anything: which variant a user matching two strategies gets.
            self.warnings.append(
                f"feature {self.feature.name}: its strategies serve different variants and the export does not "
                "say their order; they are kept in the export's order (check it in Unleash)"
            )
        return {"enabled": True, "rules": rules, "rollout_percentage": 0}

    def document(self) -> Doc:
        environments = {name: self.override(env) for name, env in sorted(self.feature.environments.items())}
        variants = self.variants.documents()
        if variants is not None:
            self._no_bare_on(environments)
        if len(self.salts) > 1:
            raise _Problem(
                "its rollouts and variants hash with several groupIds ("
                + ", ".join(sorted(self.salts))
                + "); a Vexil flag has one salt, so some users would change bucket"
            )
        doc: Doc = {
            "name": self.feature.name,
            "description": self.feature.description,
            "enabled": False,
            "rules": [],
            "environments": environments,
            "prerequisites": [_prerequisite(parent) for parent in self.feature.dependencies],
            "salt": next(iter(self.salts), self.feature.name),
        }
        if variants is not None:
            doc |= {"variants": variants, "default_variant": DEFAULT_VARIANT}
        return doc

    def _no_bare_on(self, environments: Mapping[str, Doc]) -> None:
        for name, override in environments.items():
            if any(rule["serve"] == BOOLEAN_ON for rule in override.get("rules", [])):
                raise _Problem(
                    f"in {name}, a strategy without variants enables users with no variant while others have "
                    "variants; Vexil serves a variant to every user it enables"
                )


def _prerequisite(parent: Mapping[str, Any]) -> Doc:
    variants = [str(v) for v in parent.get("variants") or []]
    return {
        "flag": str(parent.get("feature")),
        "active": parent.get("enabled") is not False,
        "variants": variants or None,
    }


def convert(data: Any) -> Conversion:
    """The Vexil documents for Unleash's export(s) and segment list `data` (parsed JSON), or
    `Refused` naming every feature that cannot be reproduced exactly and why."""
    read = _read(data)
    conversion = Conversion()
    segments = _Segments(read, conversion.warnings)
    problems: list[str] = []
    for feature in read.features.values():
        try:
            conversion.flags.append(_FeatureConversion(feature, segments, conversion.warnings).document())
        except _Problem as exc:
            problems.append(f"feature {feature.name}: {exc}")
    if problems:
        raise Refused(problems)
    conversion.segments = segments.documents
    conversion.warnings = list(dict.fromkeys(conversion.warnings))  # a feature's environments repeat them
    return conversion
