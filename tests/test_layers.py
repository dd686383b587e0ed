"""The packages depend on each other one way only (docs/architecture.md):
engine <- {store, unleash} <- core <- {bus, api}."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import vexil

SOURCE = Path(vexil.__file__).parent

# What each top-level package or module may import from the rest of vexil.
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "store": {"engine"},
    "core": {"engine", "store", "unleash"},
    "bus": {"engine", "store", "core", "config"},
    "api": {"__init__", "engine", "store", "core", "bus", "config", "unleash"},
    # Unleash's model and Vexil's, both ways (docs/unleash.md): pure, like the engine.
    "unleash": {"engine"},
    "sdk": {"__init__", "engine"},
    "server": {"api", "config"},
    "cli": {"__init__", "config", "server", "local"},
    # What the CLI does on the server machine against the database directly (`vexil user`).
    "local": {"config", "core", "store"},
    "config": set(),
    "__init__": set(),
    "__main__": {"cli"},
}


def imports_by_package() -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in SOURCE.rglob("*.py"):
        package = path.relative_to(SOURCE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "vexil":
                target = node.module.split(".")[1] if "." in node.module else "__init__"
                if target != package:
                    found[package].add(target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "vexil" and len(parts) > 1 and parts[1] != package:
                        found[package].add(parts[1])
    return found


def test_layers__every_import__points_inward() -> None:
    # Given every import between vexil's packages (function-level ones included)
    found = imports_by_package()
    # Then each package imports only what its layer may
    wrong = {package: sorted(targets - ALLOWED[package]) for package, targets in found.items()}
    assert {package: targets for package, targets in wrong.items() if targets} == {}


def test_layers__no_cycle_between_packages() -> None:
    found = imports_by_package()
    for package, targets in found.items():
        for target in targets:
            assert package not in found.get(target, set()), f"{package} and {target} import each other"
