"""Real Vexil servers and real, unmodified Unleash SDKs for the Unleash client API's tests.

The Python SDK (`UnleashClient`, evaluating with the yggdrasil engine) and the Node SDK
(`unleash-client`, driven by tests/node/unleash-client.mjs) fetch `GET /api/client/features` from a
live server and evaluate locally; their answers are compared with Vexil's own `POST
/flags/{name}/evaluate` under docs/unleash.md's equality rule.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from UnleashClient.clients.unleash_client import UnleashClient

from tests.conftest import ok
from tests.sdk.conftest import Vexil, start_vexil

NODE_DIR = Path(__file__).parents[1] / "node"
NODE_SCRIPT = NODE_DIR / "unleash-client.mjs"
APP_NAME = "vexil-tests"


@pytest.fixture(scope="module")
def shared_vexil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vexil]:
    started = start_vexil(tmp_path_factory.mktemp("unleash") / "data")
    yield started
    started.close()


def token(vexil: Vexil, name: str, role: str = "server", environment: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "role": role}
    if environment is not None:
        body["environment"] = environment
    secret: str = ok(vexil.admin.post("/tokens", json=body))["token"]
    return secret


def unleash_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """A Vexil context as an application hands it to an Unleash SDK (docs/unleash.md, "The context"):
    `identifier` as `userId`, `app` as `appName`, every attribute (those under `attributes` too, a
    top-level one first) a text property."""
    out: dict[str, Any] = {}
    attributes = context.get("attributes")
    flat = {**(attributes if isinstance(attributes, dict) else {}), **context}
    properties: dict[str, str] = {}
    for key, value in flat.items():
        if value is None or (key == "attributes" and value is attributes):
            continue
        if key == "identifier":
            out["userId"] = str(value)
        elif key == "app":
            out["appName"] = value
        elif key != "environment":
            properties[key] = value if isinstance(value, str) else json.dumps(value)
    out["properties"] = properties
    return out


@dataclass(frozen=True)
class Answer:
    """What an Unleash SDK said: `isEnabled`, and `getVariant`'s name and payload ({type, value} or None)."""

    enabled: bool
    variant: str
    payload: dict[str, str] | None


def node_answers(
    url: str, secret: str, checks: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[list[Answer], list[str]]:
    """The Node SDK's answers for `(flag, Unleash context)` checks, and the feature names it fetched."""
    node = shutil.which("node")
    assert node is not None, "node is needed for the Node Unleash SDK"
    assert (NODE_DIR / "node_modules" / "unleash-client").exists(), "run make tests/node/node_modules/.installed"
    request = {
        "url": url + "/api/",
        "token": secret,
        "appName": APP_NAME,
        "checks": [{"flag": flag, "context": context} for flag, context in checks],
    }
    done = subprocess.run(
        [node, str(NODE_SCRIPT)], input=json.dumps(request), capture_output=True, text=True, timeout=60, cwd=NODE_DIR
    )
    assert done.returncode == 0, done.stdout + done.stderr
    output = json.loads(done.stdout)
    answers = [
        Answer(item["enabled"], item["variant"]["name"], item["variant"].get("payload")) for item in output["answers"]
    ]
    return answers, output["fetched"]


class PythonSdk:
    """The Python Unleash SDK on a live server: registration and metrics off (not under test)."""

    def __init__(self, url: str, secret: str, cache: Path) -> None:
        self.client = UnleashClient(
            url=url + "/api",
            app_name=APP_NAME,
            custom_headers={"Authorization": secret},
            disable_metrics=True,
            disable_registration=True,
            cache_directory=str(cache),
            refresh_interval=3600,
        )
        self.client.initialize_client()
        assert self.client.is_initialized, "the Python SDK did not initialise"

    def answer(self, flag: str, context: Mapping[str, Any]) -> Answer:
        enabled = self.client.is_enabled(flag, dict(context))
        variant = self.client.get_variant(flag, dict(context))
        if not isinstance(variant, dict):
            variant = {"name": variant.name, "payload": variant.payload}
        return Answer(enabled, variant["name"], variant.get("payload") or None)

    def close(self) -> None:
        self.client.destroy()


def vexil_results(vexil: Vexil, secret: str, checks: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Vexil's own answers, from `POST /flags/{name}/evaluate` with the same token."""
    with httpx.Client(base_url=vexil.url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as http:
        return [ok(http.post(f"/flags/{flag}/evaluate", json=dict(context))) for flag, context in checks]


def payload_value(payload: Mapping[str, str] | None) -> Any:
    if payload is None:
        return None
    if payload["type"] == "string":
        return payload["value"]
    return json.loads(payload["value"])


def agrees(doc: Mapping[str, Any], result: Mapping[str, Any], answer: Answer) -> bool:
    """docs/unleash.md's equality: a boolean flag's `isEnabled` is Vexil's `active`; any other flag's
    `getVariant` names Vexil's variant (`disabled` standing for the default variant) and carries its
    payload."""
    variants = doc["variants"]
    pairs = sorted((v["name"], v["payload"], v["weight"] if v["name"] == "off" else 1) for v in variants)
    boolean = doc["default_variant"] == "off" and pairs == [("off", None, 0), ("on", None, 1)]
    if boolean:
        return bool(answer.enabled == result["active"])
    if answer.variant == "disabled":
        return bool(result["variant"] == doc["default_variant"])
    return bool(answer.variant == result["variant"] and payload_value(answer.payload) == result["payload"])
