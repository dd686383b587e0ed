"""`python -m vexil.store <alembic command>`: see `vexil.store.migrate`."""

from __future__ import annotations

from vexil.store.migrate import main

main()
