"""The npm package @vexil/client as `npm pack` makes it (conftest.py): what it holds and declares,
that its declarations type-check a consumer with tsc, and that Vexil serves the same module."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
from pathlib import Path

import httpx
import pytest

import vexil
from tests.bindings.conftest import HERE, NODE_MODULES, PACKAGE, Bundle, Packed, run

MODULES = {"client.js": set(), "solid.js": {"solid-js"}, "react.js": {"react"}}
_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s+["']([^"']+)["']""", re.MULTILINE)


def packed_file(packed: Packed, name: str) -> bytes:
    with tarfile.open(packed.tarball) as archive:
        member = archive.extractfile(f"package/{name}")
        assert member is not None, name
        return member.read()


def test_npm_pack__tarball__modules_declarations_readme_and_nothing_else(packed: Packed) -> None:
    # Then the tarball holds the three ES modules, their declarations, the README and package.json
    assert packed.files == {*MODULES, "client.d.ts", "solid.d.ts", "react.d.ts", "README.md", "package.json"}
    # and its version is the server's
    assert (packed.report["name"], packed.report["version"]) == ("@vexil/client", vexil.__version__)


def test_npm_pack__package_json__no_dependencies_frameworks_as_peers(packed: Packed) -> None:
    # When the packed package.json is read
    manifest = json.loads(packed_file(packed, "package.json"))
    # Then it is an ES module package with no dependency of its own; solid-js and react are optional peers
    assert manifest["type"] == "module"
    assert "dependencies" not in manifest
    assert set(manifest["peerDependencies"]) == {"solid-js", "react"}
    assert all(meta == {"optional": True} for meta in manifest["peerDependenciesMeta"].values())
    # and each subpath export names its module and its declarations
    for subpath, module in ((".", "client"), ("./solid", "solid"), ("./react", "react")):
        assert manifest["exports"][subpath] == {"types": f"./{module}.d.ts", "default": f"./{module}.js"}


def test_npm_pack__modules__import_only_each_other_and_their_framework(packed: Packed) -> None:
    # Then no module imports anything but the package's own files and its one peer framework
    for name, frameworks in MODULES.items():
        imports = set(_IMPORT.findall(packed_file(packed, name).decode()))
        assert imports - {"./client.js"} == frameworks, name


def test_bundles__frameworks__one_copy_each_and_the_package_from_the_tarball(
    bundles: dict[str, Bundle], installed: Path
) -> None:
    # When the test apps were bundled (conftest.py)
    for framework, entry in (("solid", "solid-js/dist/solid.js"), ("react", "react/index.js")):
        inputs = bundles[framework].inputs
        # Then the framework is in the bundle once, from the application's node_modules, not the package's
        assert [name for name in inputs if name.endswith(entry)] == [f"node_modules/{entry}"]
        # and the package's modules are the ones npm installed from the tarball
        ours = [name for name in inputs if "@vexil/client" in name]
        assert {Path(name).name for name in ours} == {"client.js", f"{framework}.js"}
        assert all("node_modules/@vexil/client/" in name and installed.name in name for name in ours)


def test_declarations__consumer_ts_and_tsx__tsc_no_emit(packed: Packed, tmp_path: Path) -> None:
    # Given a TypeScript project with @vexil/client installed from the tarball and the frameworks' types
    run("npm", "install", "--prefix", tmp_path, "--no-audit", "--no-fund", "--no-save", "--no-package-lock",
        "--legacy-peer-deps", "--loglevel=error", packed.tarball, cwd=tmp_path)  # fmt: skip
    for peer in ("solid-js", "@solidjs/signals", "react", "@types/react", "csstype"):
        link = tmp_path / "node_modules" / peer
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(NODE_MODULES / peer, target_is_directory=True)
    for name in ("tsconfig.json", "solid.ts", "react.tsx"):
        shutil.copy(HERE / "consumer" / name, tmp_path / name)
    # When tsc checks the consumers (their @ts-expect-error lines must be errors)
    # Then it finds nothing wrong (run() fails the test with tsc's output otherwise)
    run(NODE_MODULES / ".bin" / "tsc", "--noEmit", "-p", tmp_path / "tsconfig.json", cwd=tmp_path)


def test_declarations__misused__tsc_reports_the_error(packed: Packed, tmp_path: Path) -> None:
    # Given the same project with a consumer that calls an accessor's value as a function
    test_declarations__consumer_ts_and_tsx__tsc_no_emit(packed, tmp_path)
    misuse = 'import { useFeatureFlag } from "@vexil/client/solid";\n'
    misuse += 'export const n: number = useFeatureFlag("x").variant();\n'
    (tmp_path / "solid.ts").write_text(misuse)
    # When tsc checks it, then it fails, naming the line
    with pytest.raises(AssertionError, match=r"solid\.ts\(2,"):
        run(NODE_MODULES / ".bin" / "tsc", "--noEmit", "-p", tmp_path / "tsconfig.json", cwd=tmp_path)


async def test_served_client__web_client_js__the_package_module(client: httpx.AsyncClient) -> None:
    # When Vexil is asked for /web/client.js
    response = await client.get("/web/client.js")
    # Then it serves the package's module itself
    assert response.status_code == 200
    assert response.content == (PACKAGE / "client.js").read_bytes()
