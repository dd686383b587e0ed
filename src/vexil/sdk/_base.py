"""What `Client` and `AsyncClient` share: everything but the I/O.

Options and contexts, the requests both send (docs/live.md), how answers are read, the feed
that local evaluation runs on, listeners, connection states and the backoff. The two shells in
`client.py` only send these requests and hand back what arrives, in a thread or in a task
(like httpx's `BaseClient` under `Client` and `AsyncClient`).
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx
import orjson

from vexil import __version__
from vexil.engine import Evaluation as EngineEvaluation
from vexil.engine import Reason, Snapshot
from vexil.engine.evaluate import FlagRun, Resolve
from vexil.sdk._feed import Feed, SseEvent, SseParser
from vexil.sdk._usage import EvaluationCounts, Key, metrics_bodies
from vexil.sdk.errors import (
    FlagServiceError,
    InvalidResponse,
    ResponseError,
    ServiceUnavailable,
    Unauthorized,
    check_status,
)

__all__ = [
    "ERROR",
    "BaseClient",
    "ChangeListener",
    "ErrorCode",
    "Evaluation",
    "Mode",
    "Options",
    "StateListener",
    "SyncState",
]

logger = logging.getLogger("vexil.sdk")

Mode = Literal["remote", "local"]
ERROR: Final = "error"
FLAG_NOT_FOUND: Final = Reason.FLAG_NOT_FOUND


class ErrorCode(StrEnum):
    """Why an `Evaluation` carries the caller's default instead of the flag's answer."""

    FLAG_NOT_FOUND = "flag_not_found"  # no such flag (the reason is `flag_not_found` too)
    NOT_READY = "not_ready"  # local evaluation before the first configuration arrived
    INVALID_CONTEXT = "invalid_context"  # e.g. another environment than a local client's
    UNREACHABLE = "unreachable"  # remote evaluation: no answer from the service
    UNAUTHORIZED = "unauthorized"  # remote evaluation: the service refused the token
    PARSE_ERROR = "parse_error"  # remote evaluation: an answer without the documented shape
    GENERAL = "general"  # anything else (logged with its traceback)


class SyncState(StrEnum):
    """Where a client stands with the service (remote clients are always `ready`)."""

    CONNECTING = "connecting"  # local: no configuration yet, no failure yet
    READY = "ready"  # local: configuration current and the change stream open
    STALE = "stale"  # local: connection lost; the last good configuration is served
    ERROR = "error"  # local: no configuration and the last attempt failed; defaults are served
    CLOSED = "closed"


ChangeListener = Callable[[frozenset[str]], object]
StateListener = Callable[[SyncState], object]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The full answer for one flag: the engine's result, or the reason it could not be had.

    `reason` is one of `vexil.engine.Reason` (docs/spec.md §2), or `"error"` with an `error_code`
    (and then `active` is false and `variant`/`payload` are `None`). An unknown flag answers
    reason `flag_not_found` with error code `flag_not_found`. `rule` is known in local
    evaluation and, remotely, with a server or admin token.
    """

    flag: str
    active: bool
    variant: str | None
    payload: Any
    reason: Reason | Literal["error"]
    rule: int | None = None
    error_code: ErrorCode | None = None
    error_message: str | None = None

    @classmethod
    def from_engine(cls, result: EngineEvaluation) -> Evaluation:
        code = ErrorCode.FLAG_NOT_FOUND if result.reason is FLAG_NOT_FOUND else None
        return cls(result.flag, result.active, result.variant, result.payload, result.reason, result.rule, code)

    @classmethod
    def error(cls, flag: str, code: ErrorCode, message: str) -> Evaluation:
        return cls(flag, False, None, None, ERROR, None, code, message)


@dataclass(frozen=True, slots=True)
class Options:
    """Tuning that most callers leave alone.

    `context` is a default context merged under every call's (attributes merged one level deep);
    `timeout` bounds each request; the change stream is reconnected when nothing, not even a
    heartbeat (every 15 s), arrived for `stream_idle_timeout`. Reconnection waits grow from
    `backoff_initial` to `backoff_max`, doubling, each with a random half taken off (jitter).
    `transport` replaces httpx's network transport (tests use `httpx.MockTransport`).

    A local client reports how often it evaluated each flag at most every `metrics_interval`
    seconds and on `close()` (docs/usage.md), or counts nothing when it is 0; `clock` (monotonic
    seconds) times those reports.
    """

    context: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 5.0
    stream_idle_timeout: float = 45.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
    metrics_interval: float = 60.0
    clock: Callable[[], float] = time.monotonic


