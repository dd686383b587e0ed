"""Run by the interpreter of a virtual environment holding only vexil-sdk and what an application
brought (tests/packaging/test_sdk_distribution.py), never imported by the test suite itself:
evaluates flags locally against a real Vexil server, then prints as JSON what it got and which
modules the process imported.

    python -I sdk_probe.py URL SERVER_TOKEN FLAG IDENTIFIER
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys


def main(url: str, token: str, flag: str, identifier: str) -> None:
    import vexil
    from vexil.sdk import Client
    from vexil.sdk.provider import VexilProvider

    with Client(url, token=token, mode="local", environment="production") as client:
        ready = client.wait_until_ready(10)
        evaluation = client.evaluate(flag, {"identifier": identifier})
        provider = VexilProvider(client)
    report = {
        "ready": ready,
        "variant": evaluation.variant,
        "payload": evaluation.payload,
        "reason": str(evaluation.reason),
        "provider": type(provider).__name__,
        "vexil_file": vexil.__file__,
        "server_importable": importlib.util.find_spec("vexil.api") is not None,
        "modules": sorted(sys.modules),
        "versions": {
            name: importlib.metadata.version(name)
            for name in ("vexil-sdk", "pydantic", "fastapi", "sqlalchemy", "httpx", "mmh3", "google-re2", "orjson")
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:5])
