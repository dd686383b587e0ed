"""The CLI's HTTP client: a thin httpx wrapper that turns every failure into a `CliError`.

This is the boundary where httpx's exceptions end: nothing above it sees an httpx error. Every error
raised here is chained (`raise ... from exc`), so the cause stays on `__cause__` for a debugger.

    >>> with VexilClient("http://127.0.0.1:8000", token="vx_...") as client:
    ...     client.request("GET", "/flags", params={"enabled": "true"})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from vexil.cli.errors import ApiError, InputError, Unreachable

DEFAULT_TIMEOUT = 10.0
NO_TOKEN_HINT = "no token was found: pass --token, set VEXIL_TOKEN, or run where vexil-data/admin-token is readable"

Params = Mapping[str, str | list[str]]


@dataclass(frozen=True)
class Upload:
    """A request body sent in chunks (so that a progress bar can follow it) of a known length."""

    chunks: Iterable[bytes]
    length: int
    content_type: str

    def headers(self) -> dict[str, str]:
        # With a Content-Length, httpx streams the chunks as they come instead of chunked encoding.
        return {"content-type": self.content_type, "content-length": str(self.length)}


def path(*parts: str) -> str:
    """`/flags/{name}/...` with each part percent-encoded, so a name can never change the path."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


def _error_message(response: httpx.Response) -> str:
    """The server's `{"error": ...}`; from something else (a proxy), its plain text or the status's reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message: str = body["error"]
        return " ".join(message.split())
    lines = (
        response.text.strip().splitlines() if response.headers.get("content-type", "").startswith("text/plain") else []
    )
    return lines[0][:200] if lines else response.reason_phrase or "error"


class VexilClient:
    """One connection pool to one Vexil server; `request` returns the decoded JSON (None for 204)."""

    def __init__(self, base_url: str, *, token: str | None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        headers = {"accept": "application/json", "user-agent": "vexil-cli"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        try:
            self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise InputError(f"invalid server URL {base_url!r}: {exc}") from exc

    def __enter__(self) -> VexilClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Any = None,
        upload: Upload | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer, or a `CliError` (never an httpx exception)."""
        kwargs: dict[str, Any] = {"params": params}
        if upload is not None:
            kwargs.update(content=upload.chunks, headers=upload.headers())
        elif json is not None:
            kwargs["json"] = json
        if timeout is not None:
            kwargs["timeout"] = timeout
        response = self._send(method, url, kwargs)
        if response.status_code >= 400:
            message = _error_message(response)
            if response.status_code != 400:  # a 400 names the field and what it expects: shown as the API says it
                message = f"{message} (HTTP {response.status_code})"
            if response.status_code == 401 and not self.token:
                message = f"{message}; {NO_TOKEN_HINT}"
            raise ApiError(message, status=response.status_code)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(
                f"the server at {self.base_url} did not answer JSON; is it a Vexil server?", status=0
            ) from exc

    def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        where = self.base_url
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise Unreachable(f"the Vexil server at {where} did not answer in time ({type(exc).__name__})") from exc
        except httpx.UnsupportedProtocol as exc:
            raise InputError(f"invalid server URL {where!r}: use http:// or https://") from exc
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach the Vexil server at {where}: {exc or type(exc).__name__}") from exc
        except httpx.RequestError as exc:
            raise ApiError(f"could not read the answer of {where}: {exc or type(exc).__name__}", status=0) from exc
        except httpx.InvalidURL as exc:
            raise InputError(f"invalid server URL {where!r}: {exc}") from exc
