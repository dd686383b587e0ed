"""Vexil's evaluation engine: pure, synchronous, no I/O; compile flag documents once, evaluate fast.

>>> from vexil.engine import Snapshot
>>> snapshot = Snapshot(flags=[{"name": "new_checkout", "enabled": True, "rollout_percentage": 50}])
>>> snapshot.evaluate("new_checkout", {"identifier": "user-1"}).reason in ("rollout_included", "rollout_excluded")
True

See PRODUCT.md §1-§2 for the semantics and docs/model.md for the documents.
"""

from __future__ import annotations

from vexil.engine.bucketing import BUCKETS, VARIANT_SEED, bucket, variant_hash
from vexil.engine.compile import CompiledConfig, CompiledFlag, CompiledRule, Variant, compile_flag
from vexil.engine.evaluate import MAX_PREREQUISITE_DEPTH, identifier_of
from vexil.engine.operators import OPERATORS, compile_condition, compile_conditions, condition_error
from vexil.engine.snapshot import Snapshot
from vexil.engine.types import (
    OPENFEATURE_REASONS,
    Context,
    Evaluation,
    FlagDoc,
    Matcher,
    OpenFeatureReason,
    Operator,
    Reason,
)

__all__ = [
    "BUCKETS",
    "MAX_PREREQUISITE_DEPTH",
    "OPENFEATURE_REASONS",
    "OPERATORS",
    "VARIANT_SEED",
    "CompiledConfig",
    "CompiledFlag",
    "CompiledRule",
    "Context",
    "Evaluation",
    "FlagDoc",
    "Matcher",
    "OpenFeatureReason",
    "Operator",
    "Reason",
    "Snapshot",
    "Variant",
    "bucket",
    "compile_condition",
    "compile_conditions",
    "compile_flag",
    "condition_error",
    "identifier_of",
    "variant_hash",
]
