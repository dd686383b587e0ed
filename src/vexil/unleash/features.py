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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vexil.engine import BUCKETS, OPERATOR_SPECS, Snapshot, compile_condition, condition_error
from vexil.engine.compile import CompiledFlag, configuration
from vexil.unleash.payloads import unleash_payload

__all__ = [
    "CURRENT",
    "Dialect",
    "Feed",
    "NotExpressibleError",
    "is_boolean",
    "translate",
]

Doc = dict[str, Any]
Constraint = dict[str, Any]

# --- what a client understands ---------------------------------------------------------------------

# The Unleash client specification versions that brought what the feed may use.
OPERATORS_SPEC = (4, 1, 0)  # STR_*, NUM_*, SEMVER_*, DATE_*, `inverted`, `caseInsensitive`
SEGMENTS_SPEC = (4, 2, 0)  # global `segments`, referred to by id from strategies
STRATEGY_VARIANTS_SPEC = (4, 3, 0)  # `variants` on a strategy
DEPENDENCIES_SPEC = (4, 5, 0)  # `dependencies` on a feature
_LEVELS = ((0, 0, 0), OPERATORS_SPEC, SEGMENTS_SPEC, STRATEGY_VARIANTS_SPEC, DEPENDENCIES_SPEC)


def _version(text: str | None) -> tuple[int, int, int]:
    """`major.minor.patch` of a version header ("4.5", "5.2.0-beta.1"); (0, 0, 0) when unreadable."""
    numbers = [0, 0, 0]
    for index, part in enumerate((text or "").strip().split(".")[:3]):
        digits = part.split("-", 1)[0].split("+", 1)[0]
        if not digits.isdigit() or len(digits) > 9:
            return (0, 0, 0)
        numbers[index] = int(digits)
    return numbers[0], numbers[1], numbers[2]


