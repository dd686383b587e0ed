"""Flag documents, users and SDK configurations shared by the benchmarks.

Everything is generated from fixed seeds, so every run measures exactly the same data.
The three workload kinds of `engine.py` are written once here, in each SDK's own vocabulary:

- simple: enabled, served to everyone (Vexil 100 %; Unleash `default`; GrowthBook a `force` rule);
- rollout: 50 % of users by identifier (Vexil `rollout_percentage`; Unleash `flexibleRollout`
  with stickiness `userId`; GrowthBook a `force` rule with `coverage: 0.5` hashed on `id`);
- conditions: one rule of three conditions, `email` ends with `@acme.com`, `country` in five
  countries, `plan` equals `pro` (Unleash `STR_ENDS_WITH`, `IN`, `IN` with one value as Unleash
  has no string `eq`; GrowthBook `$regex`, `$in`, a plain value).
"""

from __future__ import annotations

import random
from typing import Any

SIMPLE = "simple"
ROLLOUT = "rollout"
CONDITIONS = "conditions"

ACME = "@acme.com"
COUNTRIES = ["NL", "DE", "FR", "BE", "LU"]
OTHER_COUNTRIES = ["US", "GB", "JP"]
PLANS = ["free", "pro", "team"]
DOMAINS = [ACME, "@example.org", "@mail.test"]


def flag_doc(name: str, **fields: Any) -> dict[str, Any]:
    """A complete flag document as `docs/model.md` writes it (every key present)."""
    doc: dict[str, Any] = {
        "name": name,
        "description": "",
        "tags": [],
        "enabled": True,
        "rollout_percentage": 100,
        "variants": [{"name": "off", "payload": None, "weight": 0}, {"name": "on", "payload": None, "weight": 1}],
        "default_variant": "off",
        "prerequisites": [],
        "allowlist": {},
        "rules": [],
        "apps": [],
        "environments": {},
        "salt": name,
        "created_at": "2026-11-21T08:00:00.000000Z",
        "updated_at": "2026-11-21T08:00:00.000000Z",
        "version": 1,
    }
    doc.update(fields)
    return doc


def condition(field: str, operator: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, "negate": False, "case_insensitive": False, **extra}


THREE_CONDITIONS = [
    condition("email", "ends_with", ACME),
    condition("country", "in", COUNTRIES),
    condition("attributes.plan", "eq", "pro"),
]


# --- users -----------------------------------------------------------------------------------------


def users(count: int = 1000, seed: int = 7) -> list[dict[str, Any]]:
    """Plain user records; each SDK gets them in its own context shape (see the *_context helpers)."""
    rng = random.Random(seed)
    result = []
    for i in range(count):
        result.append(
            {
                "id": f"user-{i}",
                "email": f"person{i}{rng.choice(DOMAINS)}",
                "country": rng.choice(COUNTRIES + OTHER_COUNTRIES),
                "plan": rng.choice(PLANS),
            }
        )
    return result


def matches_three(user: dict[str, Any]) -> bool:
    """The expected answer of the conditions flag, computed independently of every SDK."""
    return user["email"].endswith(ACME) and user["country"] in COUNTRIES and user["plan"] == "pro"


def vexil_context(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": user["id"],
        "environment": "production",
        "email": user["email"],
        "country": user["country"],
        "attributes": {"plan": user["plan"]},
    }


def unleash_context(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "userId": user["id"],
        "properties": {"email": user["email"], "country": user["country"], "plan": user["plan"]},
    }


def growthbook_attributes(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "email": user["email"], "country": user["country"], "plan": user["plan"]}


# --- the workload flags, in each SDK's vocabulary --------------------------------------------------


def mixed_names(count: int = 100) -> list[tuple[str, str]]:
    """(name, kind) for `count` flags cycling through the three kinds."""
    kinds = (SIMPLE, ROLLOUT, CONDITIONS)
    return [(f"{kinds[i % 3]}-{i:03d}", kinds[i % 3]) for i in range(count)]


