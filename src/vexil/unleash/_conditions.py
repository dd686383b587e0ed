"""Vexil conditions and segments as formulas of Unleash constraints (`unleash/_formulas.py`): the
context fields that carry what a condition reads, the operators Unleash has (and why the others are
left out), segments global or inlined. Private to `unleash/features.py`; docs/unleash.md."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vexil.engine import OPERATOR_SPECS, compile_condition, condition_error
from vexil.unleash._formulas import (
    FALSE,
    TRUE,
    Doc,
    Formula,
    SegmentRef,
    all_of,
    negated,
    new_constraint,
)
from vexil.unleash.dialect import Dialect, NotExpressibleError

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


def exact_text(value: str, what: str) -> str:
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
            text = exact_text(value, f"uses `{operator}` with")
            if text not in texts:
                texts.append(text)
        else:
            number = _number(value, operator)
            if number not in numbers:
                numbers.append(number)
    formula: Formula = ((new_constraint(name, "IN", values=texts),),) if texts else ()
    return formula + tuple((new_constraint(name, "NUM_EQ", value=number),) for number in numbers)


def _positive(operator: str, name: str, value: Any, folded: bool) -> Formula:
    if operator == "eq":
        return _membership(name, [value], folded, operator)
    if operator == "in":
        return _membership(name, value, folded, operator)
    if operator in TEXT_OPERATORS:
        text = exact_text(value, f"uses `{operator}` with")
        if folded and not text.isascii():
            raise NotExpressibleError(
                f"uses `{operator}` ignoring the case of {_quoted(text)}, "
                "which Unleash SDKs fold differently beyond ASCII"
            )
        constraint = new_constraint(name, TEXT_OPERATORS[operator], values=[text])
        constraint["caseInsensitive"] = folded
        return ((constraint,),)
    if operator in NUMBER_OPERATORS:
        return ((new_constraint(name, NUMBER_OPERATORS[operator], value=_number(value, operator)),),)
    if operator in SEMVER_OPERATORS:
        return ((new_constraint(name, SEMVER_OPERATORS[operator], value=value),),)
    raise NotExpressibleError(
        f"uses `{operator}`, which {NOT_EXPRESSIBLE.get(operator, 'Unleash has no operator for')}"
    )


class Segments:
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

    def formula(self, name: str, translator: Conditions, stack: tuple[str, ...]) -> Formula:
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

    def _translate(self, name: str, translator: Conditions, stack: tuple[str, ...]) -> Formula:
        formula = translator.all(self.conditions[name], (*stack, name))
        if not self.dialect.segments or len(formula) != 1 or not formula[0]:
            return formula
        constraints = tuple(literal for literal in formula[0] if not isinstance(literal, SegmentRef))
        if len(constraints) != len(formula[0]):
            return formula
        segment_id = self.ids[name]
        self.definitions[segment_id] = {"id": segment_id, "name": name, "constraints": list(constraints)}
        return ((SegmentRef(segment_id, constraints),),)


class Conditions:
    """Vexil conditions as formulas of Unleash constraints, for one environment."""

    def __init__(self, segments: Segments, environment: str | None) -> None:
        self.segments = segments
        self.environment = environment

    def all(self, conditions: Any, stack: tuple[str, ...] = ()) -> Formula:
        if not isinstance(conditions, list | tuple):
            return FALSE
        return all_of(self.one(condition, stack) for condition in conditions)

    def one(self, condition: Any, stack: tuple[str, ...] = ()) -> Formula:
        if not isinstance(condition, Mapping):
            return FALSE
        operator = condition.get("operator")
        negate = condition.get("negate") is True
        if operator in ("in_segment", "not_in_segment"):
            name = condition.get("value")
            formula = self.segments.formula(name, self, stack) if isinstance(name, str) else FALSE
            if operator == "not_in_segment" and isinstance(name, str):
                formula = negated(formula)
        elif not isinstance(operator, str) or operator not in OPERATOR_SPECS or condition_error(condition) is not None:
            formula = FALSE  # a condition that can never match is false, before `negate`, as in the engine
        elif condition["field"] in ("environment", "attributes.environment"):
            return self._environment(condition)
        else:
            formula = self._field(operator, condition)
        return negated(formula) if negate else formula

    @staticmethod
    def _field(operator: str, condition: Mapping[str, Any]) -> Formula:
        name = context_name(condition["field"])
        folded = condition.get("case_insensitive") is True
        positive = COMPLEMENTS.get(operator, operator)
        formula = _positive(positive, name, condition.get("value"), folded)
        return negated(formula) if positive != operator else formula

    def _environment(self, condition: Mapping[str, Any]) -> Formula:
        """Every context of a bound feed is in its environment, so such a condition is a constant;
        Unleash SDKs send their own environment name, which says nothing of Vexil's."""
        if self.environment is None or condition["field"] != "environment":
            raise NotExpressibleError(
                "reads `environment`, which Unleash SDKs fill with their own setting; "
                "with a token bound to an environment it is known and folded"
            )
        return TRUE if compile_condition(condition)({"environment": self.environment}) else FALSE