class InvalidContext(Exception):
    """A context this client cannot evaluate (a caller's mistake, reported as `invalid_context`)."""


class BaseClient:
    """Configuration, local state and the non-I/O halves of every exchange with the service."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        mode: Mode,
        environment: str | None,
        app: str | None,
        options: Options | None,
    ) -> None:
        if mode not in ("remote", "local"):
            raise ValueError(f"mode must be 'remote' or 'local', not {mode!r}")
        if mode == "local" and not token:
            raise ValueError("local evaluation reads the flag configuration: it needs a server token")
        self.url = url.rstrip("/")
        self.mode: Mode = mode
        self.environment = environment
        self.options = options or Options()
        self._token = token
        defaults = dict(self.options.context)
        if environment is not None:
            defaults["environment"] = environment
        if app is not None:
            defaults["app"] = app
        self._defaults: dict[str, Any] = defaults
        self._default_attributes = defaults.get("attributes")
        # A local client holds one environment's overrides only (/sdk/config?environment=E).
        self._only_environment = environment if mode == "local" else None
        self._plain = not defaults
        self._feed = Feed()
        self._snapshot: Snapshot | None = None  # the feed's, once there is one: the hot path reads this
        # Flags without prerequisites, by name, to their compiled runs: `is_enabled` calls the run
        # itself, saving Snapshot.evaluate's extra call (see _fast_runs).
        self._runs: dict[str, FlagRun] = {}
        self._fallback: Resolve = self._resolve_prerequisite
        self._parser = SseParser()
        self._attempt = 0
        self._change_listeners: dict[int, ChangeListener] = {}
        self._state_listeners: dict[int, StateListener] = {}
        self._next_listener = 0
        self._state = SyncState.CONNECTING if mode == "local" else SyncState.READY
        self._ready = threading.Event()
        if mode == "remote":
            self._ready.set()
        self._warned_environments: set[str] = set()
        self.last_error: FlagServiceError | None = None
        # What a local client evaluated, for the server's usage counts; remote ones were counted there.
        interval = self.options.metrics_interval
        if interval < 0:
            raise ValueError("metrics_interval must be a number of seconds, or 0 to report nothing")
        self._counts = EvaluationCounts(interval, self.options.clock) if mode == "local" and interval else None
        self._instance = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.mode} {self.url} environment={self.environment!r} {self._state}>"

    # --- public state ----------------------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return self._state

    @property
    def is_ready(self) -> bool:
        """True once evaluations answer from the service (remote: always; local: a configuration arrived)."""
        return self._ready.is_set()

    @property
    def config_age(self) -> float | None:
        """Seconds since the service last confirmed the configuration held (local only; else `None`).

        Every event and heartbeat of the change stream confirms it, so while connected this stays
        under the heartbeat interval (15 s); it grows while the service cannot be reached.
        """
        confirmed = self._feed.confirmed_at
        return None if confirmed is None else time.monotonic() - confirmed

    def on_change(self, callback: ChangeListener) -> Callable[[], None]:
        """Call `callback(names)` with the flags whose answers may have changed; returns the unsubscriber.

        Local evaluation only. Called from the client's thread (`Client`) or in its event loop
        (`AsyncClient`), after the change is applied; what it raises is logged.
        """
        return self._subscribe(self._change_listeners, callback)

    def on_state(self, callback: StateListener) -> Callable[[], None]:
        """Call `callback(state)` whenever `state` changes; returns the unsubscriber."""
        return self._subscribe(self._state_listeners, callback)

    def _subscribe(self, listeners: dict[int, Any], callback: Any) -> Callable[[], None]:
        key = self._next_listener
        self._next_listener += 1
        listeners[key] = callback

        def unsubscribe() -> None:
            listeners.pop(key, None)

        return unsubscribe

    # --- contexts --------------------------------------------------------------------------------

    def _context(self, context: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if context is None:
            return self._defaults
        if self._plain:
            return context
        return self._merge(context)

    def _merge(self, context: Mapping[str, Any]) -> dict[str, Any]:
        if context.__class__ is not dict and not isinstance(context, Mapping):
            return self._defaults  # the engine reads a non-mapping as an empty context too
        merged = self._defaults.copy()
        merged.update(context)
        if self._default_attributes is not None:
            attributes = context.get("attributes")
            if isinstance(attributes, Mapping) and isinstance(self._default_attributes, Mapping):
                merged["attributes"] = {**self._default_attributes, **attributes}
        only = self._only_environment
        if only is not None and merged["environment"] != only:
            raise InvalidContext(f"this local client holds environment {only!r} only, not {merged['environment']!r}")
        return merged

    def _counted(self, context: Mapping[str, Any], result: EngineEvaluation) -> EngineEvaluation:
        """`result`, counted for the usage report (local mode; an unknown flag is not counted).
        `is_enabled` counts its fast path inline, as `EvaluationCounts.count` does."""
        counts = self._counts
        if counts is not None:
            counts.count(result, context if isinstance(context, Mapping) else {})
        return result

    def _resolve_prerequisite(self, name: str, context: Mapping[str, Any], depth: int) -> EngineEvaluation:
        """The `resolve` handed to runs of flags without prerequisites, which never call it."""
        snapshot = self._snapshot
        assert snapshot is not None
        return snapshot.evaluate(name, context)

    def _local_evaluation(self, name: str, context: Mapping[str, Any] | None) -> Evaluation:
        """`evaluate()` from the configuration held, without I/O (any mode; not ready without one)."""
        try:
            snapshot = self._snapshot
            if snapshot is None:
                return self._not_ready(name)
            merged = self._context(context)
            return Evaluation.from_engine(self._counted(merged, snapshot.evaluate(name, merged)))
        except Exception as exc:  # the SDK's outermost edge
            return self._failed(name, exc)

    def _not_ready(self, name: str) -> Evaluation:
        return Evaluation.error(name, ErrorCode.NOT_READY, "no flag configuration received yet")

    def _invalid_context(self, name: str, exc: InvalidContext) -> Evaluation:
        environment = str(exc)
        if environment not in self._warned_environments:  # once per message, not per call
            self._warned_environments.add(environment)
            logger.warning("%s", exc)
        return Evaluation.error(name, ErrorCode.INVALID_CONTEXT, str(exc))

    def _failed(self, name: str, exc: Exception) -> Evaluation:
        """The outermost edge: anything unexpected is logged and answered with the defaults."""
        if isinstance(exc, InvalidContext):
            return self._invalid_context(name, exc)
        logger.exception("evaluating flag %r failed; answering the default", name)
        return Evaluation.error(name, ErrorCode.GENERAL, f"{type(exc).__name__}: {exc}")

    # --- requests --------------------------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": f"vexil-python-sdk/{__version__}", **self.options.headers}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if extra:
            headers.update(extra)
        return headers

    def _evaluate_request(self, name: str, context: Mapping[str, Any]) -> httpx.Request:
        body = dict(context) if isinstance(context, Mapping) else {}
        identifier = body.get("identifier")
        if isinstance(identifier, int) and not isinstance(identifier, bool):
            body["identifier"] = str(identifier)  # what the engine reads an integer as; the API wants text
        return httpx.Request(
            "POST",
            f"{self.url}/flags/{quote(name, safe='')}/evaluate",
            content=orjson.dumps(body),
            headers=self._headers({"Content-Type": "application/json"}),
        )

    def _evaluation_from(self, name: str, response: httpx.Response) -> Evaluation:
        check_status(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise InvalidResponse("evaluation: not JSON", status_code=response.status_code) from exc
        return _parse_evaluation(name, body)

    def _evaluate_all_request(self, context: Mapping[str, Any]) -> httpx.Request:
        request = self._evaluate_request("", context)
        return httpx.Request("POST", f"{self.url}/evaluate", content=request.content, headers=request.headers)

    def _evaluations_from(self, response: httpx.Response) -> dict[str, Evaluation]:
        check_status(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise InvalidResponse("evaluate: not JSON", status_code=response.status_code) from exc
        flags = body.get("flags") if isinstance(body, dict) else None
        if not isinstance(flags, dict):
            raise InvalidResponse("evaluate: no `flags` object")
        return {name: _parse_evaluation(name, answer) for name, answer in flags.items()}

    def _remote_error(self, name: str, exc: FlagServiceError) -> Evaluation:
        self.last_error = exc
        logger.warning("remote evaluation of %r failed: %s", name, exc)
        if isinstance(exc, ServiceUnavailable):
            code = ErrorCode.UNREACHABLE
        elif isinstance(exc, Unauthorized):
            code = ErrorCode.UNAUTHORIZED
        elif isinstance(exc, InvalidResponse):
            code = ErrorCode.PARSE_ERROR
        else:
            code = ErrorCode.GENERAL
        return Evaluation.error(name, code, str(exc))

    def _local_evaluations(self, snapshot: Snapshot, context: Mapping[str, Any]) -> dict[str, Evaluation]:
        """`evaluate_all()` from the configuration held, each evaluation counted."""
        counted = self._counted
        return {e.flag: Evaluation.from_engine(counted(context, e)) for e in snapshot.evaluate_all(context)}

    def _metrics_reports(self) -> list[tuple[dict[Key, int], httpx.Request]]:
        """The usage reports due now (none in remote mode), each with the counts it carries."""
        counts = self._counts
        if counts is None:
            return []
        taken, start, stop = counts.take()
        headers = self._headers({"Content-Type": "application/json"})
        url = f"{self.url}/api/client/metrics"
        sdk = f"vexil-python-sdk:{__version__}"
        return [
            (group, httpx.Request("POST", url, content=orjson.dumps(body), headers=headers))
            for group, body in metrics_bodies(taken, start, stop, instance=self._instance, sdk=sdk)
        ]

    def _report_due(self) -> bool:
        return self._counts is not None and self._counts.due()

    def _report_failed(self, group: dict[Key, int], exc: FlagServiceError) -> None:
        """A report the server did not take: kept for the next one unless the server refused it."""
        assert self._counts is not None
        if isinstance(exc, ResponseError) and exc.status_code is not None and exc.status_code < 500:
            logger.warning("the usage report was refused, its counts dropped: %s", exc)
            return
        logger.info("the usage report could not be sent, keeping its counts for the next one: %s", exc)
        self._counts.give_back(group)

    def _config_request(self) -> httpx.Request:
        params = {} if self.environment is None else {"environment": self.environment}
        extra = {"Accept": "application/json"}
        if self._feed.etag is not None:
            extra["If-None-Match"] = self._feed.etag
        return httpx.Request("GET", f"{self.url}/sdk/config", params=params, headers=self._headers(extra))

    def _stream_request(self) -> httpx.Request:
        params = {} if self.environment is None else {"environment": self.environment}
        extra = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self._feed.event_id is not None:
            extra["Last-Event-ID"] = self._feed.event_id
        timeout = httpx.Timeout(self.options.timeout, read=self.options.stream_idle_timeout)
        return httpx.Request(
            "GET",
            f"{self.url}/sdk/stream",
            params=params,
            headers=self._headers(extra),
            extensions={"timeout": timeout.as_dict()},
        )

    # --- the feed --------------------------------------------------------------------------------

    def _on_config(self, response: httpx.Response) -> None:
        """A read `/sdk/config` response: 200 replaces the configuration, 304 confirms it."""
        body = self._config_body(response)
        if body is not None:
            self._config_applied(self._feed.apply_config(body, etag=response.headers.get("etag")))

    def _config_body(self, response: httpx.Response) -> bytes | None:
        """The configuration to apply, or `None` when a 304 confirmed the one held."""
        check_status(response, allowed=(200, 304))
        if response.status_code == 304 and self._feed.snapshot is not None:
            self._feed.confirm()
            return None
        if response.status_code == 304:
            raise InvalidResponse("304 Not Modified without a configuration to keep", status_code=304)
        return response.content

    def _config_applied(self, changed: frozenset[str]) -> None:
        self._parser = SseParser()
        self._after_apply(changed)

    def _on_stream_open(self, response: httpx.Response) -> None:
        check_status(response)
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            raise InvalidResponse(f"the change stream answered {kind or 'no content type'}", status_code=200)
        self._parser = SseParser()
        self._parser.last_id = self._feed.event_id
        self._attempt = 0
        self._set_state(SyncState.READY)

    def _on_stream_line(self, line: str) -> None:
        event = self._stream_event(line)
        if event is not None:
            self._after_apply(self._feed.apply_event(event))

    def _stream_event(self, line: str) -> SseEvent | None:
        """The event a stream line completes, if any; a heartbeat confirms the configuration."""
        event = self._parser.feed(line)
        if event is None and (not line or line.startswith(":")):
            self._feed.confirm()
        return event

    def _after_apply(self, changed: frozenset[str]) -> None:
        self._snapshot = self._feed.snapshot
        self._runs = _fast_runs(self._snapshot)
        if not self._ready.is_set():
            self._ready.set()
            self._on_ready()
            logger.info("flag configuration received from %s (%d flags)", self.url, len(self._snapshot or ()))
        if changed:
            self._notify(self._change_listeners, changed)

    def _on_ready(self) -> None:
        """Called once, when the first configuration has been applied (a hook for the shells)."""

    def _on_sync_failure(self, exc: FlagServiceError) -> None:
        if self._state is SyncState.CLOSED:
            return
        if isinstance(exc, InvalidResponse):
            self._feed.forget_position()  # something could not be applied: start over from a full fetch
        self.last_error = exc
        state = SyncState.STALE if self._snapshot is not None else SyncState.ERROR
        if state is not self._state:
            kept = "keeping the last configuration" if self._snapshot is not None else "answering defaults"
            logger.warning("lost the flag service at %s (%s); %s and reconnecting", self.url, exc, kept)
        else:
            logger.debug("flag service still unavailable: %s", exc)
        self._set_state(state)

    def _on_sync_bug(self, exc: Exception) -> None:
        """An unexpected exception in the feed loop: logged, and the loop starts over from a full fetch."""
        logger.exception("the vexil feed loop failed unexpectedly; keeping the last configuration")
        self._feed.forget_position()
        self._on_sync_failure(FlagServiceError(f"{type(exc).__name__}: {exc}"))

    def _next_delay(self) -> float:
        """Exponential backoff with jitter: the n-th wait is in [d/2, d] for d = min(max, initial * 2**n)."""
        ceiling = min(self.options.backoff_max, self.options.backoff_initial * 2.0 ** min(self._attempt, 32))
        self._attempt += 1
        return ceiling * (0.5 + random.random() / 2)

    def _set_state(self, state: SyncState) -> None:
        if state is self._state or self._state is SyncState.CLOSED:
            return
        self._state = state
        self._notify(self._state_listeners, state)

    def _notify(self, listeners: Mapping[int, Callable[[Any], object]], value: Any) -> None:
        for callback in list(listeners.values()):
            try:
                callback(value)
            except Exception:  # a listener's bug must not stop the feed: the SDK's outer edge
                logger.exception("a vexil listener raised")


def _fast_runs(snapshot: Snapshot | None) -> dict[str, FlagRun]:
    """The compiled runs of the flags without prerequisites.

    For those, `Snapshot.evaluate(name, context)` with a dict context is exactly
    `get_compiled(name).evaluate(context, resolve, 0)` (no prerequisite to resolve, so no cycle to
    catch); the SDK calls the run directly, so that local evaluation costs what the engine's does.
    Flags with prerequisites, and other contexts, go through `Snapshot.evaluate`.
    """
    runs: dict[str, FlagRun] = {}
    if snapshot is None:
        return runs
    for name in snapshot.names():
        flag = snapshot.get_compiled(name)
        if flag is not None and not flag.prerequisites:
            runs[name] = flag.evaluate
    return runs


def _parse_evaluation(name: str, body: Any) -> Evaluation:
    """A `/flags/{name}/evaluate` answer (client or admin shape) as an `Evaluation`."""
    if not isinstance(body, Mapping):
        raise InvalidResponse("evaluation: not a JSON object")
    try:
        reason = Reason(str(body.get("reason")))
    except ValueError as exc:
        raise InvalidResponse(f"evaluation: unknown reason {body.get('reason')!r}") from exc
    active, variant, rule = body.get("active"), body.get("variant"), body.get("rule")
    if not isinstance(active, bool) or not (variant is None or isinstance(variant, str)):
        raise InvalidResponse("evaluation: `active` must be a boolean and `variant` a string or null")
    if isinstance(rule, bool) or not (rule is None or isinstance(rule, int)):
        raise InvalidResponse("evaluation: `rule` must be an integer or null")
    code = ErrorCode.FLAG_NOT_FOUND if reason is FLAG_NOT_FOUND else None
    return Evaluation(name, active, variant, body.get("payload"), reason, rule, code)
