"""The SDK's public surface: what `vexil.sdk` and its public modules export."""

from __future__ import annotations

import types

import pytest

import vexil.sdk
import vexil.sdk.client
import vexil.sdk.errors
import vexil.sdk.provider

PUBLIC = {
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
}


def test_sdk_package__all__exactly_the_public_api() -> None:
    # When
    exported = set(vexil.sdk.__all__)
    # Then
    assert exported == PUBLIC
    assert all(hasattr(vexil.sdk, name) for name in exported)


@pytest.mark.parametrize("module", [vexil.sdk.client, vexil.sdk.errors, vexil.sdk.provider], ids=lambda m: m.__name__)
def test_sdk_modules__all__names_exist_and_are_defined_there(module: types.ModuleType) -> None:
    # When
    names = module.__all__
    # Then
    for name in names:
        assert getattr(module, name).__module__ == module.__name__, name


def test_sdk_errors__hierarchy__every_error_is_a_flag_service_error() -> None:
    # Then
    for name in ("ServiceUnavailable", "ResponseError", "Unauthorized", "InvalidResponse"):
        assert issubclass(getattr(vexil.sdk, name), vexil.sdk.FlagServiceError)
    assert issubclass(vexil.sdk.Unauthorized, vexil.sdk.ResponseError)
    assert issubclass(vexil.sdk.InvalidResponse, vexil.sdk.ResponseError)
