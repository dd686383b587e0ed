"""Unleash's model beside Vexil's, both ways, as pure functions (no I/O): what the Unleash client
and frontend APIs serve, and what `vexil import --from unleash` reads. See docs/unleash.md.

Import the modules themselves (`vexil.unleash.features`, `vexil.unleash.imports`); this package
re-exports nothing."""
