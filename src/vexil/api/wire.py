"""Evaluation results as the bytes client surfaces send.

Results are shared, immutable engine objects (a compiled flag prebuilds the few it can return), so
each one's encoding is made once, on first use, and kept in its `wire` slot: answering is then a
join of ready fragments, whatever the payloads hold. The slot holds both forms of the reason
(docs/spec.md §2, `VEXIL_CLIENT_REASONS`): the engine's, and the coarse one, which tells nothing of
allowlists or targeting; `coarse` picks one per call, so results shared by apps with different
settings still answer each as it is configured.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from vexil.engine import Evaluation

# Where each form is in the slot: (single, bulk entry) with the engine's reason, then the coarse.
_FULL, _COARSE = 0, 2


def _encode(result: Evaluation) -> tuple[bytes, bytes, bytes, bytes]:
    name = orjson.dumps(result.flag)
    forms: list[bytes] = []
    for coarse in (False, True):
        inner = orjson.dumps(result.client_dict(coarse))[1:-1]
        forms += (b"{" + inner + b',"flag":' + name + b"}", name + b":{" + inner + b"}")
    encoded = (forms[0], forms[1], forms[2], forms[3])
    object.__setattr__(result, "wire", encoded)
    return encoded


def client_single(result: Evaluation, coarse: bool = False) -> bytes:
    """`{"active", "variant", "payload", "reason", "flag"}`."""
    encoded = result.wire
    return (encoded or _encode(result))[_COARSE if coarse else _FULL]


def client_bulk(results: Iterable[Evaluation], coarse: bool = False) -> bytes:
    """`{"flags": {name: {"active", "variant", "payload", "reason"}, ...}}`."""
    at = _COARSE + 1 if coarse else _FULL + 1
    return b'{"flags":{' + b",".join([(r.wire or _encode(r))[at] for r in results]) + b"}}"
