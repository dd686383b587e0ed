"""The package of the API's models: one module per route group, every model importable from the package."""

from __future__ import annotations

import ast
from pathlib import Path

import vexil.api.schemas

PACKAGE = Path(vexil.api.schemas.__file__).parent


def defined_names(path: Path) -> set[str]:
    """The public names a module defines at its top level (its classes and type aliases, not its imports)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return {name for name in names if not name.startswith("_")}


def test_schemas__all__every_model_of_its_modules() -> None:
    # Given the public names defined by the package's modules
    modules = sorted(path for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    defined = [name for path in modules for name in defined_names(path)]
    # When the package's public names are read
    exported = vexil.api.schemas.__all__
    # Then each model is defined once, and the package exports exactly those, each importable from it
    assert len(defined) == len(set(defined))
    assert sorted(exported) == sorted(defined)
    assert all(hasattr(vexil.api.schemas, name) for name in exported)
