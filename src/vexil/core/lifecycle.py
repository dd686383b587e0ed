"""A flag's lifecycle: its kind and expected lifetime, and the signals that say it may be stale.

Pure functions of a flag document and an instant (docs/lifecycle.md): the caller brings `now`
from its clock (`FlagService.clock`, which tests move), so that no signal needs days to pass.
Each signal carries its evidence, so that a person can see why before deleting anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from vexil.store import format_time

Doc = dict[str, Any]
Kind = Literal["release", "experiment", "operational", "kill_switch", "permission"]

# Expected lifetime of each kind, in days; None: permanent (never stale by age).
LIFETIMES: dict[str, int | None] = {
    "release": 40,
    "experiment": 40,
    "operational": 7,
    "kill_switch": None,
    "permission": None,
}
KINDS: tuple[str, ...] = tuple(LIFETIMES)
# How long a flag may serve one variant to everyone, or go unevaluated, before it is a signal.
QUIET_DAYS = 7


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def last_seen_of(overview: Mapping[str, Mapping[str, Any]]) -> dict[str, datetime | None]:
    """Flag name -> when it was last evaluated, from the usage overview (`core/usage.py`), for the
    "not evaluated" signal; a flag the overview does not name was never counted."""
    return {
        name: None if doc.get("last_seen") is None else _instant(doc["last_seen"]) for name, doc in overview.items()
    }


def _days(since: datetime, now: datetime) -> int:
    return max(0, (now - since) // timedelta(days=1))


def past_lifetime(doc: Mapping[str, Any], now: datetime) -> Doc | None:
    """Older than its kind's lifetime (counted from `created_at`)."""
    lifetime = LIFETIMES.get(doc["kind"])
    if lifetime is None:
        return None
    age = _days(_instant(doc["created_at"]), now)
    if age <= lifetime:
        return None
    evidence = {"kind": doc["kind"], "lifetime_days": lifetime, "created_at": doc["created_at"], "age_days": age}
    return {"signal": "past_lifetime", "evidence": evidence}


def _served(config: Mapping[str, Any], doc: Mapping[str, Any]) -> str | None:
    """The one variant a configuration serves to every context, or None if it may serve several.

    Disabled: its default variant. Enabled with a 100 % rollout, no rules and no allowlist: the one
    variant that has weight (a split between several is not one value)."""
    if not config["enabled"]:
        return str(doc["default_variant"])
    if config["rules"] or config["allowlist"] or config["rollout_percentage"] != 100:
        return None
    weighted = [variant["name"] for variant in doc["variants"] if variant["weight"] > 0]
    return str(weighted[0]) if len(weighted) == 1 else None


def one_variant(doc: Mapping[str, Any], now: datetime, days: int = QUIET_DAYS) -> Doc | None:
    """Serving one variant to every context, in its own configuration and every environment's,
    unchanged for `days` (since `updated_at`). Prerequisites may turn it off: then it is not one."""
    if doc["prerequisites"]:
        return None
    own = {key: doc[key] for key in ("enabled", "rollout_percentage", "rules", "allowlist")}
    configs = {"": own} | {env: own | override for env, override in doc["environments"].items()}
    serves = {env: _served(config, doc) for env, config in configs.items()}
    if any(variant is None for variant in serves.values()):
        return None
    unchanged = _days(_instant(doc["updated_at"]), now)
    if unchanged < days:
        return None
    evidence = {
        "variant": serves[""],
        "environments": {env: variant for env, variant in serves.items() if env},
        "unchanged_since": doc["updated_at"],
        "days": unchanged,
    }
    return {"signal": "one_variant", "evidence": evidence}


def marked_stale(doc: Mapping[str, Any]) -> Doc | None:
    """A person said so (`"stale": true` in a PATCH)."""
    if not doc["stale"]:
        return None
    return {"signal": "marked_stale", "evidence": {"stale": True, "since": doc["updated_at"]}}


def not_evaluated(
    doc: Mapping[str, Any], now: datetime, last_seen: datetime | None, days: int = QUIET_DAYS
) -> Doc | None:
    """Not evaluated for `days` while it existed: the hook for usage counts (docs/lifecycle.md).
    `last_seen` None means never: then the flag must have existed for `days`."""
    since = last_seen if last_seen is not None else _instant(doc["created_at"])
    quiet = _days(since, now)
    if quiet < days:
        return None
    evidence = {"last_seen": None if last_seen is None else format_time(last_seen), "days": quiet}
    return {"signal": "not_evaluated", "evidence": evidence}


def stale_signals(
    doc: Mapping[str, Any],
    now: datetime,
    *,
    last_seen: Mapping[str, datetime | None] | None = None,
    days: int = QUIET_DAYS,
) -> list[Doc]:
    """Every signal that `doc` may be stale, with its evidence. `last_seen` (flag name -> when it
    was last evaluated, None: never) comes from usage counts; without it, that signal is not asked."""
    found = [past_lifetime(doc, now), one_variant(doc, now, days), marked_stale(doc)]
    if last_seen is not None:
        found.append(not_evaluated(doc, now, last_seen.get(doc["name"]), days))
    return [signal for signal in found if signal is not None]


def stale_summary(
    doc: Mapping[str, Any],
    now: datetime,
    *,
    last_seen: Mapping[str, datetime | None] | None = None,
    references: int | None = None,
) -> Doc:
    """What `GET /flags/{name}/stale` answers. `references`: in how many scanned repositories and
    branches the flag is named (None: no scan was ever uploaded, so nobody knows). A stale flag that
    the scans name nowhere is ready to remove."""
    signals = stale_signals(doc, now, last_seen=last_seen)
    return {
        "flag": doc["name"],
        "kind": doc["kind"],
        "owner": doc["owner"],
        "stale": bool(signals),
        "signals": signals,
        "references": references,
        "ready_to_remove": bool(signals) and references == 0,
    }


def cleanup(
    docs: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    last_seen: Mapping[str, datetime | None],
    references: Mapping[str, int] | None,
) -> Doc:
    """What `GET /cleanup` answers: the flags ready to remove and those potentially stale (stale,
    but named in code, or nothing scanned yet), each as `stale_summary` says with its last
    evaluation; flags without a signal are left out. `references`: per flag, in how many scanned
    repositories and branches it is named (None: no scan was ever uploaded)."""
    ready: list[Doc] = []
    stale: list[Doc] = []
    for doc in docs:
        found = None if references is None else references.get(doc["name"], 0)
        summary = stale_summary(doc, now, last_seen=last_seen, references=found)
        if not summary["stale"]:
            continue
        seen = last_seen.get(doc["name"])
        summary["last_seen"] = None if seen is None else format_time(seen)
        (ready if summary["ready_to_remove"] else stale).append(summary)
    return {"ready_to_remove": ready, "potentially_stale": stale}
