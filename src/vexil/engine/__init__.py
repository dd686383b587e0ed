"""Vexil's evaluation engine: pure, synchronous, no I/O; compile flag documents once, evaluate fast.

See PRODUCT.md §1-§2 for the semantics and docs/model.md for the documents.
"""

from __future__ import annotations

from vexil.engine.bucketing import BUCKETS, VARIANT_SEED, bucket, variant_hash
from vexil.engine.operators import OPERATORS, compile_condition, compile_conditions, condition_error
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
    "OPENFEATURE_REASONS",
    "OPERATORS",
    "VARIANT_SEED",
    "Context",
    "Evaluation",
    "FlagDoc",
    "Matcher",
    "OpenFeatureReason",
    "Operator",
    "Reason",
    "bucket",
    "compile_condition",
    "compile_conditions",
    "condition_error",
    "variant_hash",
]
