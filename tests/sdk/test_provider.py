"""`VexilProvider` through the OpenFeature client API (`api.set_provider`, `api.get_client()`), over clients
fed by the fake service (tests/sdk/fakes.py) and, for configuration changes, by a real server."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.provider import ProviderStatus

from tests.sdk.conftest import Vexil
from tests.sdk.fakes import END, FAST, FakeVexil, flag, sse, wait_for
from vexil.sdk import AsyncClient, Client
from vexil.sdk.provider import VexilProvider, vexil_context

DOMAINS = count()
LIMITS = flag(
    "limits",
    variants=[
        {"name": "small", "payload": 10, "weight": 0},
        {"name": "large", "payload": 50, "weight": 1},
        {"name": "ratio", "payload": 0.5, "weight": 0},
        {"name": "config", "payload": {"retries": 3}, "weight": 0},
        {"name": "words", "payload": "many", "weight": 0},
        {"name": "bare", "weight": 0},
    ],
    default_variant="small",
    allowlist={"s": "small", "r": "ratio", "c": "config", "w": "words", "b": "bare"},
)
FLAGS = [
    flag("beta"),
    flag("off", enabled=False),
    LIMITS,
    flag("half", rollout_percentage=50),
    flag("vip_only", rollout_percentage=0, allowlist={"vip": "on"}),
    flag("web_only", apps=["web"]),
    flag(
        "launch",
        rollout_percentage=0,
        rules=[
            {"conditions": [{"field": "signup", "operator": "after", "value": "2026-01-01T00:00:00Z"}], "serve": "on"}
        ],
    ),
    flag(
        "targeted", rollout_percentage=0, rules=[{"conditions": [{"field": "plan", "operator": "eq", "value": "pro"}]}]
    ),
]


class Events:
    """OpenFeature events received by one client's handlers (they run in OpenFeature's threads)."""

    def __init__(self, client: OpenFeatureClient) -> None:
        self.received: list[tuple[ProviderEvent, EventDetails]] = []
        self._lock = threading.Lock()
        for event in ProviderEvent:
            client.add_handler(event, self._handler(event))

    def _handler(self, event: ProviderEvent) -> Callable[[EventDetails], None]:
        def add(details: EventDetails) -> None:
            with self._lock:
                self.received.append((event, details))

        return add

    def of(self, event: ProviderEvent) -> list[EventDetails]:
        with self._lock:
            return [details for kind, details in self.received if kind is event]


@pytest.fixture
def fake() -> Iterator[FakeVexil]:
    service = FakeVexil(FLAGS)
    yield service
    service.closed.set()


@pytest.fixture
def domain() -> Iterator[str]:
    yield f"vexil-test-{next(DOMAINS)}"
    api.clear_providers()


def local(fake: FakeVexil) -> Client:
    client = Client(
        "http://vexil", token="t", mode="local", options=dataclasses.replace(FAST, transport=fake.sync_transport())
    )
    fake.end_streams_on_close(client)
    return client


@pytest.fixture
def flags(fake: FakeVexil, domain: str) -> Iterator[OpenFeatureClient]:
    """An OpenFeature client whose provider is Vexil over a local client of the fake service."""
    client = local(fake)
    api.set_provider_and_wait(VexilProvider(client), domain)
    yield api.get_client(domain)
    client.close()


# --- values, reasons and error codes ---------------------------------------------------------------


def test_provider__boolean_and_string__active_variant_and_mapped_reasons(flags: OpenFeatureClient) -> None:
    # When
    beta = flags.get_boolean_details("beta", False)
    off = flags.get_boolean_details("off", True)
    vip = flags.get_string_details("vip_only", "fallback", EvaluationContext("vip"))
    rule = flags.get_boolean_details("targeted", False, EvaluationContext("u", {"plan": "pro"}))
    # Then
    assert (beta.value, beta.variant, beta.reason, beta.error_code) == (True, "on", "STATIC", None)
    assert (off.value, off.variant, off.reason) == (False, "off", "DISABLED")
    assert (vip.value, vip.reason, vip.flag_metadata) == ("on", "TARGETING_MATCH", {"reason": "allowlist"})
    assert (rule.value, rule.reason, rule.flag_metadata) == (
        True,
        "TARGETING_MATCH",
        {"reason": "rule_match", "rule": 0},
    )
    assert api.get_provider_metadata(flags.domain).name == "Vexil"


def test_provider__numbers_and_objects__from_payloads(flags: OpenFeatureClient) -> None:
    # When
    default_limit = flags.get_integer_details("limits", 1, EvaluationContext("s"))
    large = flags.get_integer_details("limits", 1, EvaluationContext("u"))
    as_float = flags.get_float_details("limits", 1.0, EvaluationContext("s"))
    ratio = flags.get_float_details("limits", 1.0, EvaluationContext("r"))
    config = flags.get_object_details("limits", {}, EvaluationContext("c"))
    # Then
    assert (default_limit.value, default_limit.variant) == (10, "small")
    assert (large.value, large.variant) == (50, "large")
    assert as_float.value == 10.0 and isinstance(as_float.value, float)
    assert ratio.value == 0.5
    assert (config.value, config.reason) == ({"retries": 3}, "TARGETING_MATCH")


@pytest.mark.parametrize(
    ("kind", "default", "identifier"),
    [("integer", 1, "r"), ("integer", 1, "w"), ("float", 1.0, "c"), ("object", {"d": 1}, "w"), ("object", [1], "r")],
)
def test_provider__payload_of_another_type__type_mismatch_and_default(
    flags: OpenFeatureClient, kind: str, default: Any, identifier: str
) -> None:
    # When
    details = getattr(flags, f"get_{kind}_details")("limits", default, EvaluationContext(identifier))
    # Then
    assert (details.value, details.reason, details.error_code) == (default, "ERROR", ErrorCode.TYPE_MISMATCH)


def test_provider__variant_without_payload__default_without_error(flags: OpenFeatureClient) -> None:
    # When
    details = flags.get_integer_details("limits", 7, EvaluationContext("b"))
    # Then
    assert (details.value, details.variant, details.reason, details.error_code) == (7, "bare", "TARGETING_MATCH", None)


def test_provider__unknown_flag__flag_not_found(flags: OpenFeatureClient) -> None:
    # When
    details = flags.get_boolean_details("nope", True)
    # Then
    assert (details.value, details.reason, details.error_code) == (True, "ERROR", ErrorCode.FLAG_NOT_FOUND)


def test_provider__rollout_without_targeting_key__targeting_key_missing(flags: OpenFeatureClient) -> None:
    # When
    without = flags.get_boolean_details("half", True)
    empty = flags.get_boolean_details("half", True, EvaluationContext(""))
    with_key = flags.get_boolean_details("half", True, EvaluationContext("user-1"))
    # And: answers that need no identifier are served without one
    everyone = flags.get_boolean_details("beta", False)
    allowlist_only = flags.get_boolean_details("vip_only", True)
    # Then
    assert (without.value, without.error_code) == (True, ErrorCode.TARGETING_KEY_MISSING)
    assert empty.error_code is ErrorCode.TARGETING_KEY_MISSING
    assert (with_key.reason, with_key.error_code) == ("SPLIT", None)
    assert everyone.error_code is None
    # a 0 % rollout is a rollout too: without a key the caller's default is answered
    assert (allowlist_only.value, allowlist_only.error_code) == (True, ErrorCode.TARGETING_KEY_MISSING)


def test_provider__context_attributes__environment_app_and_datetimes_mapped(flags: OpenFeatureClient) -> None:
    # When
    web = flags.get_boolean_details("web_only", False, EvaluationContext("u", {"app": "web"}))
    api_app = flags.get_boolean_details("web_only", False, EvaluationContext("u", {"app": "api"}))
    launched = flags.get_boolean_details(
        "launch", False, EvaluationContext("u", {"signup": datetime(2026, 5, 1, tzinfo=UTC)})
    )
    # Then
    assert (web.value, web.reason) == (True, "STATIC")
    assert (api_app.value, api_app.flag_metadata["reason"]) == (False, "app_not_scoped")
    assert (launched.value, launched.reason) == (True, "TARGETING_MATCH")
    assert vexil_context(EvaluationContext("u", {"environment": "production", "plan": "pro", "tags": ("a",)})) == {
        "environment": "production",
        "identifier": "u",
        "attributes": {"plan": "pro", "tags": ["a"]},
    }
    assert vexil_context(None) == {}


# --- events ----------------------------------------------------------------------------------------


def test_provider__flags_changed__configuration_changed_event(fake: FakeVexil, flags: OpenFeatureClient) -> None:
    # Given
    events = Events(flags)
    # When
    fake.push(sse("flags", {"flags": {"beta": flag("beta", enabled=False)}, "segments": None}, "e-2"))
    # Then
    assert wait_for(lambda: bool(events.of(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)))
    assert events.of(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)[0].flags_changed == ["beta"]
    assert flags.get_boolean_value("beta", True) is False


def test_provider__connection_lost_and_back__stale_then_ready(fake: FakeVexil, flags: OpenFeatureClient) -> None:
    # Given
    events = Events(flags)
    assert wait_for(lambda: flags.get_provider_status() is ProviderStatus.READY)
    # When
    fake.down = True
    fake.push(END)
    # Then
    assert wait_for(lambda: flags.get_provider_status() is ProviderStatus.STALE)
    assert flags.get_boolean_value("beta", False) is True  # the last configuration
    fake.down = False
    assert wait_for(lambda: flags.get_provider_status() is ProviderStatus.READY)
    assert wait_for(lambda: len(events.of(ProviderEvent.PROVIDER_READY)) >= 2)  # once on attach, once back
    assert wait_for(lambda: bool(events.of(ProviderEvent.PROVIDER_STALE)))


def test_provider__no_configuration_in_time__error_then_ready_when_it_arrives(fake: FakeVexil, domain: str) -> None:
    # Given
    fake.down = True
    client = local(fake)
    try:
        api.set_provider(VexilProvider(client, ready_timeout=0.2), domain)
        flags = api.get_client(domain)
        # When
        assert wait_for(lambda: flags.get_provider_status() is ProviderStatus.ERROR)
        details = flags.get_boolean_details("beta", True)
        # Then
        assert (details.value, details.error_code) == (True, ErrorCode.PROVIDER_NOT_READY)
        events = Events(flags)
        fake.down = False
        assert wait_for(lambda: flags.get_provider_status() is ProviderStatus.READY)
        assert wait_for(lambda: bool(events.of(ProviderEvent.PROVIDER_READY)))  # handlers run in OpenFeature's pool
        assert flags.get_boolean_value("beta", False) is True
    finally:
        client.close()


# --- clients and async resolution ------------------------------------------------------------------


async def test_provider__async_local_client__native_async_and_sync_resolution(fake: FakeVexil, domain: str) -> None:
    # Given
    options = dataclasses.replace(FAST, transport=fake.async_transport())
    async with AsyncClient("http://vexil", token="t", mode="local", options=options) as client:
        fake.end_streams_on_close(client)
        assert await client.wait_until_ready(3)
        api.set_provider(VexilProvider(client), domain)
        flags = api.get_client(domain)
        assert await _until(lambda: flags.get_provider_status() is ProviderStatus.READY)
        # When
        large = await flags.get_integer_details_async("limits", 0, EvaluationContext("u"))
        sync = flags.get_string_value("limits", "", EvaluationContext("u"))
        # Then
        assert (large.value, large.variant) == (50, "large")
        assert sync == "large"


async def test_provider__remote_clients__async_native_and_sync_from_a_thread(fake: FakeVexil, domain: str) -> None:
    # Given
    sync_client = Client("http://vexil", options=dataclasses.replace(FAST, transport=fake.sync_transport()))
    async_client = AsyncClient("http://vexil", options=dataclasses.replace(FAST, transport=fake.async_transport()))
    try:
        api.set_provider(VexilProvider(sync_client, async_client=async_client), domain)
        api.set_provider(VexilProvider(async_client), domain + "-async-only")
        api.set_provider(VexilProvider(sync_client), domain + "-sync-only")
        both, async_only, sync_only = (
            api.get_client(d) for d in (domain, domain + "-async-only", domain + "-sync-only")
        )
        assert await _until(
            lambda: all(c.get_provider_status() is ProviderStatus.READY for c in (both, async_only, sync_only))
        )
        # When
        requests_before = len(fake.requests)
        native = await both.get_boolean_details_async("beta", False)
        threaded = await sync_only.get_boolean_details_async("beta", False)
        sync = both.get_boolean_details("beta", False)
        cannot = async_only.get_boolean_details("beta", False)
        # Then
        assert (native.value, threaded.value, sync.value) == (True, True, True)
        assert len(fake.requests) == requests_before + 3
        assert (cannot.value, cannot.error_code) == (False, ErrorCode.GENERAL)
    finally:
        sync_client.close()
        await async_client.close()


async def _until(predicate: Any, timeout: float = 3.0) -> bool:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return bool(predicate())


# --- against a real server -------------------------------------------------------------------------


@pytest.mark.slow
def test_provider__flag_changed_through_admin_api__configuration_changed_event(
    shared_vexil: Vexil, domain: str
) -> None:
    # Given
    shared_vexil.create_flag("of_live", enabled=True)
    client = Client(shared_vexil.url, token=shared_vexil.server_token, mode="local", options=FAST)
    try:
        api.set_provider_and_wait(VexilProvider(client), domain)
        flags = api.get_client(domain)
        events = Events(flags)
        assert flags.get_boolean_value("of_live", False) is True
        # When
        shared_vexil.toggle("of_live")
        # Then
        assert wait_for(lambda: bool(events.of(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)), 2.0)
        assert events.of(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED)[0].flags_changed == ["of_live"]
        details = flags.get_boolean_details("of_live", True)
        assert (details.value, details.variant, details.reason) == (False, "off", "DISABLED")
    finally:
        client.close()
