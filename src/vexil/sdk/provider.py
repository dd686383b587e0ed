"""`VexilProvider`: Vexil behind the OpenFeature API (`pip install "vexil-sdk[openfeature]"`).

>>> from openfeature import api
>>> from openfeature.evaluation_context import EvaluationContext
>>> flags = Client(url, token=SERVER_TOKEN, mode="local", environment="production")
>>> api.set_provider(VexilProvider(flags))
>>> api.get_client().get_boolean_value("new_checkout", False, EvaluationContext("user-1", {"plan": "pro"}))
True

**Context.** `targeting_key` is the identifier; the attributes `environment` and `app` become
those context keys (over the client's defaults); every other attribute goes under `attributes`,
where conditions find it by name (`plan` or `attributes.plan`). Datetimes become ISO 8601 text.

**Values.** boolean: `active` (the served variant is not the default one); string: the variant's
name; integer, float, object: the variant's payload (float also takes an integer payload).
A payload of another type is `TYPE_MISMATCH`; a variant without a payload (`null`) resolves to
the caller's default with the flag's reason and variant, without an error: it carries no value.

**Reasons** as docs/spec.md §2 maps them (`vexil.engine.OPENFEATURE_REASONS`, which OFREP uses too);
the Vexil reason and, when a rule decided, its index are in `flag_metadata` (`reason`, `rule`).

**Error codes.** `FLAG_NOT_FOUND` for an unknown flag; `TYPE_MISMATCH` as above;
`TARGETING_KEY_MISSING` when the context has no targeting key (none, or empty) and the answer is a
percentage rollout's (`vexil.engine.DRAWN_REASONS`: `rollout_included`/`rollout_excluded`, OpenFeature's `SPLIT`):
without an identifier that answer is a random draw, different on every call, so the caller's
default is returned instead. Every other answer is served without a key, since it does not depend
on one (allowlists simply do not match), with one documented exception: a weighted split of
several variants served by a rule or at 100 % still draws at random without a key, as the engine
specifies. `PROVIDER_NOT_READY` before a local client's first configuration, `INVALID_CONTEXT`
for an environment a local client does not hold, `PARSE_ERROR` for an unreadable remote answer,
and `GENERAL` for the rest (service unreachable, token refused).

**Events.** `PROVIDER_READY` once the client has a configuration (`initialize` waits up to
`ready_timeout`, then fails with `PROVIDER_NOT_READY` and the provider reports `READY` later when it
arrives); `PROVIDER_CONFIGURATION_CHANGED` with `flags_changed` for every applied change;
`PROVIDER_STALE` when a local client loses the service but keeps its last configuration,
`PROVIDER_ERROR` when it has none; `PROVIDER_READY` again once it is back. Remote clients have no
connection to lose: they are ready from the start and report failures per evaluation.

**Clients.** Synchronous resolution uses `client` when it is a `Client`; asynchronous resolution
(`resolve_*_details_async`) uses `async_client` (or `client` when it is an `AsyncClient`) natively.
With a local client either path evaluates in process, without I/O, so one local client serves
both. A remote `Client` alone answers async calls from a worker thread, never blocking the loop; a
remote `AsyncClient` alone cannot answer synchronous calls (`GENERAL`). The provider does not own
the clients: `shutdown()` detaches it, and the caller closes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode as OpenFeatureErrorCode
from openfeature.exception import ProviderNotReadyError
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType
from openfeature.flag_evaluation import Reason as OpenFeatureReason
from openfeature.provider import AbstractProvider, Metadata

from vexil.engine import DRAWN_REASONS, OPENFEATURE_REASONS, Reason, identifier_of
from vexil.sdk._base import BaseClient, ErrorCode, Evaluation, SyncState
from vexil.sdk.client import AsyncClient, Client

__all__ = ["VexilProvider", "vexil_context"]

T = TypeVar("T")
ObjectValue = Sequence[FlagValueType] | Mapping[str, FlagValueType]

ERROR_CODES: Mapping[ErrorCode, OpenFeatureErrorCode] = {
    ErrorCode.FLAG_NOT_FOUND: OpenFeatureErrorCode.FLAG_NOT_FOUND,
    ErrorCode.NOT_READY: OpenFeatureErrorCode.PROVIDER_NOT_READY,
    ErrorCode.INVALID_CONTEXT: OpenFeatureErrorCode.INVALID_CONTEXT,
    ErrorCode.PARSE_ERROR: OpenFeatureErrorCode.PARSE_ERROR,
    ErrorCode.UNREACHABLE: OpenFeatureErrorCode.GENERAL,
    ErrorCode.UNAUTHORIZED: OpenFeatureErrorCode.GENERAL,
    ErrorCode.GENERAL: OpenFeatureErrorCode.GENERAL,
}
RESERVED_ATTRIBUTES = frozenset({"environment", "app"})

# Reads one value out of an evaluation: (value, None), or (None, a TYPE_MISMATCH message).
Extract = Callable[[Evaluation], tuple[Any, str | None]]


def vexil_context(context: EvaluationContext | None) -> dict[str, Any]:
    """An OpenFeature evaluation context as a Vexil context.

    >>> vexil_context(EvaluationContext("user-1", {"plan": "pro", "environment": "production"}))
    {'environment': 'production', 'identifier': 'user-1', 'attributes': {'plan': 'pro'}}
    """
    result: dict[str, Any] = {}
    if context is None:
        return result
    attributes: dict[str, Any] = {}
    for key, value in context.attributes.items():
        (result if key in RESERVED_ATTRIBUTES else attributes)[key] = _json(value)
    if context.targeting_key:
        result["identifier"] = context.targeting_key
    if attributes:
        result["attributes"] = attributes
    return result


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


class VexilProvider(AbstractProvider):
    """OpenFeature provider over a Vexil `Client` and/or `AsyncClient` (see the module docstring)."""

    def __init__(
        self,
        client: Client | AsyncClient,
        *,
        async_client: AsyncClient | None = None,
        ready_timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self.client: BaseClient = client
        self._sync = client if isinstance(client, Client) else None
        self._async = async_client if async_client is not None else client if isinstance(client, AsyncClient) else None
        self.ready_timeout = ready_timeout
        self._healthy: bool | None = None  # None until initialize() answered
        self._unsubscribe: list[Callable[[], None]] = []

    def get_metadata(self) -> Metadata:
        return Metadata(name="Vexil")

    # --- lifecycle and events --------------------------------------------------------------------

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Wait (in OpenFeature's thread) until the client has a configuration, up to `ready_timeout`.

        An `AsyncClient` must be started (`async with`, `start()`) by the application's event loop.
        """
        self._unsubscribe = [self.client.on_change(self._on_change), self.client.on_state(self._on_state)]
        if not self.client._ready.wait(self.ready_timeout):
            self._healthy = False
            raise ProviderNotReadyError(f"no flag configuration from {self.client.url} within {self.ready_timeout} s")
        if self._healthy is None:
            self._healthy = True

    def shutdown(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    def _on_change(self, names: frozenset[str]) -> None:
        self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=sorted(names)))

    def _on_state(self, state: SyncState) -> None:
        if state is SyncState.READY:
            if self._healthy is False:
                self._healthy = True
                self.emit_provider_ready(ProviderEventDetails(message="reconnected to the flag service"))
        elif state in (SyncState.STALE, SyncState.ERROR) and self._healthy is not False:
            self._healthy = False
            error = self.client.last_error
            message = f"lost the flag service: {error}" if error is not None else "lost the flag service"
            if state is SyncState.STALE:
                self.emit_provider_stale(ProviderEventDetails(message=message + "; serving the last configuration"))
            else:
                self.emit_provider_error(ProviderEventDetails(message=message, error_code=OpenFeatureErrorCode.GENERAL))

    # --- resolution ------------------------------------------------------------------------------

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return _details(self._evaluate(flag_key, evaluation_context), default_value, evaluation_context, _active)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return _details(self._evaluate(flag_key, evaluation_context), default_value, evaluation_context, _variant)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return _details(self._evaluate(flag_key, evaluation_context), default_value, evaluation_context, _integer)

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return _details(self._evaluate(flag_key, evaluation_context), default_value, evaluation_context, _float)

    def resolve_object_details(
        self, flag_key: str, default_value: ObjectValue, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[ObjectValue]:
        return _details(self._evaluate(flag_key, evaluation_context), default_value, evaluation_context, _object)

    async def resolve_boolean_details_async(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        result = await self._evaluate_async(flag_key, evaluation_context)
        return _details(result, default_value, evaluation_context, _active)

    async def resolve_string_details_async(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        result = await self._evaluate_async(flag_key, evaluation_context)
        return _details(result, default_value, evaluation_context, _variant)

    async def resolve_integer_details_async(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        result = await self._evaluate_async(flag_key, evaluation_context)
        return _details(result, default_value, evaluation_context, _integer)

    async def resolve_float_details_async(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        result = await self._evaluate_async(flag_key, evaluation_context)
        return _details(result, default_value, evaluation_context, _float)

    async def resolve_object_details_async(
        self, flag_key: str, default_value: ObjectValue, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[ObjectValue]:
        result = await self._evaluate_async(flag_key, evaluation_context)
        return _details(result, default_value, evaluation_context, _object)

    def _evaluate(self, name: str, context: EvaluationContext | None) -> Evaluation:
        try:
            vexil = vexil_context(context)
        except Exception as exc:  # the provider's outermost edge
            return self.client._failed(name, exc)
        if self._sync is not None:
            return self._sync.evaluate(name, vexil)
        if self.client.mode == "local":
            return self.client._local_evaluation(name, vexil)
        return Evaluation.error(name, ErrorCode.GENERAL, "a remote AsyncClient cannot answer synchronous calls")

    async def _evaluate_async(self, name: str, context: EvaluationContext | None) -> Evaluation:
        try:
            vexil = vexil_context(context)
        except Exception as exc:  # the provider's outermost edge
            return self.client._failed(name, exc)
        if self._async is not None:
            return await self._async.evaluate(name, vexil)
        assert self._sync is not None
        if self._sync.mode == "local":
            return self._sync.evaluate(name, vexil)  # in process, no I/O: nothing to wait for
        return await asyncio.to_thread(self._sync.evaluate, name, vexil)


def _details(
    result: Evaluation, default: T, context: EvaluationContext | None, extract: Extract
) -> FlagResolutionDetails[T]:
    if result.error_code is not None or result.reason == "error":
        code = ERROR_CODES.get(result.error_code or ErrorCode.GENERAL, OpenFeatureErrorCode.GENERAL)
        message = result.error_message or f"flag {result.flag!r} not found"
        return FlagResolutionDetails(default, code, message, OpenFeatureReason.ERROR)
    reason = result.reason
    assert isinstance(reason, Reason)
    if reason in DRAWN_REASONS and (context is None or identifier_of(context.targeting_key) is None):
        message = f"flag {result.flag!r} is a percentage rollout: it needs a targeting key"
        return FlagResolutionDetails(
            default, OpenFeatureErrorCode.TARGETING_KEY_MISSING, message, OpenFeatureReason.ERROR
        )
    value, mismatch = extract(result)
    if mismatch is not None:
        return FlagResolutionDetails(default, OpenFeatureErrorCode.TYPE_MISMATCH, mismatch, OpenFeatureReason.ERROR)
    metadata: dict[str, bool | int | float | str] = {"reason": reason.value}
    if result.rule is not None:
        metadata["rule"] = result.rule
    return FlagResolutionDetails(
        default if value is None else value,
        reason=OPENFEATURE_REASONS[reason].value,
        variant=result.variant,
        flag_metadata=metadata,
    )


def _active(result: Evaluation) -> tuple[Any, str | None]:
    return result.active, None


def _variant(result: Evaluation) -> tuple[Any, str | None]:
    return result.variant, None


def _integer(result: Evaluation) -> tuple[Any, str | None]:
    payload = result.payload
    if payload is None or (isinstance(payload, int) and not isinstance(payload, bool)):
        return payload, None
    return None, _mismatch(result, "an integer")


def _float(result: Evaluation) -> tuple[Any, str | None]:
    payload = result.payload
    if payload is None:
        return None, None
    if isinstance(payload, int | float) and not isinstance(payload, bool):
        return float(payload), None
    return None, _mismatch(result, "a number")


def _object(result: Evaluation) -> tuple[Any, str | None]:
    payload = result.payload
    if payload is None or isinstance(payload, dict | list):
        return payload, None
    return None, _mismatch(result, "an object or a list")


def _mismatch(result: Evaluation, wanted: str) -> str:
    kind = type(result.payload).__name__
    return f"variant {result.variant!r} of flag {result.flag!r} has a {kind} payload, not {wanted}"
