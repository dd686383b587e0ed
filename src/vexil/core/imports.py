"""What an import would do: the plan (created, changed, deleted) and the state a merge makes.

An import replaces the whole state, or with `mode="merge"` adds and updates without deleting. Both
are planned the same way, before anything is written: the state the import would leave is compared,
name by name, with the state it replaces, so that `POST /import?dry_run=true` and `vexil import
--dry-run` say exactly what the real import would do. Pure functions over export documents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Doc = dict[str, Any]
Mode = Literal["replace", "merge"]
MODES: tuple[Mode, ...] = ("replace", "merge")
SECTIONS = ("flags", "segments", "environments")
# What every write changes by itself: not a change of content.
STAMPS = frozenset({"created_at", "updated_at", "version"})


def _name(doc: Any) -> str:
    if isinstance(doc, Mapping):
        return str(doc.get("name", doc.get("key")))
    return str(doc)


def _content(doc: Any) -> Any:
    return {k: v for k, v in doc.items() if k not in STAMPS} if isinstance(doc, Mapping) else {}


def plan(current: Mapping[str, Any], after: Mapping[str, Iterable[Any]]) -> Doc:
    """`{"created": {section: [names]}, "changed": {...}, "deleted": {...}}`, sorted by name, for
    going from `current` (an export) to `after` (the documents as they would be stored)."""
    result: Doc = {kind: {} for kind in ("created", "changed", "deleted")}
    for section in SECTIONS:
        old = {_name(doc): doc for doc in current.get(section) or []}
        new = {_name(doc): doc for doc in after.get(section) or []}
        result["created"][section] = sorted(set(new) - set(old))
        result["deleted"][section] = sorted(set(old) - set(new))
        result["changed"][section] = sorted(
            name for name in set(old) & set(new) if _content(old[name]) != _content(new[name])
        )
    return result


def counted(changes: Mapping[str, Mapping[str, list[str]]]) -> Doc:
    """A plan with counts instead of names (what the audit event records)."""
    return {kind: {section: len(names) for section, names in by.items()} for kind, by in changes.items()}


def merged(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> Doc:
    """The state a merge makes: `current` with the documents of `incoming` added or put in place of
    those of the same name; nothing removed. A document put in place keeps the times and version of
    the one it replaces (a changed one gets a new version when written, see `FlagService`)."""
    state: Doc = {"version": current.get("version", 1)}
    for section in SECTIONS:
        documents = {_name(doc): doc for doc in current.get(section) or []}
        for doc in incoming.get(section) or []:
            name = _name(doc)
            old = documents.get(name)
            if section == "environments":
                documents.setdefault(name, doc)
            elif old is None:
                documents[name] = doc
            else:
                documents[name] = {**_content(doc), **{key: old[key] for key in STAMPS if key in old}}
        state[section] = list(documents.values())
    return state


def state_tag(current: Mapping[str, Any]) -> str:
    """A digest of a whole state (an export, its moment left out): a plan answers the tag of the
    state it was made against, and an import given `if_state` is refused once the state has moved,
    so that what was shown and confirmed is what is applied."""
    content = {key: value for key, value in current.items() if key != "exported_at"}
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]
