"""The state shared by every command: where the server is, which token, and the output mode.

The client is made on first use, so `vexil serve` and `--help` never look for a token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported on use: `vexil serve` needs neither httpx nor rich
    from vexil.cli.client import VexilClient
    from vexil.cli.output import Output

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_DATA_DIR = "vexil-data"
ADMIN_TOKEN_FILE = "admin-token"


def token_from_data_dir(environ: dict[str, str] | None = None) -> str | None:
    """The admin token the server keeps in `$VEXIL_DATA_DIR/admin-token` (default ./vexil-data)."""
    env = os.environ if environ is None else environ
    token_file = Path(env.get("VEXIL_DATA_DIR") or DEFAULT_DATA_DIR) / ADMIN_TOKEN_FILE
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None  # unreadable or absent: the server will say which token it needs
    return token or None


@dataclass
class State:
    url: str
    token: str | None
    json: bool = False
    _client: VexilClient | None = field(default=None, repr=False)

    @property
    def output(self) -> Output:
        from vexil.cli.output import Output

        return Output(json_mode=self.json)

    def client(self) -> VexilClient:
        if self._client is None:
            from vexil.cli.client import VexilClient

            token = self.token if self.token is not None else token_from_data_dir()
            self._client = VexilClient(self.url, token=token)
            click.get_current_context().find_root().call_on_close(self._client.close)
        return self._client


pass_state = click.make_pass_decorator(State)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(State)
    if value and state is not None:
        state.json = True


json_option = click.option(
    "--json",
    "json_flag",
    is_flag=True,
    expose_value=False,
    callback=_set_json,
    help="Print JSON for scripts (same as the global --json).",
)
