"""The token cache: recently presented secrets are remembered, and forgotten at every token change."""

from __future__ import annotations

import pytest

from vexil.core.auth import RECENT, Role, TokenCache, Unauthenticated, hash_secret


def test_authenticate__again_after_revocation__refused() -> None:
    # Given a client token presented twice (the second time from the recent secrets)
    cache = TokenCache()
    cache.replace([(hash_secret("vx_one"), "one", "client", None)])
    assert cache.authenticate("vx_one") is cache.authenticate("vx_one")
    # When it is revoked (the cache is rebuilt without it)
    cache.replace([])
    # Then it is refused at once
    with pytest.raises(Unauthenticated):
        cache.authenticate("vx_one")


def test_authenticate__narrowed__new_role_at_once() -> None:
    cache = TokenCache()
    cache.replace([(hash_secret("vx_one"), "one", "server", None)])
    assert cache.authenticate("vx_one").role is Role.SERVER  # type: ignore[union-attr]
    cache.replace([(hash_secret("vx_one"), "one", "client", None)])
    assert cache.authenticate("vx_one").role is Role.CLIENT  # type: ignore[union-attr]


def test_authenticate__many_secrets__recent_ones_bounded() -> None:
    cache = TokenCache()
    secrets = [f"vx_{i}" for i in range(RECENT + 10)]
    cache.replace([(hash_secret(secret), f"t{i}", "client", None) for i, secret in enumerate(secrets)])
    for secret in secrets:
        cache.authenticate(secret)
    assert len(cache._recent) <= RECENT
    with pytest.raises(Unauthenticated):
        cache.authenticate("vx_wrong")
