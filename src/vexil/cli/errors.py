"""What can go wrong in the CLI, each failure carrying its exit code (click's `exit_code`).

    click.ClickException ─┬─ CliError          1  base; printed as one line `vexil: error: ...`
                          │   ├─ ApiError      1  the server answered 4xx/5xx (its `error` message)
                          │   ├─ InputError    2  bad input caught before anything was sent
                          │   └─ Unreachable   3  no answer from the server (refused, DNS, timeout)
                          └─ click.UsageError  2  click's own (unknown option, bad parameter)

`vexil.cli.app.VexilGroup.main` prints every ClickException the same way, so the user always
sees exactly one line on stderr and never a traceback.
"""

from __future__ import annotations

from typing import ClassVar

import click

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    exit_code: ClassVar[int] = EXIT_API


class ApiError(CliError):
    """The server refused the request; `status` is its HTTP status (0: the answer was unreadable)."""

    exit_code: ClassVar[int] = EXIT_API

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class InputError(CliError):
    exit_code: ClassVar[int] = EXIT_USAGE


class Unreachable(CliError):
    exit_code: ClassVar[int] = EXIT_UNREACHABLE
