"""``Snapshot``: every compiled flag and segment, answering evaluations from memory.

The server keeps one per process and upserts flags as they change; the SDK builds one from
the configuration feed. Writers replace whole entries, so a reader in another thread sees a
flag either before or after a change, never half of one.

>>> snapshot = Snapshot([{"name": "beta", "enabled": True}])
>>> snapshot.evaluate("beta", {"identifier": "u1"}).reason
<Reason.ENABLED: 'enabled'>
>>> snapshot.evaluate("nope", {}).reason
<Reason.FLAG_NOT_FOUND: 'flag_not_found'>
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vexil.engine.compile import CompiledFlag, compile_flag, flag_name, prerequisites_of
from vexil.engine.evaluate import MAX_PREREQUISITE_DEPTH, FlagRun, PrerequisiteCycleError, Resolve, flag_not_found
from vexil.engine.types import Context, Evaluation, FlagDoc

__all__ = ["Snapshot", "find_cycle"]

_EMPTY: dict[str, Any] = {}


def _as_context(context: Any) -> dict[str, Any]:
    """A plain dict for the matchers; anything that is not a mapping is an empty context."""
    if isinstance(context, Mapping):
        try:
            return dict(context)
        except (TypeError, ValueError, LookupError):
            return _EMPTY
    return _EMPTY


class Snapshot:
    """Compiled flags and segments; ``evaluate`` never raises, whatever the context holds."""

    def __init__(self, flags: Iterable[FlagDoc] = (), segments: Iterable[Mapping[str, Any]] = ()) -> None:
        self._segments: dict[str, Sequence[Mapping[str, Any]]] = _segment_map(segments)
        self._flags: dict[str, CompiledFlag] = {}
        self._runs: dict[str, FlagRun] = {}
        # (generation, runs sorted by name): `evaluate_all`'s order, valid while no write happened since.
        self._generation = 0
        self._ordered: tuple[int, list[tuple[str, FlagRun]]] | None = None
        self._with_prerequisites: set[str] = set()
        # Not a bound method of self: that would make every snapshot a reference cycle, freed only by
        # the cyclic collector's full scans instead of at once when the server replaces it.
        self._resolve: Resolve = _Resolver(self._runs)
        for doc in flags:
            self._store(compile_flag(doc, self._segments))

    # --- reading ---------------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self._flags

    def __len__(self) -> int:
        return len(self._flags)

    def names(self) -> list[str]:
        """Flag names, sorted."""
        return sorted(self._flags)

    def get_doc(self, name: str) -> FlagDoc | None:
        """The document the flag was compiled from, or ``None``."""
        flag = self._flags.get(name)
        return None if flag is None else flag.doc

    def get_compiled(self, name: str) -> CompiledFlag | None:
        return self._flags.get(name)

    def segment_names(self) -> list[str]:
        return sorted(self._segments)

    # --- writing ---------------------------------------------------------------------------------

    def upsert_flag(self, doc: FlagDoc) -> None:
        """Compile ``doc`` and add it, replacing the flag of the same name (``ValueError`` without a name)."""
        self._store(compile_flag(doc, self._segments))

    def compile(self, doc: FlagDoc) -> CompiledFlag:
        """``doc`` compiled with this snapshot's segments, not added: pure, so another thread may run it."""
        return compile_flag(doc, self._segments)

    def upsert_compiled(self, flags: Iterable[CompiledFlag]) -> None:
        """Add flags made by ``compile`` (with the segments held now), replacing those of the same names."""
        for flag in flags:
            self._store(flag)

    def remove_flag(self, name: str) -> bool:
        """Remove a flag; ``False`` if there was none."""
        if self._flags.pop(name, None) is None:
            return False
        self._runs.pop(name, None)
        self._with_prerequisites.discard(name)
        self._generation += 1
        return True

    def set_segments(self, segment_docs: Iterable[Mapping[str, Any]]) -> None:
        """Replace every segment, recompiling the flags that refer to one whose conditions changed."""
        new = _segment_map(segment_docs)
        changed = {name for name in self._segments.keys() | new.keys() if self._segments.get(name) != new.get(name)}
        self._segments = new
        for flag in list(self._flags.values()):
            if flag.segments & changed:
                self._store(compile_flag(flag.doc, new))

    def with_changes(
        self, flags: Mapping[str, FlagDoc | None], segments: Mapping[str, Mapping[str, Any] | None] | None = None
    ) -> Snapshot:
        """A new snapshot: this one with ``flags`` put in place (``None``: removed) and ``segments``
        put in place of those of the same names (``None``: removed). This one is left as it is; the
        compiled flags that no change touches are shared, so the cost is that of the changes (and of
        copying the name tables), not of compiling every flag again.
        """
        derived = Snapshot()
        derived._segments = dict(self._segments)
        derived._flags.update(self._flags)
        derived._runs.update(self._runs)  # the resolver reads this very dict
        derived._with_prerequisites.update(self._with_prerequisites)
        if segments:
            kept = [{"name": name, "conditions": conditions} for name, conditions in self._segments.items()]
            docs = [doc for doc in kept if doc["name"] not in segments]
            changed = [{**doc, "name": name} for name, doc in segments.items() if doc is not None]
            derived.set_segments([*docs, *changed])
        for name, doc in flags.items():
            if doc is None:
                derived.remove_flag(name)
            else:
                derived.upsert_flag(doc)
        return derived

    def _store(self, flag: CompiledFlag) -> None:
        self._flags[flag.name] = flag
        self._runs[flag.name] = flag.evaluate
        if flag.prerequisites:
            self._with_prerequisites.add(flag.name)
        else:
            self._with_prerequisites.discard(flag.name)
        self._generation += 1

    # --- evaluating ------------------------------------------------------------------------------

    def evaluate(self, name: str, context: Context) -> Evaluation:
        """Evaluate one flag for ``context`` (docs/spec.md §2)."""
        run = self._runs.get(name)
        if run is None:
            return flag_not_found(name)
        if context.__class__ is not dict:
            context = _as_context(context)
        try:
            return run(context, self._resolve, 0)
        except (PrerequisiteCycleError, RecursionError):
            return self._flags[name].prerequisite_failed

    def evaluate_all(self, context: Context) -> list[Evaluation]:
        """Evaluate every flag for one context, sorted by flag name."""
        cached = self._ordered
        if cached is not None and cached[0] == self._generation:
            ordered = cached[1]
        else:
            # Read before sorting: a reader in another thread never caches an order older than its tag.
            generation = self._generation
            ordered = sorted(self._runs.items())
            self._ordered = (generation, ordered)
        if context.__class__ is not dict:
            context = _as_context(context)
        if not self._with_prerequisites:
            # No flag consults another, so nothing to share and no cycle to catch.
            resolve = self._resolve
            return [run(context, resolve, 0) for _, run in ordered]
        return self._evaluate_in_order(ordered, context)

    def evaluate_many(self, names: Iterable[str], context: Context) -> list[Evaluation]:
        """Evaluate the named flags for one context, in the order given (unknown names: ``flag_not_found``)."""
        if context.__class__ is not dict:
            context = _as_context(context)
        runs = self._runs
        if not self._with_prerequisites:
            # As in evaluate_all: no flag consults another, so no memo and no cycle to catch.
            resolve = self._resolve
            return [
                flag_not_found(name) if (run := runs.get(name)) is None else run(context, resolve, 0) for name in names
            ]
        return self._evaluate_in_order([(name, runs.get(name)) for name in names], context)

    def _evaluate_in_order(self, ordered: Sequence[tuple[str, FlagRun | None]], context: Context) -> list[Evaluation]:
        # Within one call a prerequisite is evaluated once, so a random draw (no identifier) stays consistent.
        memo: dict[str, Evaluation] = {}
        resolve = self._memo_resolver(memo)
        results: list[Evaluation] = []
        append = results.append
        for name, run in ordered:
            result = memo.get(name)
            if result is None:
                if run is None:
                    result = flag_not_found(name)
                else:
                    try:
                        result = run(context, resolve, 0)
                    except (PrerequisiteCycleError, RecursionError):
                        result = self._flags[name].prerequisite_failed
                memo[name] = result
            append(result)
        return results

    def _memo_resolver(self, memo: dict[str, Evaluation]) -> Resolve:
        runs = self._runs

        def resolve(name: str, context: Context, depth: int) -> Evaluation:
            result = memo.get(name)
            if result is None:
                if depth > MAX_PREREQUISITE_DEPTH:
                    raise PrerequisiteCycleError(name)
                run = runs.get(name)
                result = flag_not_found(name) if run is None else run(context, resolve, depth)
                memo[name] = result
            return result

        return resolve

    # --- prerequisite graph ----------------------------------------------------------------------

    def prerequisite_cycle(self, doc: FlagDoc) -> list[str] | None:
        """The cycle that upserting ``doc`` would create, e.g. ``["a", "b", "a"]``, or ``None``."""
        name = flag_name(doc)
        edges = {other: [p[0] for p in flag.prerequisites] for other, flag in self._flags.items()}
        edges[name] = [p[0] for p in prerequisites_of(doc)]
        return _find_cycle(name, edges)

    def find_prerequisite_cycle(self) -> list[str] | None:
        """A cycle among the prerequisites of all the flags held, e.g. ``["a", "b", "a"]``, or ``None``.

        One graph and one depth-first search over every flag (time linear in flags and
        prerequisites): what an import checks once, where a check per flag would be quadratic.
        """
        return find_cycle({name: [p[0] for p in flag.prerequisites] for name, flag in self._flags.items()})


