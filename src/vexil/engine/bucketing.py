"""Deterministic bucketing, as docs/spec.md §2 defines it.

Any SDK must reproduce these numbers exactly, and they are compatible with Unleash's: for a
whole percentage ``p``, ``bucket(salt, id) < p * 100`` holds exactly when Unleash's
``murmur3(salt + ":" + id) % 100 + 1 <= p`` does, so users who migrate keep their buckets.

>>> bucket("gr1", "123")
7211
>>> variant_hash("flag", "user-1") % 3 + 1
1
"""

from __future__ import annotations

import mmh3

__all__ = ["BUCKETS", "VARIANT_SEED", "bucket", "hash_key", "variant_hash"]

# A bucket is a number in 0..BUCKETS-1; a rollout of p percent includes buckets below round(p * 100).
BUCKETS = 10_000
# The seed of the weighted-split hash (Unleash's), so that a user's variant does not follow their bucket.
VARIANT_SEED = 86028157

_hash = mmh3.hash


def hash_key(key: str) -> str | bytes:
    """What to hand to ``mmh3.hash`` for ``key``: the string itself when plain ASCII.

    mmh3 encodes strings as UTF-8 itself, but a lone surrogate (which ``json.loads`` happily
    produces from ``"\\udcff"``) crashes the interpreter inside mmh3 5.3.1. Such strings are
    hashed as UTF-8 with each lone surrogate replaced by U+FFFD, as a browser's TextEncoder does.
    """
    if key.isascii():
        return key
    try:
        return key.encode()
    except UnicodeEncodeError:
        return key.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


def bucket(salt: str, identifier: str) -> int:
    """The rollout bucket of ``identifier`` for a flag salted ``salt``: a number in 0..9999."""
    h: int = _hash(hash_key(f"{salt}:{identifier}"), 0, False)
    # The low two decimal digits come first, so whole percentages match Unleash's `h % 100 + 1 <= p`.
    return h % 100 * 100 + h // 100 % 100


def variant_hash(salt: str, identifier: str) -> int:
    """The unsigned 32-bit hash that picks a variant: served is ``variant_hash % total_weight + 1``."""
    h: int = _hash(hash_key(f"{salt}:{identifier}"), VARIANT_SEED, False)
    return h
