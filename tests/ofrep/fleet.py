"""The flags and contexts the OFREP tests evaluate, and what docs/ofrep.md says each answer must be.

Every kind of flag is here: boolean ones (on, killed, rolled out, targeted by rules, a segment, an
allowlist, a prerequisite, an app scope, environment overrides, variants in the other order) and
multi-variant ones whose payloads are strings, integers, floats, booleans, objects, lists or null.
Their targeting holds markers (`SECRETS`) that no OFREP answer may contain.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

# Values that only the flags' targeting holds: condition values, allowlisted identifiers, percentages.
SECRET_COUNTRY = "zz-hidden-land"
SECRET_DOMAIN = "@covert-staff.example"
SECRET_VIP = "vip-7f3a9c"
SECRET_PERCENTAGES = ("37.5", "62.25", "41.5")
SECRETS = (SECRET_COUNTRY, SECRET_DOMAIN, SECRET_VIP, *SECRET_PERCENTAGES)
# Keys of Vexil's targeting model, none of which an OFREP answer holds.
TARGETING_KEYS = tuple(
    f'"{key}":'
    for key in ("rules", "rule", "conditions", "allowlist", "rollout_percentage", "operator", "salt", "weight")
)

SEGMENTS = [
    {"name": "staff", "conditions": [{"field": "email", "operator": "ends_with", "value": SECRET_DOMAIN}]},
]


def _rule(
    field: str | None, operator: str, value: Any, serve: str | None = "on", rollout: float = 100
) -> dict[str, Any]:
    condition = {"operator": operator, "value": value} | ({} if field is None else {"field": field})
    return {"conditions": [condition], "rollout_percentage": rollout, "serve": serve}


def _variants(**payloads: Any) -> list[dict[str, Any]]:
    """`name=(payload, weight)` in order."""
    return [{"name": name, "payload": payload, "weight": weight} for name, (payload, weight) in payloads.items()]


FLAGS: list[dict[str, Any]] = [
    {"name": "bool-on", "enabled": True},
    {"name": "bool-killed", "enabled": False, "rules": [_rule("country", "eq", SECRET_COUNTRY)]},
    {"name": "bool-rollout", "enabled": True, "rollout_percentage": 37.5},
    {
        "name": "bool-targeted",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [
            _rule("plan", "eq", "pro"),
            _rule("attributes.country", "in", ["fr", SECRET_COUNTRY]),
            _rule("email", "ends_with", "@beta.example"),
        ],
    },
    {"name": "bool-staff", "enabled": True, "rollout_percentage": 0, "rules": [_rule(None, "in_segment", "staff")]},
    {
        "name": "bool-listed",
        "enabled": True,
        "rollout_percentage": 0,
        "allowlist": {"user-3": "on", "user-17": "on", SECRET_VIP: "on"},
    },
    {"name": "bool-prerequisite", "enabled": True, "prerequisites": [{"flag": "bool-targeted", "active": True}]},
    {"name": "bool-web-only", "enabled": True, "apps": ["web"]},
    {
        "name": "bool-environments",
        "enabled": False,
        "environments": {
            "production": {"enabled": True, "rollout_percentage": 0, "rules": [_rule("plan", "eq", "pro")]},
            "staging": {"enabled": True, "rollout_percentage": 62.25},
        },
    },
    {
        "name": "bool-reversed",
        "enabled": True,
        "rollout_percentage": 41.5,
        "variants": _variants(on=(None, 1), off=(None, 0)),
        "default_variant": "off",
    },
    {
        "name": "onoff-default-on",
        "enabled": True,
        "rollout_percentage": 0,
        "variants": _variants(off=(None, 1), on=(None, 0)),
        "default_variant": "on",
        "rules": [_rule("plan", "eq", "pro", serve="off")],
    },
    {
        "name": "string-payloads",
        "enabled": True,
        "variants": _variants(alpha=("first", 1), beta=("second", 1)),
        "default_variant": "alpha",
    },
    {
        "name": "integer-payloads",
        "enabled": True,
        "variants": _variants(small=(10, 1), large=(50, 3)),
        "default_variant": "small",
        "rules": [_rule("plan", "eq", "free", serve="small")],
    },
    {
        "name": "float-payloads",
        "enabled": True,
        "rollout_percentage": 50,
        "variants": _variants(low=(0.25, 0), high=(0.75, 1)),
        "default_variant": "low",
        "allowlist": {"user-5": "high"},
    },
    {
        "name": "boolean-payloads",
        "enabled": True,
        "rollout_percentage": 0,
        "variants": _variants(no=(False, 0), yes=(True, 1)),
        "default_variant": "no",
        "rules": [_rule("country", "eq", "de", serve="yes")],
    },
    {
        "name": "object-payloads",
        "enabled": True,
        "variants": _variants(light=({"bg": "#fff"}, 1), dark=({"bg": "#000", "contrast": 2, "tags": ["a"]}, 1)),
        "default_variant": "light",
        "apps": ["web", "ios"],
    },
    {
        "name": "list-payloads",
        "enabled": True,
        "rollout_percentage": 0,
        "variants": _variants(one=([1, 2, 3], 1), two=(["x", {"y": None}], 2)),
        "default_variant": "one",
        "rules": [_rule("email", "contains", "@", serve=None, rollout=50)],
    },
    {
        "name": "null-and-payload",
        "enabled": True,
        "variants": _variants(plain=(None, 1), fancy=({"x": 1}, 1)),
        "default_variant": "plain",
        "environments": {"production": {"rollout_percentage": 40}},
    },
    {
        "name": "killed-multi",
        "enabled": False,
        "variants": _variants(base=({"limit": 1}, 1), boost=({"limit": 9}, 1)),
        "default_variant": "base",
    },
    {"name": "weightless", "enabled": True, "variants": _variants(a=("A", 0), b=("B", 0)), "default_variant": "b"},
    {
        "name": "variant-prerequisite",
        "enabled": True,
        "prerequisites": [{"flag": "integer-payloads", "active": True, "variants": ["large"]}],
        "variants": _variants(plain=(None, 0), extra=("more", 1)),
        "default_variant": "plain",
    },
]
UNKNOWN_FLAG = "no-such-flag"
# Flags whose answer may be a random draw without a targeting key besides a percentage rollout's
# decision (a weighted split, a rule's partial rollout, a prerequisite that draws): the engine
# specifies those draws, so a context without a key is compared on the other flags only.
DRAWS_WITHOUT_KEY = frozenset(
    {
        "string-payloads",
        "integer-payloads",
        "object-payloads",
        "list-payloads",
        "null-and-payload",
        "variant-prerequisite",
    }
)

# docs/ofrep.md, "Reasons": Vexil's reason (as client surfaces give it) to OpenFeature's.
OPENFEATURE_REASONS = {
    "disabled": "DISABLED",
    "allowlist": "TARGETING_MATCH",
    "rule_match": "TARGETING_MATCH",
    "rollout_included": "SPLIT",
    "rollout_excluded": "SPLIT",
    "enabled": "STATIC",
    "app_not_scoped": "DEFAULT",
    "prerequisite_failed": "DEFAULT",
    "targeting_match": "TARGETING_MATCH",
}
DRAWN = frozenset({"rollout_included", "rollout_excluded"})


def contexts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` OpenFeature contexts, most with a targeting key; attribute values that the rules test."""
    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    for index in range(count):
        fields: dict[str, Any] = {
            "targetingKey": None if index % 11 == 0 else (SECRET_VIP if index == 13 else f"user-{index}"),
            "environment": rng.choice([None, "production", "staging", "development"]),
            "app": rng.choice([None, "web", "ios", "api"]),
            "plan": rng.choice([None, "pro", "free"]),
            "country": rng.choice([None, "fr", "de", "us", SECRET_COUNTRY]),
            "email": rng.choice([None, f"u{index}@beta.example", f"u{index}{SECRET_DOMAIN}", f"u{index}@else.example"]),
            "age": rng.choice([None, 17, 42]),
        }
        made.append({key: value for key, value in fields.items() if value is not None})
    return made