class _Resolver:
    """Evaluates a prerequisite for a flag being evaluated (`Resolve`), from the runs of one snapshot."""

    __slots__ = ("_runs",)

    def __init__(self, runs: Mapping[str, FlagRun]) -> None:
        self._runs = runs

    def __call__(self, name: str, context: Context, depth: int) -> Evaluation:
        if depth > MAX_PREREQUISITE_DEPTH:
            raise PrerequisiteCycleError(name)
        run = self._runs.get(name)
        return flag_not_found(name) if run is None else run(context, self, depth)


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """The first cycle of a directed graph, as a path that ends where it starts, or ``None``.

    >>> find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
    ['a', 'b', 'c', 'a']

    Nodes are visited in sorted order, and each node and edge once: a node whose every successor
    was explored without meeting the current path is never explored again.
    """
    done: set[str] = set()
    for root in sorted(edges):
        if root in done:
            continue
        path = [root]
        on_path = {root: 0}  # node -> its index in path
        stack = [iter(edges.get(root, ()))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                finished = path.pop()
                del on_path[finished]
                done.add(finished)
            elif following in on_path:
                return [*path[on_path[following] :], following]
            elif following not in done:
                on_path[following] = len(path)
                path.append(following)
                stack.append(iter(edges.get(following, ())))
    return None


def _find_cycle(start: str, edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A path from ``start`` back to ``start`` through ``edges``, by depth-first search."""
    path = [start]
    stack = [iter(edges.get(start, ()))]
    visited = {start}
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            path.pop()
        elif following == start:
            return [*path, start]
        elif following not in visited:
            visited.add(following)
            path.append(following)
            stack.append(iter(edges.get(following, ())))
    return None


def _segment_map(segment_docs: Iterable[Mapping[str, Any]]) -> dict[str, Sequence[Mapping[str, Any]]]:
    segments: dict[str, Sequence[Mapping[str, Any]]] = {}
    for segment in segment_docs:
        name = segment.get("name") if isinstance(segment, Mapping) else None
        conditions = segment.get("conditions") if isinstance(name, str) else None
        # Unreadable conditions: left out, and an unknown segment contains no one.
        if isinstance(name, str) and isinstance(conditions, list | tuple):
            segments[name] = conditions
    return segments
