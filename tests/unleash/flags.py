"""Flags of every kind for the Unleash SDK tests: a readable set that walks docs/unleash.md's mapping
table, a seeded generator for breadth, and seeded contexts."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

SEGMENTS: list[dict[str, Any]] = [
    {"name": "paying", "conditions": [{"field": "plan", "operator": "in", "value": ["pro", "team"]}]},
    {
        "name": "big-pro",
        "conditions": [
            {"field": "plan", "operator": "eq", "value": "pro"},
            {"field": "seats", "operator": "gte", "value": 10},
        ],
    },
]

PAYLOADS: list[Any] = [None, "text", 42, 2.5, {"colour": "blue", "sizes": [1, 2]}, ["a", 1], True]


def cond(field: str, operator: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


def rule(*conditions: dict[str, Any], serve: str | None = "on", rollout: float = 100) -> dict[str, Any]:
    return {"conditions": list(conditions), "serve": serve, "rollout_percentage": rollout}


COLOURS = [
    {"name": "grey", "weight": 0, "payload": None},
    {"name": "red", "weight": 2, "payload": {"hex": "#f00"}},
    {"name": "green", "weight": 1, "payload": "g"},
    {"name": "blue", "weight": 3, "payload": 7},
]

# Every step and operator of the mapping, each flag served (docs/unleash.md).
SERVED: list[dict[str, Any]] = [
    {"name": "killed", "enabled": False, "allowlist": {"u1": "on"}},
    {"name": "everyone", "enabled": True},
    {"name": "rollout-37", "enabled": True, "rollout_percentage": 37, "salt": "shared-salt"},
    {"name": "nobody", "enabled": True, "rollout_percentage": 0},
    {
        "name": "allowlisted",
        "enabled": True,
        "rollout_percentage": 50,
        "allowlist": {"u1": "on", "u2": "off", "u3": "off"},
    },
    {"name": "scoped", "enabled": True, "apps": ["web", "ios"], "rollout_percentage": 60},
    {
        "name": "text-rules",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [
            rule(cond("email", "ends_with", "@ACME.com", case_insensitive=True)),
            rule(cond("email", "starts_with", "b"), cond("country", "neq", "fr")),
            rule(cond("country", "in", ["de", "at"]), rollout=40),
            rule(cond("email", "contains", "x", negate=True), cond("country", "not_in", ["us"])),
        ],
    },
    {
        "name": "number-rules",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [
            rule(cond("seats", "gt", 50)),
            rule(cond("seats", "in", [3, 5, 8])),
            rule(cond("seats", "lte", 1.5), cond("country", "eq", "fr")),
            rule(cond("seats", "eq", 7, negate=True), cond("plan", "eq", "team")),
        ],
    },
    {
        "name": "versions",
        "enabled": True,
        "rollout_percentage": 0,
        "rules": [
            rule(cond("version", "semver_gt", "2.0.0-rc.1"), rollout=70),
            rule(cond("version", "semver_eq", "1.2.3")),
            rule(cond("version", "semver_lt", "1.0.0"), serve="off"),
        ],
    },
    {
        "name": "segmented",
        "enabled": True,
        "rollout_percentage": 10,
        "rules": [
            rule({"operator": "in_segment", "value": "big-pro"}),
            rule({"operator": "not_in_segment", "value": "paying"}, rollout=30),
        ],
    },
    {
        "name": "default-first",
        "enabled": True,
        "rollout_percentage": 80,
        "rules": [rule(cond("plan", "eq", "free"), serve="off"), rule(cond("country", "eq", "fr"), serve="on")],
    },
    {
        "name": "colours",
        "enabled": True,
        "variants": COLOURS,
        "default_variant": "grey",
        "salt": "palette",
        "rollout_percentage": 90,
        "allowlist": {"u4": "green", "u5": "grey"},
        "rules": [
            rule(cond("plan", "eq", "pro"), serve="blue"),
            rule(cond("country", "eq", "fr"), serve=None, rollout=50),
        ],
    },
    {
        "name": "weighted-default",
        "enabled": True,
        "variants": [{"name": "a", "weight": 1, "payload": 1}, {"name": "b", "weight": 1, "payload": [1]}],
        "default_variant": "a",
    },
    {"name": "needs-colour", "enabled": True, "prerequisites": [{"flag": "colours", "active": True}]},
    {
        "name": "needs-red-or-blue",
        "enabled": True,
        "prerequisites": [{"flag": "colours", "active": True, "variants": ["red", "blue"]}],
    },
    {"name": "needs-rollout-off", "enabled": True, "prerequisites": [{"flag": "rollout-37", "active": False}]},
    {
        "name": "staged",
        "enabled": False,
        "rollout_percentage": 20,
        "environments": {
            "production": {"enabled": True, "rollout_percentage": 45},
            "staging": {
                "enabled": True,
                "rules": [rule(cond("environment", "eq", "staging"), cond("plan", "eq", "pro"))],
            },
        },
    },
]

# Each flag here is left out of the feed, for the reason its name gives.
LEFT_OUT: list[dict[str, Any]] = [
    {"name": "uses-regex", "enabled": True, "rules": [rule(cond("email", "matches", "^a.*@acme"))]},
    {"name": "uses-cidr", "enabled": True, "rules": [rule(cond("ip", "in_cidr", "10.0.0.0/8"))]},
    {"name": "uses-exists", "enabled": True, "rules": [rule(cond("plan", "exists"))]},
    {"name": "uses-dates", "enabled": True, "rules": [rule(cond("signup", "before", "2026-01-01T00:00:00Z"))]},
    {"name": "fractional", "enabled": True, "rollout_percentage": 12.5},
    {"name": "two-levels", "enabled": True, "prerequisites": [{"flag": "needs-colour", "active": True}]},
    {"name": "nested-field", "enabled": True, "rules": [rule(cond("address.city", "eq", "Paris"))]},
    {"name": "case-free-list", "enabled": True, "rules": [rule(cond("plan", "in", ["Pro"], case_insensitive=True))]},
    {"name": "partial-default", "enabled": True, "rules": [rule(cond("plan", "eq", "free"), serve="off", rollout=50)]},
]

FIELDS: dict[str, list[str]] = {
    "plan": ["free", "pro", "team", "PRO"],
    "email": ["ann@acme.com", "bob@ACME.COM", "bea@example.org", "xavier@mail.fr"],
    "country": ["fr", "de", "us", "at"],
    "seats": ["1", "1.5", "3", "5", "5.0", "7", "10", "60", "many"],
    "version": ["0.9.0", "1.2.3", "1.10.0", "2.0.0-rc.2", "2.0.0", "v2.1.0"],
}


def contexts(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` contexts, each with an identifier (rollouts and splits are then deterministic)."""
    draw = random.Random(seed)
    made: list[dict[str, Any]] = []
    for index in range(count):
        context: dict[str, Any] = {"identifier": f"u{index}" if index < 40 else f"user-{draw.randrange(10**6)}"}
        if draw.random() < 0.7:
            context["app"] = draw.choice(["web", "ios", "api"])
        for field, values in FIELDS.items():
            if draw.random() < 0.6:
                context[field] = draw.choice(values)
        made.append(context)
    return made


