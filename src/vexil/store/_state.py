"""Reading an export document (`SqlStore.export_state()`) into rows to import.

Everything is parsed and checked before the import transaction starts, so that a bad file
fails without touching the database: a duplicate name is a `Conflict`, and a timestamp or a
version that cannot be stored (the import keeps them as the file gives them) an `InvalidValue`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vexil.store._docs import Doc, FlagParts, parse_time, segment_columns
from vexil.store._values import INSTANT_RANGE, check_instant, check_int32
from vexil.store.errors import Conflict, InvalidValue

# The most approvals an environment can require (the API's limit too).
MAX_APPROVALS = 10


@dataclass
class ImportedFlag:
    parts: FlagParts
    created_at: datetime
    updated_at: datetime
    version: int

    def columns(self) -> Doc:
        return {
            **self.parts.columns,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        }


@dataclass
class ImportedState:
    """Row values for the `environments`, `segments` and `flags` tables."""

    environments: list[Doc] = field(default_factory=list)
    segments: list[Doc] = field(default_factory=list)
    flags: list[ImportedFlag] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.environments) + len(self.segments) + len(self.flags)


def parse_state(state: Mapping[str, Any], now: datetime) -> ImportedState:
    """Row values for an export document; `Conflict` if a name appears twice in a section."""
    parsed = ImportedState()
    for index, doc in enumerate(state.get("flags") or []):
        where = f"flags[{index}]"
        created_at = _instant(doc, "created_at", now, where)
        updated_at = _instant(doc, "updated_at", created_at, where)
        parsed.flags.append(ImportedFlag(FlagParts(doc), created_at, updated_at, _version(doc, where)))
    for index, doc in enumerate(state.get("segments") or []):
        where = f"segments[{index}]"
        created_at = _instant(doc, "created_at", now, where)
        parsed.segments.append(
            {
                "name": str(doc["name"]),
                **segment_columns(doc),
                "created_at": created_at,
                "updated_at": _instant(doc, "updated_at", created_at, where),
                "version": _version(doc, where),
            }
        )
    for index, env in enumerate(state.get("environments") or []):
        # An environment is `{"name", "created_at", "order"?}`; a bare name is accepted too. `order`
        # is the team's place for it, present once someone ordered the environments (store/_order.py).
        doc = env if isinstance(env, Mapping) else {"name": env}
        where = f"environments[{index}]"
        created_at = _instant(doc, "created_at", now, where)
        place = doc.get("order")
        position = None if place is None else check_int32(place if type(place) is int else -1, f"{where}.order")
        parsed.environments.append(
            {"name": str(doc["name"]), "created_at": created_at, "position": position, **_protection(doc, where)}
        )
    _refuse_duplicates("environment", (env["name"] for env in parsed.environments))
    _refuse_duplicates("segment", (segment["name"] for segment in parsed.segments))
    _refuse_duplicates("flag", (flag.parts.name for flag in parsed.flags))
    # Environments that flags override but the file does not list are created with the import.
    listed = {env["name"] for env in parsed.environments}
    overridden = {env for flag in parsed.flags for env in flag.parts.overrides}
    parsed.environments += [
        {"name": name, "created_at": now, "position": None, **_protection({}, "")}
        for name in sorted(overridden - listed)
    ]
    return parsed


def _protection(doc: Mapping[str, Any], where: str) -> Doc:
    """An environment's `protected` and `required_approvals` (docs/change-requests.md): an export
    gives them for a protected environment only; absent, it is not protected."""
    protected = doc.get("protected", False)
    if type(protected) is not bool:
        raise InvalidValue(f"{where}.protected: use true or false")
    approvals = doc.get("required_approvals", 1)
    if type(approvals) is not int or not 1 <= approvals <= MAX_APPROVALS:
        raise InvalidValue(f"{where}.required_approvals: use a whole number from 1 to {MAX_APPROVALS}")
    return {"protected": protected, "required_approvals": approvals}


def _instant(doc: Mapping[str, Any], key: str, default: datetime, where: str) -> datetime:
    """`doc[key]` as a UTC instant (absent or null: `default`); `InvalidValue` when it is none."""
    try:
        return check_instant(parse_time(doc.get(key), default), f"{where}.{key}")
    except (TypeError, ValueError, OverflowError):
        raise InvalidValue(f"{where}.{key}: {INSTANT_RANGE}, such as 2026-11-21T08:00:00Z") from None


def _version(doc: Mapping[str, Any], where: str) -> int:
    raw = doc.get("version") or 1
    try:
        version = -1 if isinstance(raw, bool) else int(raw)
    except (TypeError, ValueError, OverflowError):
        version = -1
    return check_int32(version, f"{where}.version", low=1)


def _refuse_duplicates(kind: str, names: Iterable[str]) -> None:
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise Conflict(f"the import has more than one {kind} named {', '.join(duplicates)}")
