"""`python -m vexil ...` is the `vexil` command."""

from vexil.cli import main

main()
