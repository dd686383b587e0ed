"""Reading the recorded Unleash answers (tests/fixtures/unleash/answers.json) in Vexil's terms."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures" / "unleash"


def vexil_context(unleash: dict[str, Any]) -> dict[str, Any]:
    """An Unleash SDK context as Vexil's: userId the identifier, appName the app, the properties
    and the other fields (remoteAddress, sessionId) attributes of the same names."""
    reserved = {"userId", "appName", "environment", "properties"}
    attributes = {**unleash.get("properties", {}), **{k: v for k, v in unleash.items() if k not in reserved}}
    context: dict[str, Any] = {"attributes": attributes}
    if "userId" in unleash:
        context["identifier"] = unleash["userId"]
    if "appName" in unleash:
        context["app"] = unleash["appName"]
    return context


@cache
def _has_variants(feature: str) -> bool:
    documents = json.loads((FIXTURES / "export.json").read_text())
    exports = [doc for doc in documents if "features" in doc]
    return any(
        item.get("variants") and item.get("featureName") == feature
        for doc in exports
        for item in doc["featureStrategies"] + doc["featureEnvironments"]
    )


def payload_value(payload: dict[str, Any] | None) -> Any:
    """An Unleash payload `{type, value}` as the JSON value it stands for."""
    if payload is None:
        return None
    if payload["type"] == "json":
        return json.loads(payload["value"])
    if payload["type"] == "number":
        number = float(payload["value"])
        return int(number) if number.is_integer() else number
    return payload["value"]  # string, csv


def unleash_as_vexil(feature: str, row: list[Any]) -> list[Any]:
    """What Vexil must answer for an Unleash answer `[isEnabled, variant name, payload]`: active is
    isEnabled; Unleash's `disabled` variant is Vexil's default (`off` for a feature without
    variants, whose enabled answer is `on`; `disabled` for one with variants)."""
    enabled, variant, payload = row
    if variant == "disabled":
        if not _has_variants(feature):
            return [enabled, "on" if enabled else "off", None]
        return [enabled, "disabled", None]
    return [enabled, variant, payload_value(payload)]