def vexil_flag(name: str, kind: str) -> dict[str, Any]:
    if kind == SIMPLE:
        return flag_doc(name)
    if kind == ROLLOUT:
        return flag_doc(name, rollout_percentage=50)
    # Only the rule serves `on`: everyone else is outside the (0 %) rollout.
    rule = {"conditions": THREE_CONDITIONS, "rollout_percentage": 100, "serve": "on"}
    return flag_doc(name, rollout_percentage=0, rules=[rule])


def unleash_feature(name: str, kind: str) -> dict[str, Any]:
    if kind == SIMPLE:
        strategy: dict[str, Any] = {"name": "default", "parameters": {}, "constraints": []}
    elif kind == ROLLOUT:
        strategy = {
            "name": "flexibleRollout",
            "parameters": {"rollout": "50", "stickiness": "userId", "groupId": name},
            "constraints": [],
        }
    else:
        strategy = {
            "name": "default",
            "parameters": {},
            "constraints": [
                {"contextName": "email", "operator": "STR_ENDS_WITH", "values": [ACME], "caseInsensitive": False},
                {"contextName": "country", "operator": "IN", "values": COUNTRIES},
                {"contextName": "plan", "operator": "IN", "values": ["pro"]},
            ],
        }
    return {
        "name": name,
        "type": "release",
        "enabled": True,
        "project": "default",
        "stale": False,
        "impressionData": False,
        "strategies": [strategy],
        "variants": [],
    }


def growthbook_feature(name: str, kind: str) -> dict[str, Any]:
    if kind == SIMPLE:
        rule: dict[str, Any] = {"force": True}
    elif kind == ROLLOUT:
        rule = {"force": True, "coverage": 0.5, "hashAttribute": "id"}
    else:
        rule = {
            "force": True,
            "condition": {"email": {"$regex": r"@acme\.com$"}, "country": {"$in": COUNTRIES}, "plan": "pro"},
        }
    return {"defaultValue": False, "rules": [rule]}


def unleash_bootstrap(flags: list[tuple[str, str]]) -> dict[str, Any]:
    return {"version": 2, "features": [unleash_feature(name, kind) for name, kind in flags], "segments": []}


def growthbook_features(flags: list[tuple[str, str]]) -> dict[str, Any]:
    return {name: growthbook_feature(name, kind) for name, kind in flags}


# --- a realistic catalogue (cold start) ------------------------------------------------------------

_SEGMENTS = [
    {"name": f"segment-{i}", "description": "", "conditions": [condition("country", "in", COUNTRIES[: i % 5 + 1])]}
    for i in range(10)
]


def segment_docs() -> list[dict[str, Any]]:
    return [dict(s, created_at="2026-11-21T08:00:00.000000Z", updated_at="2026-11-21T08:00:00.000000Z", version=1)
            for s in _SEGMENTS]  # fmt: skip


def _random_condition(rng: random.Random, with_segments: bool) -> dict[str, Any]:
    choices: list[dict[str, Any]] = [
        condition("email", "ends_with", rng.choice(DOMAINS), case_insensitive=rng.random() < 0.3),
        condition("country", "in", rng.sample(COUNTRIES + OTHER_COUNTRIES, 3)),
        condition("attributes.plan", "eq", rng.choice(PLANS)),
        condition("attributes.plan", "neq", "free"),
        condition("email", "matches", r"^[a-z]+\d{2,}@"),
        condition("app_version", "semver_gt", f"2.{rng.randrange(10)}.0"),
        condition("age", "gte", rng.randrange(18, 60)),
        condition("signup", "after", "2025-01-01T00:00:00Z"),
        condition("ip", "in_cidr", "10.0.0.0/8"),
        condition("beta", "exists", None),
        condition("email", "contains", "test", negate=True),
    ]
    if with_segments:
        choices.append({"operator": "in_segment", "value": rng.choice(_SEGMENTS)["name"], "negate": False})
    return rng.choice(choices)


