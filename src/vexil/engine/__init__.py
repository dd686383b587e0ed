"""Vexil's evaluation engine: pure, synchronous, no I/O; compile flag documents once, evaluate fast.

>>> from vexil.engine import Snapshot
>>> snapshot = Snapshot(flags=[{"name": "new_checkout", "enabled": True, "rollout_percentage": 50}])
>>> snapshot.evaluate("new_checkout", {"identifier": "user-1"}).reason in ("rollout_included", "rollout_excluded")
True

See docs/spec.md §1-§2 for the semantics and docs/model.md for the documents. Decisions those
leave open, which SDKs must reproduce (tests/cases/*.json pins them down):

- A JSON ``null`` in the context is an absent value (``exists`` is false, ``neq`` true).
- ``neq``, ``not_in``, ``not_contains``, ``not_exists``, ``not_in_segment`` are exactly ``not`` of
  their positive operator, so a wrong-typed value makes them true (and a missing one, as specified).
  An invalid condition is false for every operator, complements included, before ``negate``.
- ``eq``/``in`` with a numeric condition value also read numeric strings (``"30"`` equals ``30``).
- The identifier is a non-empty string, or an integer read as its decimal text; anything else
  (``true``, ``""``, lists) is no identifier, so rollouts and splits draw at random.
- A segment with an empty condition list contains everyone (as a rule without conditions matches
  everyone); an unknown segment, or one whose conditions are not a list, contains no one.
- A prerequisite's ``variants: []`` means any variant, like ``null``. Chains deeper than
  ``MAX_PREREQUISITE_DEPTH`` (100) are treated as cycles: ``prerequisite_failed``.
- Bad stored data fails closed: an unreadable ``rollout_percentage`` includes no one, a non-boolean
  ``enabled`` is off, a rule or allowlist entry naming an unknown variant never decides. An
  override key set to ``null`` inherits the flag's own value.
- Evaluations and their payloads are shared between calls: never mutate them.
"""

from __future__ import annotations

from vexil.engine._matchers import show_value
from vexil.engine.bucketing import BUCKETS, VARIANT_SEED, bucket, variant_hash
from vexil.engine.compile import BOOLEAN_VARIANTS, CompiledConfig, CompiledFlag, CompiledRule, Variant, compile_flag
from vexil.engine.evaluate import MAX_PREREQUISITE_DEPTH, identifier_of
from vexil.engine.operators import (
    LIST_OPERATORS,
    NO_VALUE_OPERATORS,
    OPERATOR_SPECS,
    OPERATORS,
    SEGMENT_OPERATORS,
    InvalidConditionError,
    OperatorSpec,
    compile_condition,
    compile_conditions,
    condition_error,
)
from vexil.engine.snapshot import Snapshot
from vexil.engine.types import (
    COARSE_REASONS,
    DRAWN_REASONS,
    OPENFEATURE_REASONS,
    Context,
    Evaluation,
    FlagDoc,
    Matcher,
    OpenFeatureReason,
    Operator,
    Reads,
    Reason,
    Takes,
)

__all__ = [
    "BOOLEAN_VARIANTS",
    "BUCKETS",
    "COARSE_REASONS",
    "DRAWN_REASONS",
    "LIST_OPERATORS",
    "MAX_PREREQUISITE_DEPTH",
    "NO_VALUE_OPERATORS",
    "OPENFEATURE_REASONS",
    "OPERATORS",
    "OPERATOR_SPECS",
    "SEGMENT_OPERATORS",
    "VARIANT_SEED",
    "CompiledConfig",
    "CompiledFlag",
    "CompiledRule",
    "Context",
    "Evaluation",
    "FlagDoc",
    "InvalidConditionError",
    "Matcher",
    "OpenFeatureReason",
    "Operator",
    "OperatorSpec",
    "Reads",
    "Reason",
    "Snapshot",
    "Takes",
    "Variant",
    "bucket",
    "compile_condition",
    "compile_conditions",
    "compile_flag",
    "condition_error",
    "identifier_of",
    "show_value",
    "variant_hash",
]
