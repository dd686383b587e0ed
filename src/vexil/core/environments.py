"""Environments as first-class objects: compare two of them, promote one's configuration to another,
and the rules of deleting one (docs/environments.md).

Two environments of a flag differ only through their overrides (everything else of a flag is
shared), so comparing them is comparing what each evaluates (`core/protection.py` `evaluated_in`),
and promoting a flag from `A` to `B` makes `B`'s override the same as `A`'s: copied field by field
(a field `A` inherits, `B` inherits too), or removed where `A` has none. A promotion is a list of
edits (`core/edits.py`), so it applies in one transaction (`FlagService.write_flags`), or waits in
one change request where the target is protected and the caller may not bypass it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vexil.core.auth import Principal
from vexil.core.change_requests import diff
from vexil.core.protection import evaluated_in, may_bypass, protected
from vexil.core.service import FlagService
from vexil.core.validation import InvalidInput
from vexil.engine import Evaluation
from vexil.store import OVERRIDE_KEYS, Conflict, check_known

__all__ = ["check_deletable", "compare", "differences", "promote", "promotion", "unknown_environment"]

Doc = dict[str, Any]


def differences(doc: Mapping[str, Any], source: str, target: str) -> list[Doc]:
    """What `doc` evaluates differently in `target` than in `source`: `[{"path", "from", "to"}]`."""
    return [
        {"path": change["path"], "from": change["before"], "to": change["after"]}
        for change in diff(evaluated_in(doc, source), evaluated_in(doc, target))
    ]


def compare(docs: Iterable[Mapping[str, Any]], source: str, target: str) -> list[Doc]:
    """Flag by flag (archived ones left out: they evaluate nowhere), what differs between two
    environments: `[{"flag", "differences"}]`, only the flags that differ. Pure."""
    found = []
    for doc in docs:
        if doc.get("archived"):
            continue
        changes = differences(doc, source, target)
        if changes:
            found.append({"flag": doc["name"], "differences": changes})
    return found


def promotion(docs: Iterable[Mapping[str, Any]], source: str, target: str) -> list[Doc]:
    """The edits that make each flag of `docs` evaluate in `target` as it does in `source` (none for
    a flag that already does), each made against the flag's version. Pure."""
    edits = []
    for doc in docs:
        if not differences(doc, source, target):
            continue
        override = doc["environments"].get(source)
        edit: Doc = (
            {"kind": "remove_override", "flag": doc["name"], "environment": target}
            if override is None
            else {
                "kind": "override",
                "flag": doc["name"],
                "environment": target,
                "fields": {key: override.get(key) for key in OVERRIDE_KEYS},
            }
        )
        edits.append({**edit, "version": doc["version"]})
    return edits


def _pair(known: list[str], source: str, target: str) -> None:
    check_known([source, target], known)
    if source == target:
        raise InvalidInput(f"to: {target!r} is the environment to compare with itself; name two environments")


async def compare_environments(service: FlagService, source: str, target: str) -> Doc:
    """`GET /environments/compare`: `{"from", "to", "flags": [{"flag", "differences"}]}`."""
    _pair([env["name"] for env in await service.store.list_environments()], source, target)
    return {"from": source, "to": target, "flags": compare(await service.store.list_flags(), source, target)}


async def promote(
    service: FlagService, source: str, target: str, flags: list[str] | None, *, principal: Principal
) -> tuple[Doc | None, Doc | None]:
    """Copy the configuration of `flags` (None: every flag not archived) from `source` to `target`,
    all or nothing: `(the promotion, None)`, or `(None, the change request holding it)` where
    `target` is protected and `principal` may not bypass it. A flag that does not exist is refused
    (400) before anything changes."""
    environments = await service.store.list_environments()
    _pair([env["name"] for env in environments], source, target)
    docs = {doc["name"]: doc for doc in await service.store.list_flags()}
    if flags is None:
        chosen = [doc for doc in docs.values() if not doc["archived"]]
    else:
        missing = [name for name in flags if name not in docs]
        if missing:
            raise InvalidInput(f"flags: {', '.join(map(repr, missing))} not found; nothing was promoted")
        chosen = [docs[name] for name in dict.fromkeys(flags)]
    changes = promotion(chosen, source, target)
    promoted = {"from": source, "to": target, "flags": [change["flag"] for change in changes]}
    if not changes:
        return promoted, None
    if target in protected(environments) and not may_bypass(principal):
        title = f"Promote {len(changes)} flag{'s' if len(changes) > 1 else ''} from {source} to {target}"
        return None, await service.create_change_request(title, changes, actor=principal.name)
    await service.write_flags([{k: v for k, v in c.items() if k != "version"} for c in changes], actor=principal.name)
    return promoted, None


def check_deletable(usage: Mapping[str, Any], confirm: str | None) -> None:
    """Refuse to delete an environment that is protected, still has tokens bound to it, or was not
    confirmed by its name (`confirm`); the message names what would go."""
    name = usage["name"]
    if usage["protected"]:
        raise Conflict(f"environment {name!r} is protected: unprotect it first, then delete it")
    if usage["tokens"]:
        tokens = ", ".join(usage["tokens"])
        raise Conflict(f"environment {name!r} has tokens bound to it ({tokens}): revoke them first, then delete it")
    if confirm != name:
        flags = usage["flags"]
        going = f"its overrides in {len(flags)} flag{'s' if len(flags) != 1 else ''} ({', '.join(flags)})"
        raise InvalidInput(
            f"confirm: deleting environment {name!r} also deletes "
            f"{going if flags else 'nothing else (no flag overrides it)'}; give confirm={name} to delete it"
        )


async def explained(service: FlagService, result: Evaluation, environment: Any) -> Doc:
    """What people's surfaces (the playground) show of `result`: the admin view, naming the deciding
    rule, with `details` when the context named an environment that does not exist."""
    shown = result.admin_dict()
    details = await unknown_environment(service, result.flag, environment)
    if details is not None:
        shown["details"] = details
    return shown


async def unknown_environment(service: FlagService, flag: str, environment: Any) -> Doc | None:
    """The `details` of an evaluation on people's surfaces (the playground) that named an environment
    which does not exist: the flag's own configuration was used, as the seed service does. None when
    the environment exists (or none was named)."""
    if not isinstance(environment, str):
        return None
    doc = service.snapshot.get_doc(flag)
    if doc is not None and environment in doc.get("environments", {}):
        return None
    known = [env["name"] for env in await service.store.list_environments()]
    if environment in known:
        return None
    return {
        "unknown_environment": environment,
        "message": f"there is no environment {environment!r} (there are: {', '.join(known)}): "
        "the flag's own configuration was used",
    }
