"""Where a request's token is read from: the one reading for every route."""

from __future__ import annotations

import pytest

from vexil.api.credentials import token_from_headers


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], None),
        ([(b"authorization", b"Bearer vx_a")], "vx_a"),
        ([(b"authorization", b"bearer   vx_a  ")], "vx_a"),
        ([(b"x-api-key", b"vx_b")], "vx_b"),
        ([(b"x-admin-token", b"vx_c")], "vx_c"),
        ([(b"x-admin-token", b"vx_c"), (b"x-api-key", b"vx_b")], "vx_b"),
        ([(b"x-api-key", b"vx_b"), (b"authorization", b"Bearer vx_a")], "vx_a"),
        ([(b"authorization", b"Basic dXNlcjpwYXNz"), (b"x-api-key", b"vx_b")], "vx_b"),
        ([(b"authorization", b"Bearer "), (b"x-admin-token", b"vx_c")], "vx_c"),
        ([(b"x-api-key", b"vx_first"), (b"x-api-key", b"vx_second")], "vx_first"),
        # bare, as Unleash SDKs and OFREP examples send it
        ([(b"authorization", b"vx_bare")], "vx_bare"),
        ([(b"authorization", b" vx_bare "), (b"x-api-key", b"vx_b")], "vx_bare"),
        ([(b"authorization", b"Bearer"), (b"x-api-key", b"vx_b")], "vx_b"),
        ([(b"authorization", b""), (b"x-api-key", b"vx_b")], "vx_b"),
    ],
)
def test_token_from_headers__precedence__bearer_then_api_key_then_admin_token(
    headers: list[tuple[bytes, bytes]], expected: str | None
) -> None:
    assert token_from_headers(headers) == expected
