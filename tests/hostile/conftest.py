"""Helpers of the hostile tests: a real server's memory, raw sockets, a server with few descriptors.

Each test here reproduces one way a caller took Vexil down (issue "Nothing a caller sends takes
Vexil down") against a real `vexil serve` process, and fails if it comes back.
"""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.bus.conftest import postgres_proxy
from tests.conftest import ADMIN, VEXIL_SCRIPT, LiveServer, clean_environ, free_port, wait_healthy

MIB = 1024 * 1024

__all__ = ["postgres_proxy"]  # a fixture of the replication tests, used by the health test here


def memory(server: LiveServer) -> dict[str, int]:
    """The server process's resident memory now (VmRSS) and at its peak (VmHWM), in bytes."""
    found = {}
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            found[key] = int(value.split()[0]) * 1024
    return found


def create_flag(server: LiveServer, name: str) -> None:
    """An enabled boolean flag on `server`."""
    with httpx.Client(base_url=server.url, headers=ADMIN) as admin:
        assert admin.post("/flags", json={"name": name, "enabled": True}).status_code == 201


def port_of(server: LiveServer) -> int:
    return int(server.url.rpartition(":")[2])


def connect(server: LiveServer, timeout: float = 5) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def request_head(method: str, path: str, *, length: int | None = None, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: vexil"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> bytes:
    """Whatever the server sends until it closes the connection, or the socket's timeout."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def read_until(sock: socket.socket, wanted: bytes) -> bytes:
    """What `sock` receives up to and including `wanted` (and whatever came with it)."""
    received = b""
    while wanted not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection before {wanted!r}: {received!r}"
        received += chunk
    return received


def response_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status and headers of the next response on `sock`, and what came after them."""
    head, _, rest = read_until(sock, b"\r\n\r\n").partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {key.lower(): value.strip() for key, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, rest


def first_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the next response on `sock` (which must carry a Content-Length)."""
    status, headers, body = response_head(sock)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection in the middle of an answer"
        body += chunk
    return status, headers, body


def status_of(answer: bytes) -> int | None:
    """The status code of the first response in `answer` (None: no response)."""
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer[9:12])


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (anything it sent first is read and dropped)."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


@pytest.fixture
def few_files_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers whose open-file limit (soft and hard) is `open_files`."""
    started: list[LiveServer] = []

    def start(open_files: int, *args: str, env: dict[str, str] | None = None) -> LiveServer:
        port = free_port()
        data_dir = tmp_path / f"data-{port}"
        data_dir.mkdir(parents=True)
        log = tmp_path / f"server-{port}.log"
        launcher = [str(VEXIL_SCRIPT)] if VEXIL_SCRIPT.exists() else [sys.executable, "-m", "vexil"]
        command = [*launcher, "serve", "--port", str(port), "--data-dir", str(data_dir), *args]

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, stdout=sink, stderr=subprocess.STDOUT, env=clean_environ(**(env or {})), preexec_fn=limit
            )
        server = LiveServer(process, f"http://127.0.0.1:{port}", data_dir, log)
        started.append(server)
        wait_healthy(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)
