"""The `vexil` command group: global options, the verbs, and the one place errors are printed."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from vexil import __version__
from vexil.cli.errors import EXIT_API, EXIT_INTERRUPTED, EXIT_OK
from vexil.cli.state import DEFAULT_URL, State

# Verbs are imported when used (click's lazy-group pattern): `vexil serve` then starts without
# loading httpx and rich, and the server's cold start stays short.
COMMANDS = {
    "flag": ("vexil.cli.flags", "flag_group"),
    "rule": ("vexil.cli.rules", "rule_group"),
    "segment": ("vexil.cli.segments", "segment_group"),
    "env": ("vexil.cli.envs", "env_group"),
    "eval": ("vexil.cli.evaluate", "eval_command"),
    "audit": ("vexil.cli.audit", "audit_command"),
    "change": ("vexil.cli.changes", "change_group"),
    "token": ("vexil.cli.tokens", "token_group"),
    "user": ("vexil.cli.users", "user_group"),
    "webhook": ("vexil.cli.webhooks", "webhook_group"),
    "export": ("vexil.cli.transfer", "export_command"),
    "import": ("vexil.cli.transfer", "import_command"),
    "serve": ("vexil.cli.serve", "serve_command"),
    "sdks": ("vexil.cli.sdks", "sdks_command"),
    "refs": ("vexil.cli.refs", "refs_command"),
    "schedule": ("vexil.cli.schedules", "schedule_group"),
    "plan": ("vexil.cli.schedules", "plan_group"),
}


def fail(message: str, exit_code: int) -> NoReturn:
    click.echo(f"vexil: error: {message}", err=True)
    sys.exit(exit_code)


class VexilGroup(click.Group):
    """A group whose errors are one line on stderr, `vexil: error: <message>`, with their exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name or "vexil", complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            fail(exc.format_message().replace("\n", " "), exc.exit_code)
        except click.Abort as exc:
            interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
            fail("interrupted" if interrupted else "aborted", EXIT_INTERRUPTED if interrupted else EXIT_API)
        except BrokenPipeError:
            # The reader went away (`vexil export | head`): stop quietly, and keep Python from
            # complaining again when it flushes stdout at exit.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_API)
        sys.exit(result if isinstance(result, int) else EXIT_OK)


@click.group(cls=VexilGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="VEXIL_URL",
    default=DEFAULT_URL,
    show_default=True,
    metavar="URL",
    help="The server (env VEXIL_URL).",
)
@click.option(
    "--token",
    envvar="VEXIL_TOKEN",
    metavar="TOKEN",
    help="API token (env VEXIL_TOKEN; default: the admin token file in $VEXIL_DATA_DIR or ./vexil-data).",
)
@click.option("--json", "json_mode", is_flag=True, help="Print JSON for scripts instead of tables.")
@click.version_option(__version__, "--version", prog_name="vexil")
@click.pass_context
def cli(ctx: click.Context, url: str, token: str | None, json_mode: bool) -> None:
    """Vexil: self-hosted feature flags. Talks to a Vexil server over HTTP.

    Errors print one line, `vexil: error: ...`, and exit with 1 (the server refused),
    2 (bad usage or input), 3 (server unreachable) or 130 (interrupted).
    """
    ctx.obj = State(url=url, token=token or None, json=json_mode)


main = cli
