"""Vexil's Python SDK: flag answers from a Vexil server, evaluated remotely or in process.

>>> from vexil.sdk import Client
>>> flags = Client("http://127.0.0.1:8000", token=SERVER_TOKEN, mode="local", environment="production")
>>> flags.wait_until_ready(5)
True
>>> flags.is_enabled("new_checkout", {"identifier": "user-1"})
True

`AsyncClient` is the same API for asyncio. The OpenFeature provider is `vexil.sdk.provider.VexilProvider`
(it needs the `openfeature` extra: `pip install "vexil-sdk[openfeature]"`).
"""

from __future__ import annotations

from vexil.sdk._base import ERROR, ErrorCode, Evaluation, Mode, Options, SyncState
from vexil.sdk.client import AsyncClient, Client
from vexil.sdk.errors import FlagServiceError, InvalidResponse, ResponseError, ServiceUnavailable, Unauthorized

__all__ = [
    "ERROR",
    "AsyncClient",
    "Client",
    "ErrorCode",
    "Evaluation",
    "FlagServiceError",
    "InvalidResponse",
    "Mode",
    "Options",
    "ResponseError",
    "ServiceUnavailable",
    "SyncState",
    "Unauthorized",
]
