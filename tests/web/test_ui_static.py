"""The admin UI's files are served by Vexil at /ui, and every module they import is there."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

import vexil

UI = Path(vexil.__file__).parent / "web" / "ui"
IMPORT = re.compile(r"""(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"\)?""")


async def test_ui__root__redirects_to_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui")
    assert response.status_code in {301, 302, 307, 308}
    assert response.headers["location"].endswith("/ui/")


async def test_ui__index__html_loading_the_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="app.js">' in response.text
    assert '<link rel="stylesheet" href="style.css">' in response.text


async def test_ui__every_module_import__served_as_javascript(client: httpx.AsyncClient) -> None:
    # Given every ES module of the UI, and the relative imports each makes
    modules = sorted(UI.rglob("*.js"))
    assert {"app.js", "api.js", "live.js"} <= {m.name for m in modules}
    for module in modules:
        for target in IMPORT.findall(module.read_text()):
            # Then each import resolves to a file of the UI
            resolved = (module.parent / target).resolve()
            assert resolved.is_file(), f"{module.relative_to(UI)} imports missing {target}"
        # And is served as JavaScript
        response = await client.get(f"/ui/{module.relative_to(UI).as_posix()}")
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
