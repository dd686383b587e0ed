"""The `vexil` command line: `vexil serve`, and the verbs that manage a server over HTTP.

    $ vexil flag create new_checkout --description "The new checkout" --enabled
    $ vexil flag rollout new_checkout 25 --env production
    $ vexil eval new_checkout --user user-42 --env production --json

`main` is the console script's entry point (a click group; `main()` parses `sys.argv`).
"""

from __future__ import annotations

from vexil.cli.app import main

__all__ = ["main"]
