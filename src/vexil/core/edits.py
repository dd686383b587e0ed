"""Edits: one write to one flag as plain data, so that it can wait in a change request and be applied
later exactly as the write would have been (docs/change-requests.md).

An edit is `{"kind", "flag", ...}`:

- `patch`: `{"fields": {...}}`, the fields of `PATCH /flags/{name}` (only those given change);
- `override`: `{"environment", "fields": {...}}`, merged into the environment's override (a field
  given as null inherits the flag's own again), as `POST /flags/{name}/environments`;
- `remove_override`: `{"environment"}`, as `DELETE /flags/{name}/environments/{environment}`;
- `enable`: `{"enabled": bool, "environment": name | null}`, the flag's own `enabled` or the
  environment's. A toggle becomes one (`resolved`): what it meant when it was made is what applies;
- `toggle`: `{"environment": name | null}`, flips it;
- `add_app`, `remove_app`: `{"app"}`, the flag's app scopes.

`apply_edit(edit, doc)` is the flag after the edit (pure, on a copy the caller owns), and
`action_of(edit)` the audit action of the write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vexil.core.validation import InvalidInput
from vexil.store.errors import NotFound

Doc = dict[str, Any]

_ACTIONS = {
    "patch": "update",
    "override": "override",
    "remove_override": "override",
    "toggle": "toggle",
    "add_app": "scope",
    "remove_app": "scope",
}
KINDS = (*_ACTIONS, "enable")


def _patch(edit: Doc, doc: Doc) -> Doc:
    fields = edit["fields"]
    if "variants" in fields and "default_variant" not in fields:
        doc["default_variant"] = None
    doc.update(fields)
    return doc


def _override(edit: Doc, doc: Doc) -> Doc:
    override = doc["environments"].setdefault(edit["environment"], {})
    for key, value in edit["fields"].items():
        if value is None:
            override.pop(key, None)
        else:
            override[key] = value
    return doc


def _remove_override(edit: Doc, doc: Doc) -> Doc:
    environment = edit["environment"]
    if environment not in doc["environments"]:
        raise NotFound(f"flag {doc['name']!r} has no override for environment {environment!r}")
    del doc["environments"][environment]
    return doc


def _enable(edit: Doc, doc: Doc) -> Doc:
    if edit.get("environment") is None:
        doc["enabled"] = edit["enabled"]
    else:
        doc["environments"].setdefault(edit["environment"], {})["enabled"] = edit["enabled"]
    return doc


def _toggle(edit: Doc, doc: Doc) -> Doc:
    return _enable(resolved(edit, doc), doc)


def _add_app(edit: Doc, doc: Doc) -> Doc:
    doc["apps"] = [*doc["apps"], edit["app"]]
    return doc


def _remove_app(edit: Doc, doc: Doc) -> Doc:
    if edit["app"] not in doc["apps"]:
        raise NotFound(f"flag {doc['name']!r} is not scoped to app {edit['app']!r}")
    doc["apps"] = [app for app in doc["apps"] if app != edit["app"]]
    return doc


_APPLY: dict[str, Callable[[Doc, Doc], Doc]] = {
    "patch": _patch,
    "override": _override,
    "remove_override": _remove_override,
    "enable": _enable,
    "toggle": _toggle,
    "add_app": _add_app,
    "remove_app": _remove_app,
}


def enabled_in(doc: Doc, environment: str | None) -> bool:
    """Whether `doc` is enabled in `environment` (None: its own switch)."""
    own = bool(doc["enabled"])
    if environment is None:
        return own
    return bool(doc["environments"].get(environment, {}).get("enabled", own))


def resolved(edit: Doc, doc: Doc) -> Doc:
    """The edit as it is kept: a toggle of `doc` as the `enable` it means now; others unchanged."""
    if edit["kind"] != "toggle":
        return edit
    environment = edit.get("environment")
    return {
        "kind": "enable",
        "flag": edit["flag"],
        "environment": environment,
        "enabled": not enabled_in(doc, environment),
    }


def apply_edit(edit: Doc, doc: Doc) -> Doc:
    """`doc` (the caller's copy, changed in place) after `edit`; `InvalidInput` for an unknown kind."""
    apply = _APPLY.get(edit.get("kind", ""))
    if apply is None:
        raise InvalidInput(f"kind: {edit.get('kind')!r} is not a kind of change; use one of {', '.join(KINDS)}")
    return apply(edit, doc)


def action_of(edit: Doc) -> str:
    """The audit action of an edit's write (`update`, `override`, `toggle`, `enable`, ...)."""
    if edit["kind"] == "enable":
        return "enable" if edit["enabled"] else "disable"
    return _ACTIONS[edit["kind"]]
