"""`Client` (sync) and `AsyncClient` (async): flag answers from a Vexil server, remote or local.

Remote evaluation asks the server for every answer (`POST /flags/{name}/evaluate`). Local
evaluation fetches the configuration once (`GET /sdk/config`, a server token), evaluates it in
process with `vexil.engine`, the module the server runs, and keeps it current from the change
stream (`GET /sdk/stream`): in a background thread for `Client`, a task for `AsyncClient`.

>>> with Client("http://127.0.0.1:8000", token=SERVER_TOKEN, mode="local", environment="production") as flags:
...     flags.wait_until_ready(5)
...     if flags.is_enabled("new_checkout", {"identifier": "user-1", "plan": "pro"}):
...         ...

Evaluation calls never raise: before the first configuration, with the server unreachable
(remote), for an unknown flag or on any error they return the caller's `default` and log why;
`evaluate()` says it in `reason`/`error_code`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from vexil.sdk._base import BaseClient, Evaluation, Mode, Options, SyncState
from vexil.sdk.errors import FlagServiceError, ServiceUnavailable, check_status, translate_errors

__all__ = ["AsyncClient", "Client"]

Context = Mapping[str, Any]


class Client(BaseClient):
    """A synchronous client. Local mode starts its background thread at once; `close()` stops it.

    `environment` and `app` (and `options.context`) form a default context that every call's
    context is laid over. A local client with an `environment` fetches that environment's
    configuration only, so a call naming another environment gets its default (`invalid_context`).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        mode: Mode = "remote",
        environment: str | None = None,
        app: str | None = None,
        options: Options | None = None,
    ) -> None:
        super().__init__(url, token=token, mode=mode, environment=environment, app=app, options=options)
        transport = self.options.transport
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError("Client needs a synchronous httpx transport")
        self._transport = transport
        self._http = httpx.Client(transport=transport, timeout=self.options.timeout) if mode == "remote" else None
        self._stop = threading.Event()
        self._response: httpx.Response | None = None
        self._thread: threading.Thread | None = None
        if mode == "local":
            self._thread = threading.Thread(target=self._run, name=f"vexil-sdk {self.url}", daemon=True)
            self._thread.start()

    # --- evaluation ------------------------------------------------------------------------------

    def is_enabled(self, name: str, context: Context | None = None, default: bool = False) -> bool:
        """Whether `name` is active for `context` (the served variant is not the default one).

        >>> client.is_enabled("new_checkout", {"identifier": "user-1"})
        True
        """
        try:
            if context is None:
                context = self._defaults
            elif not self._plain:
                context = self._merge(context)
            run = self._runs.get(name)
            if run is not None and context.__class__ is dict:
                # What Snapshot.evaluate does for a flag without prerequisites, without its extra call.
                result = run(context, self._fallback, 0)
                counts = self._counts
                if counts is not None:
                    try:  # EvaluationCounts.count, inline: this is the hottest path
                        next(counts.tree[context.get("environment")][context.get("app")][name][result.variant])  # type: ignore[index]
                    except (KeyError, TypeError):
                        counts.count(result, context)
                return result.active
            result = self._answer(name, context)
            # Only an unknown flag or an error has no variant: every flag serves one.
            return default if result.variant is None else result.active
        except Exception as exc:  # the SDK's outermost edge: log, answer the default
            self._failed(name, exc)
            return default

    def variant(self, name: str, context: Context | None = None, default: str | None = None) -> str | None:
        """The variant served for `context`, or `default` for an unknown flag or on error."""
        try:
            result = self._answer(name, self._context(context))
            return default if result.variant is None else result.variant
        except Exception as exc:  # the SDK's outermost edge
            self._failed(name, exc)
            return default

    def payload(self, name: str, context: Context | None = None, default: Any = None) -> Any:
        """The served variant's payload; `default` when it has none, for an unknown flag or on error.

        Payloads are shared between calls: treat them as read-only.
        """
        try:
            result = self._answer(name, self._context(context))
            return default if result.variant is None or result.payload is None else result.payload
        except Exception as exc:  # the SDK's outermost edge
            self._failed(name, exc)
            return default

    def evaluate(self, name: str, context: Context | None = None) -> Evaluation:
        """The full answer, with `reason` (and `error_code` when the default had to be used)."""
        try:
            result = self._answer(name, self._context(context))
            return result if isinstance(result, Evaluation) else Evaluation.from_engine(result)
        except Exception as exc:  # the SDK's outermost edge
            return self._failed(name, exc)

    def evaluate_all(self, context: Context | None = None) -> dict[str, Evaluation]:
        """Every flag's answer for one context (`{}` before the first configuration or on error)."""
        try:
            snapshot = self._snapshot
            if snapshot is not None:
                return self._local_evaluations(snapshot, self._context(context))
            if self._http is None:
                return {}
            request = self._evaluate_all_request(self._context(context))
            with translate_errors():
                response = self._http.send(request)
            return self._evaluations_from(response)
        except FlagServiceError as exc:
            self._remote_error("*", exc)
            return {}
        except Exception as exc:  # the SDK's outermost edge
            self._failed("*", exc)
            return {}

    def _answer(self, name: str, context: Context) -> Any:
        """The engine's `Evaluation` from the configuration held, else (remote, or not ready) an SDK one."""
        snapshot = self._snapshot
        if snapshot is not None:
            return self._counted(context, snapshot.evaluate(name, context))
        return self._without_snapshot(name, context)

    def _without_snapshot(self, name: str, context: Context) -> Evaluation:
        """Remote evaluation; in local mode (no configuration yet) the not-ready answer."""
        if self._http is None:
            return self._not_ready(name)
        request = self._evaluate_request(name, context)
        try:
            with translate_errors():
                response = self._http.send(request)
            return self._evaluation_from(name, response)
        except FlagServiceError as exc:
            return self._remote_error(name, exc)

    # --- lifecycle -------------------------------------------------------------------------------

    def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Block until the first configuration arrived (local) or `timeout` passed; whether it did."""
        return self._ready.wait(timeout)

    def close(self) -> None:
        """Stop the background thread and release connections; evaluations keep the last configuration."""
        if self._state is SyncState.CLOSED:
            return
        self._set_state(SyncState.CLOSED)
        self._stop.set()
        response = self._response
        if response is not None:
            _interrupt(response)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.options.timeout + 1)
        if self._counts is not None and not self._counts.empty():  # the last usage report
            with httpx.Client(transport=self._transport, timeout=self.options.timeout) as http:
                self._report(http)
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the feed (background thread) ------------------------------------------------------------

    def _run(self) -> None:
        with httpx.Client(transport=self._transport, timeout=self.options.timeout) as http:
            while not self._stop.is_set():
                try:
                    self._sync(http)
                except FlagServiceError as exc:
                    self._on_sync_failure(exc)
                except Exception as exc:  # the thread's outermost edge: it must keep going
                    self._on_sync_bug(exc)
                if self._stop.wait(self._next_delay()):
                    return
                self._report_if_due(http)

    def _report_if_due(self, http: httpx.Client) -> None:
        if self._report_due():
            self._report(http)

    def _report(self, http: httpx.Client) -> None:
        """Send the usage counts (`POST /api/client/metrics`); what fails is kept for the next report."""
        for group, request in self._metrics_reports():
            try:
                with translate_errors():
                    response = http.send(request)
                check_status(response, allowed=(200, 202))
            except FlagServiceError as exc:
                self._report_failed(group, exc)

    def _sync(self, http: httpx.Client) -> None:
        """One connection: fetch (or confirm) the configuration, then follow the change stream."""
        with translate_errors():
            response = http.send(self._config_request())
        self._on_config(response)
        with translate_errors():
            response = http.send(self._stream_request(), stream=True)
        self._response = response
        try:
            if self._stop.is_set():  # close() ran before it could see this response
                return
            with translate_errors():
                if response.status_code != 200:
                    response.read()
                self._on_stream_open(response)
                for line in response.iter_lines():
                    self._on_stream_line(line)
                    if self._stop.is_set():
                        return
                    self._report_if_due(http)  # every line wakes the thread: heartbeats at least
        finally:
            self._response = None
            response.close()
        if not self._stop.is_set():
            raise ServiceUnavailable("the service closed the change stream")


class AsyncClient(BaseClient):
    """An asyncio client: the same API as `Client`, with `await` on every call.

    A local client follows the change stream in a task of the running loop, started by
    `async with`, `start()`, `wait_until_ready()` or the first evaluation.

    >>> async with AsyncClient(url, token=SERVER_TOKEN, mode="local", environment="production") as flags:
    ...     await flags.wait_until_ready(5)
    ...     await flags.is_enabled("new_checkout", {"identifier": "user-1"})
    True
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        mode: Mode = "remote",
        environment: str | None = None,
        app: str | None = None,
        options: Options | None = None,
    ) -> None:
        super().__init__(url, token=token, mode=mode, environment=environment, app=app, options=options)
        transport = self.options.transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("AsyncClient needs an asynchronous httpx transport")
        self._transport = transport
        self._http = httpx.AsyncClient(transport=transport, timeout=self.options.timeout) if mode == "remote" else None
        self._task: asyncio.Task[None] | None = None
        self._ready_async: asyncio.Event | None = None

    # --- evaluation ------------------------------------------------------------------------------

    async def is_enabled(self, name: str, context: Context | None = None, default: bool = False) -> bool:
        """Whether `name` is active for `context`; see `Client.is_enabled`."""
        try:
            if context is None:
                context = self._defaults
            elif not self._plain:
                context = self._merge(context)
            run = self._runs.get(name)
            if run is not None and context.__class__ is dict:
                result = run(context, self._fallback, 0)
                counts = self._counts
                if counts is not None:
                    try:  # as in Client.is_enabled
                        next(counts.tree[context.get("environment")][context.get("app")][name][result.variant])  # type: ignore[index]
                    except (KeyError, TypeError):
                        counts.count(result, context)
                return result.active
            result = await self._answer(name, context)
            return default if result.variant is None else result.active
        except Exception as exc:  # the SDK's outermost edge
            self._failed(name, exc)
            return default

    async def variant(self, name: str, context: Context | None = None, default: str | None = None) -> str | None:
        """The variant served for `context`; see `Client.variant`."""
        try:
            result = await self._answer(name, self._context(context))
            return default if result.variant is None else result.variant
        except Exception as exc:  # the SDK's outermost edge
            self._failed(name, exc)
            return default

    async def payload(self, name: str, context: Context | None = None, default: Any = None) -> Any:
        """The served variant's payload; see `Client.payload`."""
        try:
            result = await self._answer(name, self._context(context))
            return default if result.variant is None or result.payload is None else result.payload
        except Exception as exc:  # the SDK's outermost edge
            self._failed(name, exc)
            return default

    async def evaluate(self, name: str, context: Context | None = None) -> Evaluation:
        """The full answer; see `Client.evaluate`."""
        try:
            result = await self._answer(name, self._context(context))
            return result if isinstance(result, Evaluation) else Evaluation.from_engine(result)
        except Exception as exc:  # the SDK's outermost edge
            return self._failed(name, exc)

    async def evaluate_all(self, context: Context | None = None) -> dict[str, Evaluation]:
        """Every flag's answer for one context; see `Client.evaluate_all`."""
        try:
            snapshot = self._snapshot
            if snapshot is not None:
                return self._local_evaluations(snapshot, self._context(context))
            if self._http is None:
                await self.start()
                return {}
            request = self._evaluate_all_request(self._context(context))
            with translate_errors():
                response = await self._http.send(request)
            return self._evaluations_from(response)
        except FlagServiceError as exc:
            self._remote_error("*", exc)
            return {}
        except Exception as exc:  # the SDK's outermost edge
            self._failed("*", exc)
            return {}

    async def _answer(self, name: str, context: Context) -> Any:
        snapshot = self._snapshot
        if snapshot is not None:
            return self._counted(context, snapshot.evaluate(name, context))
        return await self._without_snapshot(name, context)

    async def _without_snapshot(self, name: str, context: Context) -> Evaluation:
        if self._http is None:
            await self.start()
            return self._not_ready(name)
        request = self._evaluate_request(name, context)
        try:
            with translate_errors():
                response = await self._http.send(request)
            return self._evaluation_from(name, response)
        except FlagServiceError as exc:
            return self._remote_error(name, exc)

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start following the service (local mode; idempotent, and a no-op for remote clients)."""
        if self.mode != "local" or self._task is not None or self._state is SyncState.CLOSED:
            return
        self._ready_async = asyncio.Event()
        if self._ready.is_set():
            self._ready_async.set()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"vexil-sdk {self.url}")

    async def wait_until_ready(self, timeout: float | None = None) -> bool:
        """Wait until the first configuration arrived (local) or `timeout` passed; whether it did."""
        await self.start()
        if self._ready.is_set() or self._ready_async is None:
            return self._ready.is_set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready_async.wait(), timeout)
        return self._ready.is_set()

    async def close(self) -> None:
        """Cancel the feed task and release connections."""
        if self._state is SyncState.CLOSED:
            return
        self._set_state(SyncState.CLOSED)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._counts is not None and not self._counts.empty():  # the last usage report
            async with httpx.AsyncClient(transport=self._transport, timeout=self.options.timeout) as http:
                await self._report(http)
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _on_ready(self) -> None:
        if self._ready_async is not None:
            self._ready_async.set()

    # --- the feed (a task) -----------------------------------------------------------------------

    async def _run(self) -> None:
        async with httpx.AsyncClient(transport=self._transport, timeout=self.options.timeout) as http:
            while True:
                try:
                    await self._sync(http)
                except FlagServiceError as exc:
                    self._on_sync_failure(exc)
                except Exception as exc:  # the task's outermost edge: it must keep going
                    self._on_sync_bug(exc)
                await asyncio.sleep(self._next_delay())
                await self._report_if_due(http)

    async def _report_if_due(self, http: httpx.AsyncClient) -> None:
        if self._report_due():
            await self._report(http)

    async def _report(self, http: httpx.AsyncClient) -> None:
        """Send the usage counts; see `Client._report`."""
        for group, request in self._metrics_reports():
            try:
                with translate_errors():
                    response = await http.send(request)
                check_status(response, allowed=(200, 202))
            except FlagServiceError as exc:
                self._report_failed(group, exc)

    async def _sync(self, http: httpx.AsyncClient) -> None:
        with translate_errors():
            response = await http.send(self._config_request())
        body = self._config_body(response)
        if body is not None:
            # Compiling a whole configuration takes milliseconds per hundred flags: not in the loop.
            etag = response.headers.get("etag")
            self._config_applied(await asyncio.to_thread(self._feed.apply_config, body, etag=etag))
        with translate_errors():
            response = await http.send(self._stream_request(), stream=True)
        try:
            with translate_errors():
                if response.status_code != 200:
                    await response.aread()
                self._on_stream_open(response)
                async for line in response.aiter_lines():
                    await self._report_if_due(http)  # every line wakes the task: heartbeats at least
                    event = self._stream_event(line)
                    if event is None:
                        continue
                    if event.event == "config":
                        self._after_apply(await asyncio.to_thread(self._feed.apply_event, event))
                    else:  # a few flag documents: compiled in place
                        self._after_apply(self._feed.apply_event(event))
        finally:
            await response.aclose()
        raise ServiceUnavailable("the service closed the change stream")


def _interrupt(response: httpx.Response) -> None:
    """Wake a thread blocked reading `response`: shut its socket down (closing it would not)."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
