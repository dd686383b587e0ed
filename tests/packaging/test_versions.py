"""One version for everything built from this repository (docs/packaging.md): src/vexil/__init__.py's.
Both Python distributions read it; the two places that cannot read it must say the same."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

import vexil
from tests.packaging.conftest import LOCK, ROOT, SDK_PROJECT

PACKAGE_JSON = ROOT / "src" / "vexil" / "web" / "client" / "package.json"


def project(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = tomllib.loads((path / "pyproject.toml").read_text())["project"]
    return document


def test_versions__both_python_distributions__read_src_vexil_init() -> None:
    # Given the two pyproject.toml files
    for path in (ROOT, SDK_PROJECT):
        config = tomllib.loads((path / "pyproject.toml").read_text())
        # Then neither writes a version: hatch reads it from src/vexil/__init__.py
        assert "version" in config["project"]["dynamic"]
        assert (path / config["tool"]["hatch"]["version"]["path"]).resolve() == Path(vexil.__file__).resolve()


def test_versions__server_requirement_on_sdk__exactly_this_version() -> None:
    # When the server's requirement on vexil-sdk is read
    requirements = [Requirement(text) for text in project(ROOT)["dependencies"]]
    sdk = [requirement for requirement in requirements if requirement.name == "vexil-sdk"]
    # Then it is this very version, and only it
    assert [str(requirement.specifier) for requirement in sdk] == [f"=={vexil.__version__}"]


def test_versions__npm_package__follows_the_server() -> None:
    # Then the npm package's version is the server's
    assert json.loads(PACKAGE_JSON.read_text())["version"] == vexil.__version__


def test_constraints__every_declared_requirement__pinned_within_its_range() -> None:
    # Given the exact versions of constraints.txt
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            assert len(requirement.specifier) == 1 and next(iter(requirement.specifier)).operator == "==", line
            pins[requirement.name.lower().replace("_", "-")] = next(iter(requirement.specifier)).version
    # When every requirement of both distributions (the server's dev tools included) is read
    server, sdk = project(ROOT), project(SDK_PROJECT)
    declared = [*server["dependencies"], *server["optional-dependencies"]["dev"]]
    declared += [*sdk["dependencies"], *sdk["optional-dependencies"]["openfeature"]]
    # Then each is pinned there (make lock), to a version its range allows
    for text in declared:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        if name == "vexil-sdk":
            continue
        assert name in pins, f"{name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"
