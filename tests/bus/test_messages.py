"""The change message: what replicas tell each other."""

from __future__ import annotations

import pytest

from vexil.bus.base import MAX_PAYLOAD, Message, decode, encode
from vexil.bus.postgres import asyncpg_dsn


def test_encode_decode__round_trip() -> None:
    message = Message("r1", {"a": (3, "2026-01-01T00:00:00.000000Z"), "b": None}, segments=True, tokens=True)
    assert decode(encode(message)) == message


def test_encode__over_the_notify_limit__becomes_a_full_resync() -> None:
    # Given a change naming more flags than a NOTIFY payload holds
    flags = {f"flag_{i:05d}": (1, "2026-01-01T00:00:00.000000Z") for i in range(500)}
    # When encoded
    payload = encode(Message("r1", flags))
    # Then it fits, and asks for everything
    assert len(payload) <= MAX_PAYLOAD
    assert decode(payload) == Message("r1", {}, everything=True)


@pytest.mark.parametrize(
    "payload",
    [b"", b"hello", b"[]", b'{"v": 2, "origin": "x"}', b'{"v": 1}', b'{"v": 1, "origin": "x", "flags": [1]}'],
)
def test_decode__not_a_change_message__value_error(payload: bytes) -> None:
    with pytest.raises(ValueError):
        decode(payload)


def test_asyncpg_dsn__sqlalchemy_url__plain_postgresql_dsn_with_password() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p%40ss@db:5433/vexil?ssl=require") == (
        "postgresql://u:p%40ss@db:5433/vexil?ssl=require"
    )
