"""How seed 002's names map to Vexil's, both ways (docs/compatibility.md is the user's page).

Seed 001 speaks Vexil's own names (`name`, `enabled`, `description`), so its routes need nothing
from here. Seed 002 names things its own way:

- Reasons (`POST /api/evaluate`): `SEED_REASONS`, upper case; Vexil's own surfaces keep theirs.
- Rules (`PUT /api/admin/flags/{id}`): seed 002's rules are allow rules, checked in order, of one
  condition `{field, operator, value}` each; any one that matches enables the flag. Each becomes the
  Vexil rule `{"conditions": [condition], "rollout_percentage": 100, "serve": <enabling variant>}`,
  where the enabling variant is `on` (every boolean flag has it), or for a multi-variant flag without
  `on`, its first variant that is not the default: the variant `vexil flag allow` serves by default.
  A flag with no variant besides its default cannot be enabled by a rule: 400.
- Fields: `id` is Vexil's `identifier`; every other field is the same context path on both sides.
- Operators: `OPERATOR_ALIASES` (seed spelling -> Vexil); Vexil's own names are accepted as they are.

The answer maps back: a Vexil rule of that exact shape (one condition, without `negate` or
`case_insensitive`, rollout 100, serving the enabling variant) is shown as `{field, operator, value}`
in seed spelling; any other rule (made through Vexil's own API) is shown as Vexil stores it, so the
answer never hides targeting.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

from vexil.api.errors import BadRequest
from vexil.api.inputs import EXPECTED, Input, Name, Percentage, expect
from vexil.api.schemas import Override
from vexil.engine import Operator, Reason

Doc = dict[str, Any]

SEED_REASONS: dict[Reason, str] = {
    Reason.RULE_MATCH: "RULE_MATCH",
    Reason.ROLLOUT_EXCLUDED: "NO_MATCH",
    # Not RULE_MATCH: no rule matched (the PUT answer's rules would not explain it); an allowlist
    # entry is made through Vexil's own API, and its user is let in by name.
    Reason.ALLOWLIST: "ALLOWLIST",
    Reason.ROLLOUT_INCLUDED: "ROLLOUT",
    Reason.ENABLED: "DEFAULT",
    Reason.DISABLED: "DISABLED",
    Reason.APP_NOT_SCOPED: "APP_NOT_SCOPED",
    Reason.PREREQUISITE_FAILED: "PREREQUISITE_FAILED",
    Reason.FLAG_NOT_FOUND: "FLAG_NOT_FOUND",
    # With VEXIL_CLIENT_REASONS=coarse, for every answer but DISABLED and FLAG_NOT_FOUND.
    Reason.TARGETING_MATCH: "TARGETING_MATCH",
}

# Seed spelling -> Vexil operator; answers spell these four the seed's way.
OPERATOR_ALIASES: dict[str, str] = {
    "equals": Operator.EQ.value,
    "not_equals": Operator.NEQ.value,
    "startsWith": Operator.STARTS_WITH.value,
    "endsWith": Operator.ENDS_WITH.value,
}
VEXIL_OPERATORS = frozenset(operator.value for operator in Operator)
SEED_OPERATORS = {vexil: seed for seed, vexil in OPERATOR_ALIASES.items()}

FIELD_ALIASES: dict[str, str] = {"id": "identifier"}  # seed field -> Vexil context field
SEED_FIELDS = {vexil: seed for seed, vexil in FIELD_ALIASES.items()}

OPERATOR_HELP = f"use {', '.join(OPERATOR_ALIASES)} or a Vexil operator ({', '.join(Operator)})"


# --- the request body ---------------------------------------------------------------------------


def _vexil_operator(operator: str) -> str:
    vexil = OPERATOR_ALIASES.get(operator, operator)
    if vexil not in VEXIL_OPERATORS:
        raise PydanticCustomError(EXPECTED, f"unknown operator {operator!r}: {OPERATOR_HELP}")
    return vexil


def _rule_list(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(rule, dict) for rule in value):
        example = '{"field": "email", "operator": "endsWith", "value": "@acme.com"}'
        raise PydanticCustomError(EXPECTED, f"use a list of rules such as [{example}]")
    return value


class SeedRule(Input):
    """One allow rule of seed 002."""

    field: Annotated[
        str, Field(min_length=1, max_length=200), expect("use the context field to test, such as id or email")
    ]
    operator: Annotated[str, expect(OPERATOR_HELP), AfterValidator(_vexil_operator)] = Field(
        description="A seed spelling (equals, not_equals, startsWith, endsWith) or a Vexil operator."
    )
    value: Any = None


class SeedFlagUpdate(Input):
    """`PUT /api/admin/flags/{id}`: only the fields given change (null: unchanged on the flag itself,
    inherited again in an environment's override)."""

    enabled: StrictBool | None = None
    rolloutPercentage: Percentage | None = None  # the seed's own spelling
    rules: Annotated[list[SeedRule] | None, BeforeValidator(_rule_list)] = Field(default=None, max_length=200)
    environment: Name | None = Field(
        default=None, description="Change this environment's override (as `?environment=`)."
    )

    def vexil_fields(self, doc: Doc) -> Doc:
        """The given fields as Vexil's override fields, for the flag `doc` (None: a given null)."""
        given = self.model_fields_set
        fields: Doc = {}
        if "enabled" in given:
            fields["enabled"] = self.enabled
        if "rolloutPercentage" in given:
            fields["rollout_percentage"] = self.rolloutPercentage
        if "rules" in given:
            fields["rules"] = None if self.rules is None else vexil_rules(self.rules, doc)
        return Override.model_validate(fields).given()


# --- the answer ---------------------------------------------------------------------------------


class SeedFlag(BaseModel):
    id: str
    key: str
    environment: str | None
    enabled: bool
    rolloutPercentage: int | float
    rules: list[dict[str, Any]] = Field(description="Seed-shaped rules; other rules as Vexil stores them.")
    version: int
    createdAt: str
    updatedAt: str


class SeedFlagAnswer(BaseModel):
    flag: SeedFlag


# --- the mappings -------------------------------------------------------------------------------


def enabling_variant(doc: Doc) -> str | None:
    """What a seed rule serves: `on`, else the first variant that is not the default (None: none)."""
    candidates = [variant["name"] for variant in doc["variants"] if variant["name"] != doc["default_variant"]]
    if not candidates:
        return None
    return "on" if "on" in candidates else candidates[0]


def vexil_rules(rules: list[SeedRule], doc: Doc) -> list[Doc]:
    serve = enabling_variant(doc)
    if serve is None and rules:
        raise BadRequest(f"rules: flag {doc['name']!r} has no variant besides its default for a rule to serve")
    return [
        {
            "conditions": [{"field": FIELD_ALIASES.get(r.field, r.field), "operator": r.operator, "value": r.value}],
            "rollout_percentage": 100,
            "serve": serve,
        }
        for r in rules
    ]


def seed_rule(rule: Doc, serve: str | None) -> Doc:
    """A Vexil rule in seed 002's shape when it has that shape, else as it is."""
    conditions = rule["conditions"]
    if len(conditions) != 1 or rule["rollout_percentage"] != 100 or rule["serve"] != serve:
        return rule
    condition = conditions[0]
    if condition.get("negate") or condition.get("case_insensitive") or not condition.get("field"):
        return rule
    return {
        "field": SEED_FIELDS.get(condition["field"], condition["field"]),
        "operator": SEED_OPERATORS.get(condition["operator"], condition["operator"]),
        "value": condition.get("value"),
    }


def seed_flag(doc: Doc, environment: str | None) -> Doc:
    """The flag as seed 002 shows it: its configuration in `environment` (the flag's own for None)."""
    override: Doc = doc["environments"].get(environment, {}) if environment else {}
    applied = {
        key: override[key] if key in override else doc[key] for key in ("enabled", "rollout_percentage", "rules")
    }
    serve = enabling_variant(doc)
    flag = {
        "id": doc["name"],
        "key": doc["name"],
        "environment": environment,
        "enabled": applied["enabled"],
        "rolloutPercentage": applied["rollout_percentage"],
        "rules": [seed_rule(rule, serve) for rule in applied["rules"]],
        "version": doc["version"],
        "createdAt": doc["created_at"],
        "updatedAt": doc["updated_at"],
    }
    return {"flag": flag}


def one_environment(query: str | None, body: str | None) -> str | None:
    """The environment named by `?environment=` or the body's `environment` (both: they must agree)."""
    if query is not None and body is not None and query != body:
        raise BadRequest(f"environment: given as {query!r} in the query and {body!r} in the body; give one")
    return query if query is not None else body