def _show_version(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


@dataclass(frozen=True, slots=True)
class Dialect:
    """What a client of the Unleash client specification `spec` can evaluate.

    `spec` is the highest level in `_LEVELS` that the client's `Unleash-Client-Spec` header reaches,
    so that every client of one level shares one cached feed. A client that sends no header is
    taken to be of the oldest level, as Unleash's own server does for segments."""

    spec: tuple[int, int, int]

    @classmethod
    def of(cls, header: str | None) -> Dialect:
        version = _version(header)
        return cls(max(level for level in _LEVELS if level <= version))

    @property
    def operators(self) -> bool:
        return self.spec >= OPERATORS_SPEC

    @property
    def segments(self) -> bool:
        return self.spec >= SEGMENTS_SPEC

    @property
    def strategy_variants(self) -> bool:
        return self.spec >= STRATEGY_VARIANTS_SPEC

    @property
    def dependencies(self) -> bool:
        return self.spec >= DEPENDENCIES_SPEC

    def lacks(self, needed: tuple[int, int, int], what: str) -> NotExpressibleError:
        return NotExpressibleError(
            f"{what}, which needs Unleash client specification {_show_version(needed)} "
            "(this client announces an older one in Unleash-Client-Spec, or none)"
        )


CURRENT = Dialect(DEPENDENCIES_SPEC)


class NotExpressibleError(Exception):
    """A flag (or part of one) that no Unleash SDK would evaluate as Vexil does; the message says why,
    as a phrase that follows what it is about ("rule 2" + " uses `matches`, which ...")."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


# --- constraints as formulas -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """A strategy's reference to a global Unleash segment; `constraints` for when it must be inlined."""

    id: int
    constraints: tuple[Constraint, ...]


Literal = Constraint | SegmentRef
Term = tuple[Literal, ...]  # an AND: one strategy's constraints and segments
Formula = tuple[Term, ...]  # an OR of ANDs: as many strategies
TRUE: Formula = ((),)
FALSE: Formula = ()
# More alternatives than this in one formula (the negation of many conditions, say) and the flag is
# left out rather than served as an unreadable wall of strategies.
MAX_ALTERNATIVES = 32


def _both(left: Formula, right: Formula) -> Formula:
    combined = tuple(a + b for a in left for b in right)
    if len(combined) > MAX_ALTERNATIVES:
        raise NotExpressibleError(f"would need more than {MAX_ALTERNATIVES} Unleash strategies")
    return combined


def _all(formulas: Iterable[Formula]) -> Formula:
    result = TRUE
    for formula in formulas:
        result = _both(result, formula)
        if not result:
            break
    return result


def _inverted(constraint: Constraint) -> Constraint:
    return {**constraint, "inverted": not constraint.get("inverted", False)}


def _negate_literal(literal: Literal) -> Formula:
    if isinstance(literal, SegmentRef):
        return tuple((_inverted(constraint),) for constraint in literal.constraints)
    return ((_inverted(literal),),)


def _negate(formula: Formula) -> Formula:
    """NOT (T1 OR T2 ...) = (NOT T1) AND (NOT T2) ...; NOT (a AND b) = (NOT a) OR (NOT b)."""
    result = TRUE
    for term in formula:
        alternatives: Formula = ()
        for literal in term:
            alternatives += _negate_literal(literal)
        result = _both(result, alternatives)
        if not result:
            break
    return result


def _constraint(
    context_name: str, operator: str, *, values: Sequence[str] = (), value: str | None = None
) -> Constraint:
    constraint: Constraint = {
        "contextName": context_name,
        "operator": operator,
        "values": list(values),
        "inverted": False,
        "caseInsensitive": False,
    }
    if value is not None:
        constraint["value"] = value
    return constraint


# --- the context -----------------------------------------------------------------------------------

# Vexil's reserved context keys and the Unleash context fields that carry them.
CONTEXT_FIELDS = {"identifier": "userId", "app": "appName"}
# Names an Unleash SDK reads from its own context fields before `properties` (and fills in itself:
# `appName`, `environment` from its configuration, `currentTime` with the time of evaluation), so an
# attribute of that name cannot be told apart there.
UNLEASH_OWN_FIELDS = frozenset(
    {"userId", "sessionId", "remoteAddress", "currentTime", "appName", "environment", "properties"}
)


def context_name(path: str) -> str:
    """The Unleash context name that carries the value Vexil's field `path` reads."""
    if path in CONTEXT_FIELDS:
        return CONTEXT_FIELDS[path]
    name = path.removeprefix("attributes.")
    if "." in name:
        raise NotExpressibleError(
            f"reads the nested field `{path}`, and an Unleash context holds only flat text properties"
        )
    if name in UNLEASH_OWN_FIELDS:
        raise NotExpressibleError(f"reads the attribute `{name}`, which Unleash SDKs take from their own context field")
    return name


def _text(value: str, what: str) -> str:
    """A value Unleash SDKs compare as written: some drop empty values and trim spaces from the rest."""
    if not value or value != value.strip():
        raise NotExpressibleError(f"{what} {_quoted(value)}, and some Unleash SDKs drop empty values or trim spaces")
    return value


def _quoted(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else '"' + value[:40] + ('…"' if len(value) > 40 else '"')
    return text


def _number(value: Any, operator: str) -> str:
    """A number as the text Unleash SDKs parse: whole numbers only within a double's exact range."""
    if isinstance(value, str):
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, int) and abs(value) > 2**53:
        raise NotExpressibleError(f"uses `{operator}` with {value}, beyond the integers Unleash SDKs read exactly")
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _cased(value: str) -> bool:
    return value.lower() != value.upper()


# --- conditions ------------------------------------------------------------------------------------

TEXT_OPERATORS = {"starts_with": "STR_STARTS_WITH", "ends_with": "STR_ENDS_WITH", "contains": "STR_CONTAINS"}
NUMBER_OPERATORS = {"gt": "NUM_GT", "gte": "NUM_GTE", "lt": "NUM_LT", "lte": "NUM_LTE"}
SEMVER_OPERATORS = {"semver_eq": "SEMVER_EQ", "semver_gt": "SEMVER_GT", "semver_lt": "SEMVER_LT"}
# Vexil's complements: exactly NOT their positive operator (a missing field included).
COMPLEMENTS = {"neq": "eq", "not_in": "in", "not_contains": "contains"}
# Why the operators without an Unleash equivalent are left out.
NOT_EXPRESSIBLE = {
    "matches": "Unleash SDKs before client specification 6.0 cannot evaluate, and later ones use other regex dialects",
    "in_cidr": "Unleash SDKs before client specification 6.1 cannot evaluate",
    "exists": "Unleash has no operator for",
    "not_exists": "Unleash has no operator for",
    "before": "Unleash SDKs compare only with the time of evaluation (`currentTime`), never with a context field",
    "after": "Unleash SDKs compare only with the time of evaluation (`currentTime`), never with a context field",
}


def _membership(name: str, values: Sequence[Any], folded: bool, operator: str) -> Formula:
    """`in`: IN for the strings, one NUM_EQ per number (Vexil's `in [30]` also matches "30.0")."""
    texts: list[str] = []
    numbers: list[str] = []
    for value in values:
        if isinstance(value, bool):
            raise NotExpressibleError(
                f"uses `{operator}` with {str(value).lower()}, and an Unleash context holds only text"
            )
        if isinstance(value, str):
            if folded and _cased(value):
                raise NotExpressibleError(f"uses `{operator}` ignoring case, which Unleash's IN cannot do")
            text = _text(value, f"uses `{operator}` with")
            if text not in texts:
                texts.append(text)
        else:
            number = _number(value, operator)
            if number not in numbers:
                numbers.append(number)
    formula: Formula = ((_constraint(name, "IN", values=texts),),) if texts else ()
    return formula + tuple((_constraint(name, "NUM_EQ", value=number),) for number in numbers)


def _positive(operator: str, name: str, value: Any, folded: bool) -> Formula:
    if operator == "eq":
        return _membership(name, [value], folded, operator)
    if operator == "in":
        return _membership(name, value, folded, operator)
    if operator in TEXT_OPERATORS:
        text = _text(value, f"uses `{operator}` with")
        if folded and not text.isascii():
            raise NotExpressibleError(
                f"uses `{operator}` ignoring the case of {_quoted(text)}, "
                "which Unleash SDKs fold differently beyond ASCII"
            )
        constraint = _constraint(name, TEXT_OPERATORS[operator], values=[text])
        constraint["caseInsensitive"] = folded
        return ((constraint,),)
    if operator in NUMBER_OPERATORS:
        return ((_constraint(name, NUMBER_OPERATORS[operator], value=_number(value, operator)),),)
    if operator in SEMVER_OPERATORS:
        return ((_constraint(name, SEMVER_OPERATORS[operator], value=value),),)
    raise NotExpressibleError(
        f"uses `{operator}`, which {NOT_EXPRESSIBLE.get(operator, 'Unleash has no operator for')}"
    )


class _Segments:
    """Vexil segments as Unleash segments: global ones, referred to by id, for clients that take them
    (and when a segment is one AND of constraints), else inlined into each strategy."""

    def __init__(self, docs: Iterable[Mapping[str, Any]], dialect: Dialect) -> None:
        self.conditions: dict[str, Any] = {}
        for doc in docs:
            if isinstance(doc.get("name"), str) and isinstance(doc.get("conditions"), list | tuple):
                self.conditions[doc["name"]] = doc["conditions"]
        self.ids = {name: index + 1 for index, name in enumerate(sorted(self.conditions))}
        self.dialect = dialect
        self.definitions: dict[int, Doc] = {}
        self._formulas: dict[str, Formula | NotExpressibleError] = {}

    def formula(self, name: str, translator: _Conditions, stack: tuple[str, ...]) -> Formula:
        if name not in self.conditions or name in stack:
            return FALSE  # an unknown segment contains no one; so does one that contains itself
        known = self._formulas.get(name)
        if known is None:
            try:
                known = self._translate(name, translator, stack)
            except NotExpressibleError as exc:
                known = NotExpressibleError(f"refers to segment `{name}`, which {exc.reason}")
            self._formulas[name] = known
        if isinstance(known, NotExpressibleError):
            raise known
        return known

    def _translate(self, name: str, translator: _Conditions, stack: tuple[str, ...]) -> Formula:
        formula = translator.all(self.conditions[name], (*stack, name))
        if not self.dialect.segments or len(formula) != 1 or not formula[0]:
            return formula
        constraints = tuple(literal for literal in formula[0] if not isinstance(literal, SegmentRef))
        if len(constraints) != len(formula[0]):
            return formula
        segment_id = self.ids[name]
        self.definitions[segment_id] = {"id": segment_id, "name": name, "constraints": list(constraints)}
        return ((SegmentRef(segment_id, constraints),),)


class _Conditions:
    """Vexil conditions as formulas of Unleash constraints, for one environment."""

    def __init__(self, segments: _Segments, environment: str | None) -> None:
        self.segments = segments
        self.environment = environment

    def all(self, conditions: Any, stack: tuple[str, ...] = ()) -> Formula:
        if not isinstance(conditions, list | tuple):
            return FALSE
        return _all(self.one(condition, stack) for condition in conditions)

    def one(self, condition: Any, stack: tuple[str, ...] = ()) -> Formula:
        if not isinstance(condition, Mapping):
            return FALSE
        operator = condition.get("operator")
        negate = condition.get("negate") is True
        if operator in ("in_segment", "not_in_segment"):
            name = condition.get("value")
            formula = self.segments.formula(name, self, stack) if isinstance(name, str) else FALSE
            if operator == "not_in_segment" and isinstance(name, str):
                formula = _negate(formula)
        elif not isinstance(operator, str) or operator not in OPERATOR_SPECS or condition_error(condition) is not None:
            formula = FALSE  # a condition that can never match is false, before `negate`, as in the engine
        elif condition["field"] in ("environment", "attributes.environment"):
            return self._environment(condition)
        else:
            formula = self._field(operator, condition)
        return _negate(formula) if negate else formula

    @staticmethod
    def _field(operator: str, condition: Mapping[str, Any]) -> Formula:
        name = context_name(condition["field"])
        folded = condition.get("case_insensitive") is True
        positive = COMPLEMENTS.get(operator, operator)
        formula = _positive(positive, name, condition.get("value"), folded)
        return _negate(formula) if positive != operator else formula

    def _environment(self, condition: Mapping[str, Any]) -> Formula:
        """Every context of a bound feed is in its environment, so such a condition is a constant;
        Unleash SDKs send their own environment name, which says nothing of Vexil's."""
        if self.environment is None or condition["field"] != "environment":
            raise NotExpressibleError(
                "reads `environment`, which Unleash SDKs fill with their own setting; "
                "with a token bound to an environment it is known and folded"
            )
        return TRUE if compile_condition(condition)({"environment": self.environment}) else FALSE


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
            _text(identifier, "the allowlist lists the identifier")
            by_variant.setdefault(variant or "", []).append(identifier)
        default = by_variant.pop(self.flag.default_variant, None)
        for variant, identifiers in by_variant.items():
            self._add(((_constraint("userId", "IN", values=identifiers),),), BUCKETS, [variant], "the allowlist")
        if default:
            self.exclusion = _both(self.exclusion, ((_constraint("userId", "NOT_IN", values=default),),))

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
                    self.exclusion = _both(self.exclusion, _negate(formula))
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
            terms = _both(formula, self.exclusion)
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
            constraints.append(_constraint("appName", "IN", values=sorted(self.flag.apps)))
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
        self.segments = _Segments(segments, dialect)
        self.conditions = _Conditions(self.segments, environment)
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
