"""Conversions between the JSON documents of docs/model.md and table rows.

Pure functions, no I/O: `SqlStore` reads rows, hands them here, and gets documents back (and
the other way round). Documents are plain dicts; every key of a flag document is always present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from vexil.engine import SEGMENT_OPERATORS
from vexil.store.tables import AuditRow, EnvironmentRow, FlagRow, SegmentRow, TokenRow

Doc = dict[str, Any]

# The keys of a flag document, in output order (docs/model.md).
FLAG_KEYS = (
    "name",
    "description",
    "tags",
    "enabled",
    "rollout_percentage",
    "variants",
    "default_variant",
    "prerequisites",
    "allowlist",
    "rules",
    "apps",
    "environments",
    "salt",
    "kind",
    "owner",
    "stale",
    "archived",
    "created_at",
    "updated_at",
    "version",
)
# The keys an environment override may carry, in output order.
OVERRIDE_KEYS = ("enabled", "rollout_percentage", "rules", "allowlist")
_TICK = timedelta(microseconds=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def later_than(previous: datetime) -> datetime:
    """Now, or a microsecond after `previous` if the clock has not moved: `updated_at` always moves."""
    return max(utcnow(), previous + _TICK)


def format_time(value: datetime) -> str:
    """RFC 3339 UTC with microseconds: `2026-11-21T08:00:00.000000Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: Any, default: datetime) -> datetime:
    """An RFC 3339 string (or datetime) from an imported document; naive means UTC."""
    if value is None:
        return default
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_basis_points(percentage: Any) -> int:
    """25 -> 2500, 12.34 -> 1234: exact, whatever float noise the number carries."""
    return int((Decimal(str(percentage)) * 100).to_integral_value(ROUND_HALF_EVEN))


def to_percentage(basis_points: int) -> int | float:
    """2500 -> 25 (an int when whole), 1234 -> 12.34."""
    whole, rest = divmod(basis_points, 100)
    return whole if rest == 0 else round(basis_points / 100, 2)


# --- flags -------------------------------------------------------------------------------------


def _given(doc: Mapping[str, Any], key: str, default: Any) -> Any:
    """`doc[key]`, or the default when the key is absent or null."""
    value = doc.get(key)
    return default if value is None else value


def _variants(given: Any) -> list[Doc]:
    # None or [] make a boolean flag; a variant without a weight gets 1 (an equal share).
    if not given:
        return [{"name": "off", "payload": None, "weight": 0}, {"name": "on", "payload": None, "weight": 1}]
    return [{"name": v["name"], "payload": v.get("payload"), "weight": v.get("weight", 1)} for v in given]


def _override_columns(override: Mapping[str, Any]) -> Doc:
    """An override document as `flag_overrides` column values; absent keys are NULL."""
    rollout = override.get("rollout_percentage")
    return {
        "enabled": override.get("enabled"),
        "rollout_bp": None if rollout is None else to_basis_points(rollout),
        "rules": override.get("rules"),
        "allowlist": override.get("allowlist"),
    }


def override_doc(columns: Mapping[str, Any]) -> Doc:
    """`flag_overrides` column values as an override document: only the keys that are set."""
    values = {
        "enabled": columns["enabled"],
        "rollout_percentage": None if columns["rollout_bp"] is None else to_percentage(columns["rollout_bp"]),
        "rules": columns["rules"],
        "allowlist": columns["allowlist"],
    }
    return {key: values[key] for key in OVERRIDE_KEYS if values[key] is not None}


class FlagParts:
    """A flag document split into what goes into each table."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        name = str(doc["name"])
        variants = _variants(doc.get("variants"))
        self.name = name
        self.columns: Doc = {
            "name": name,
            "description": doc.get("description") or "",
            "tags": list(doc.get("tags") or []),
            "enabled": bool(_given(doc, "enabled", False)),
            "rollout_bp": to_basis_points(_given(doc, "rollout_percentage", 100)),
            "variants": variants,
            "default_variant": doc.get("default_variant") or variants[0]["name"],
            "prerequisites": list(doc.get("prerequisites") or []),
            "allowlist": dict(doc.get("allowlist") or {}),
            "rules": list(doc.get("rules") or []),
            "salt": doc.get("salt") or name,
            "kind": doc.get("kind") or "release",
            "owner": doc.get("owner") or "",
            "stale": bool(doc.get("stale")),
            "archived": bool(doc.get("archived")),
        }
        environments: Mapping[str, Mapping[str, Any]] = doc.get("environments") or {}
        self.overrides: dict[str, Doc] = {env: _override_columns(o) for env, o in sorted(environments.items())}
        self.apps: list[str] = sorted(set(doc.get("apps") or []))


def flag_doc(row: FlagRow, overrides: Mapping[str, Mapping[str, Any]], apps: Iterable[str]) -> Doc:
    """The flag document of a row, its override columns by environment and its app names."""
    return {
        "name": row.name,
        "description": row.description,
        "tags": row.tags,
        "enabled": row.enabled,
        "rollout_percentage": to_percentage(row.rollout_bp),
        "variants": row.variants,
        "default_variant": row.default_variant,
        "prerequisites": row.prerequisites,
        "allowlist": row.allowlist,
        "rules": row.rules,
        "apps": sorted(apps),
        "environments": {env: override_doc(columns) for env, columns in sorted(overrides.items())},
        "salt": row.salt,
        "kind": row.kind,
        "owner": row.owner,
        "stale": row.stale,
        "archived": row.archived,
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
        "version": row.version,
    }


# --- segments, environments, tokens, audit -----------------------------------------------------


def segment_columns(doc: Mapping[str, Any]) -> Doc:
    return {"description": doc.get("description") or "", "conditions": list(doc.get("conditions") or [])}


def segment_doc(row: SegmentRow) -> Doc:
    return {
        "name": row.name,
        "description": row.description,
        "conditions": row.conditions,
        "created_at": format_time(row.created_at),
        "updated_at": format_time(row.updated_at),
        "version": row.version,
    }


def environment_doc(row: EnvironmentRow) -> Doc:
    return {"name": row.name, "created_at": format_time(row.created_at)}


def token_doc(row: TokenRow) -> Doc:
    """A token without its secret hash: safe to return, log and audit."""
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "prefix": row.prefix,
        "environment": row.environment,
        "created_at": format_time(row.created_at),
        "revoked_at": None if row.revoked_at is None else format_time(row.revoked_at),
        "revoked": row.revoked_at is not None,
    }


def actor_kind(actor: str) -> str:
    """Who made a change, by the actor's name: a person (an email: token names cannot hold an @,
    core/names.py), Vexil itself (`vexil`), or a token (its name)."""
    if "@" in actor:
        return "person"
    return "vexil" if actor == "vexil" else "token"


def audit_doc(row: AuditRow) -> Doc:
    return {
        "id": row.id,
        "at": format_time(row.at),
        "actor": row.actor,
        "actor_kind": actor_kind(row.actor),
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "reverts": row.reverts,
    } | ({} if row.via is None else {"via": row.via})


def references_segment(conditions: Any, segment: str) -> bool:
    """Whether a list of conditions has an `in_segment`/`not_in_segment` naming `segment`."""
    for condition in conditions or []:
        if not isinstance(condition, Mapping) or condition.get("operator") not in SEGMENT_OPERATORS:
            continue
        value = condition.get("value")
        if value == segment or (isinstance(value, list) and segment in value):
            return True
    return False


def rules_reference_segment(rules: Any, segment: str) -> bool:
    return any(
        isinstance(rule, Mapping) and references_segment(rule.get("conditions"), segment) for rule in rules or []
    )