def _random_rules(rng: random.Random, variant_names: list[str], with_segments: bool) -> list[dict[str, Any]]:
    rules = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        rules.append(
            {
                "conditions": [_random_condition(rng, with_segments) for _ in range(rng.randint(1, 3))],
                "rollout_percentage": rng.choice([100, 100, 50, 12.5]),
                "serve": rng.choice([*variant_names[1:], None]),
            }
        )
    return rules


def realistic_flags(count: int = 1000, *, seed: int = 11, with_segments: bool = True) -> list[dict[str, Any]]:
    """`count` flag documents such as a real catalogue holds: mostly boolean, some multivariate with
    payloads, 0 to 3 rules of 1 to 3 conditions over a dozen operators, environment overrides,
    allowlists, app scopes and a few prerequisites (always on earlier flags, so never a cycle)."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        name = f"flag-{i:04d}"
        fields: dict[str, Any] = {
            "description": f"benchmark flag {i}",
            "tags": rng.sample(["checkout", "search", "growth", "infra", "ui"], 2),
            "enabled": rng.random() < 0.85,
            "rollout_percentage": rng.choice([100, 100, 100, 50, 25, 10, 0, 33.33]),
        }
        names = ["off", "on"]
        if rng.random() < 0.2:
            names = ["control", "blue", "green"]
            fields["variants"] = [
                {"name": "control", "payload": None, "weight": 0},
                {"name": "blue", "payload": {"color": "#00f", "size": rng.randrange(10)}, "weight": 1},
                {"name": "green", "payload": {"color": "#0f0"}, "weight": rng.randint(1, 3)},
            ]
            fields["default_variant"] = "control"
        fields["rules"] = _random_rules(rng, names, with_segments)
        if rng.random() < 0.3:
            fields["allowlist"] = {f"user-{rng.randrange(1000)}": names[-1] for _ in range(rng.randint(1, 5))}
        if rng.random() < 0.4:
            fields["environments"] = {
                "production": {"rollout_percentage": rng.choice([5, 10, 50])},
                "staging": {"enabled": True, "rollout_percentage": 100},
            }
        if rng.random() < 0.1:
            fields["apps"] = [rng.choice(["web", "ios", "android"])]
        if i > 10 and rng.random() < 0.05:
            fields["prerequisites"] = [{"flag": f"flag-{rng.randrange(i):04d}", "active": True, "variants": None}]
        docs.append(flag_doc(name, **fields))
    return docs


# --- the HTTP benchmark's 20 flags, as `POST /flags` bodies -------------------------------------------

HTTP_SINGLE = "http-07"  # the flag of the single-flag benchmark: a rule (not matched) then a 50 % rollout


def http_flags() -> list[dict[str, Any]]:
    """20 create bodies: rollouts, rules, multivariate splits, environment overrides, one disabled."""
    bodies: list[dict[str, Any]] = []
    for i, percent in enumerate([10, 25, 50, 50, 75, 90, 33.33]):
        bodies.append({"name": f"http-{i:02d}", "enabled": True, "rollout_percentage": percent})
    for i in range(7, 14):
        rules = [{"conditions": THREE_CONDITIONS, "rollout_percentage": 100, "serve": "on"}]
        if i % 2:
            rules.append(
                {"conditions": [condition("attributes.plan", "in", ["team", "pro"])], "rollout_percentage": 20}
            )
        bodies.append({"name": f"http-{i:02d}", "enabled": True, "rollout_percentage": 50, "rules": rules})
    for i in range(14, 17):
        variants = [
            {"name": "control", "payload": None, "weight": 0},
            {"name": "blue", "payload": {"color": "#00f"}, "weight": 1},
            {"name": "green", "payload": {"color": "#0f0"}, "weight": 2},
        ]
        bodies.append(
            {
                "name": f"http-{i:02d}",
                "enabled": True,
                "variants": variants,
                "default_variant": "control",
                "environments": {"production": {"rollout_percentage": 50}},
            }
        )
    bodies.append({"name": "http-17", "enabled": True})
    bodies.append({"name": "http-18", "enabled": True, "allowlist": {"user-123": "on"}, "rollout_percentage": 5})
    bodies.append({"name": "http-19", "enabled": False})
    return bodies
