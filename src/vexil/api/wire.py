"""Evaluation results as the bytes client surfaces send.

Results are shared, immutable engine objects (a compiled flag prebuilds the few it can return), so
each one's encoding is made once, on first use, and kept in its `wire` slot: answering is then a
join of ready fragments, whatever the payloads hold.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from vexil.engine import Evaluation


def _encode(result: Evaluation) -> tuple[bytes, bytes]:
    inner = orjson.dumps(result.client_dict())[1:-1]
    name = orjson.dumps(result.flag)
    encoded = (b"{" + inner + b',"flag":' + name + b"}", name + b":{" + inner + b"}")
    object.__setattr__(result, "wire", encoded)
    return encoded


def client_single(result: Evaluation) -> bytes:
    """`{"active", "variant", "payload", "reason", "flag"}`."""
    encoded = result.wire
    return (encoded or _encode(result))[0]


def client_bulk(results: Iterable[Evaluation]) -> bytes:
    """`{"flags": {name: {"active", "variant", "payload", "reason"}, ...}}`."""
    return b'{"flags":{' + b",".join([(r.wire or _encode(r))[1] for r in results]) + b"}}"