def vexil_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """docs/ofrep.md, "Context": the same context as Vexil's own endpoints take it."""
    vexil: dict[str, Any] = {}
    attributes = {}
    for key, value in context.items():
        if key == "targetingKey":
            vexil["identifier"] = value
        elif key in ("environment", "app"):
            vexil[key] = value
        else:
            attributes[key] = value
    if attributes:
        vexil["attributes"] = attributes
    return vexil


def is_boolean(doc: Mapping[str, Any]) -> bool:
    """docs/ofrep.md, "Values": variants exactly `off` and `on`, `off` the default."""
    return sorted(v["name"] for v in doc["variants"]) == ["off", "on"] and doc["default_variant"] == "off"


def json_kind(value: Any) -> str:
    """Which OpenFeature call reads `value`: boolean, string, number or object."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    return "object"


DEFAULTS = {"boolean": False, "string": "code-default", "number": -1, "object": {"code": "default"}}


def expected(
    native: Mapping[str, Any] | None, doc: Mapping[str, Any] | None, context: Mapping[str, Any]
) -> dict[str, Any]:
    """What an OpenFeature client must answer over OFREP, from Vexil's own client result for the same
    flag and context (`None`: an unknown flag): `{kind, default, value, variant, reason, errorCode}`."""
    if native is None or doc is None or native["reason"] == "flag_not_found":
        return _error("FLAG_NOT_FOUND")
    if native["reason"] in DRAWN and not context.get("targetingKey"):
        return _error("TARGETING_KEY_MISSING")
    if is_boolean(doc):
        value = native["active"]
    else:
        value = native["variant"] if native["payload"] is None else native["payload"]
    kind = json_kind(value)
    return {
        "kind": kind,
        "default": DEFAULTS[kind],
        "value": value,
        "variant": native["variant"],
        "reason": OPENFEATURE_REASONS[native["reason"]],
        "errorCode": None,
    }


def _error(code: str) -> dict[str, Any]:
    return {"kind": "boolean", "default": False, "value": False, "variant": None, "reason": "ERROR", "errorCode": code}