_OPERATORS: dict[str, Callable[[random.Random], Any]] = {
    "eq": lambda d: d.choice(["pro", "fr", 5, 7]),
    "neq": lambda d: d.choice(["free", "us", 10]),
    "in": lambda d: d.sample(["pro", "team", "fr", "de", 3, 5, 60], d.randint(1, 3)),
    "not_in": lambda d: d.sample(["free", "us", "at", 1, 10], d.randint(1, 2)),
    "starts_with": lambda d: d.choice(["a", "b", "x"]),
    "ends_with": lambda d: d.choice(["@acme.com", ".org", "r"]),
    "contains": lambda d: d.choice(["e", "acme", "@"]),
    "not_contains": lambda d: d.choice(["x", "mail"]),
    "gt": lambda d: d.choice([3, 5.5]),
    "gte": lambda d: d.choice([5, 10]),
    "lt": lambda d: d.choice([5, 1.5]),
    "lte": lambda d: d.choice([7, 10]),
    "semver_gt": lambda d: d.choice(["1.2.3", "2.0.0-rc.1"]),
    "semver_lt": lambda d: d.choice(["1.10.0", "2.0.0"]),
    "semver_eq": lambda d: "1.2.3",
}
_FIELD_OF = {"starts_with": "email", "ends_with": "email", "contains": "email", "not_contains": "email"}


def _condition(draw: random.Random) -> dict[str, Any]:
    if draw.random() < 0.1:
        return {"operator": draw.choice(["in_segment", "not_in_segment"]), "value": draw.choice(["paying", "big-pro"])}
    operator = draw.choice(sorted(_OPERATORS))
    field = _FIELD_OF.get(operator) or ("version" if operator.startswith("semver") else None)
    if field is None:
        field = draw.choice(["plan", "country", "seats", "identifier", "app"])
    return cond(field, operator, _OPERATORS[operator](draw), negate=draw.random() < 0.15)


def generated(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """`count` random flags of every kind that Unleash can express, in an order that writes prerequisites first."""
    draw = random.Random(seed)
    made: list[dict[str, Any]] = []
    for index in range(count):
        flag: dict[str, Any] = {"name": f"gen-{index}", "enabled": draw.random() < 0.9, "salt": f"salt-{index % 3}"}
        names = ["off", "on"]
        if draw.random() < 0.5:
            chosen = draw.sample(["a", "b", "c", "d"], draw.randint(2, 4))
            flag["variants"] = [
                {"name": name, "weight": draw.choice([0, 1, 3, 250]), "payload": draw.choice(PAYLOADS)}
                for name in chosen
            ]
            flag["default_variant"] = draw.choice(chosen)
            names = chosen
        flag["rollout_percentage"] = draw.choice([0, 25, 50, 100])
        if draw.random() < 0.4:
            flag["allowlist"] = {f"u{draw.randrange(40)}": draw.choice(names) for _ in range(draw.randint(1, 3))}
        flag["rules"] = [
            rule(
                *[_condition(draw) for _ in range(draw.randint(0, 2))],
                serve=draw.choice([*names, None]),
                rollout=draw.choice([100, 100, 60]),
            )
            for _ in range(draw.randint(0, 3))
        ]
        if draw.random() < 0.3:
            flag["apps"] = draw.sample(["web", "ios", "api"], draw.randint(1, 2))
        parents = [other["name"] for other in made if not other.get("prerequisites")]
        if parents and draw.random() < 0.25:
            flag["prerequisites"] = [{"flag": draw.choice(parents), "active": draw.random() < 0.7}]
        made.append(flag)
    return made
