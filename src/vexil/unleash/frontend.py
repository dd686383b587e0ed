"""Unleash's frontend API in Vexil's terms, both ways: the context a browser or mobile SDK sends,
as a Vexil context, and a Vexil evaluation as one of the toggles it expects back. Pure.

Context (docs/unleash-frontend.md, "Context"): `userId` is the identifier and `appName` the app;
`environment` is dropped, since on this surface the token decides where evaluation happens;
`properties` and every other field (`sessionId`, `remoteAddress`, `currentTime` and whatever else
a client puts at the top) become attributes of their own name, as Unleash moves unknown top-level
fields into `properties`. What the values may be is checked by the caller with Vexil's one context
reader, so that this surface refuses what every other one refuses.

Toggles: Unleash's frontend API lists only the flags that are enabled for the context, so a flag
whose answer is not active is left out, and the SDK's own fallback (`isEnabled` false, the
`disabled` variant) applies. A listed toggle carries the variant Vexil served, with its payload as
Unleash's `{type, value}`, where `value` is always text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from vexil.engine import Evaluation
from vexil.unleash.payloads import unleash_payload

# Unleash's names of the three context fields that Vexil reserves (`environment` is dropped).
IDENTIFIER = "userId"
APP = "appName"
ENVIRONMENT = "environment"
PROPERTIES = "properties"
# The Unleash fields that are Vexil's reserved context keys, and those that are no attribute.
RESERVED = {IDENTIFIER: "identifier", APP: "app"}
DROPPED = frozenset({ENVIRONMENT, PROPERTIES})
# How an error names a Vexil context key, in the words of the Unleash context.
LABELS = {"identifier": IDENTIFIER, "app": APP, "attributes": PROPERTIES}
# The variant an SDK reports for a flag that is off or unknown; never one of Vexil's answers.
DISABLED_VARIANT = "disabled"


def context(fields: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """A Vexil context from an Unleash context's top-level `fields` and its `properties`.

    An empty or null `userId`/`appName` counts as absent, as Unleash drops empty top-level fields;
    a property given as null is absent too (a JSON null means absent in Vexil's contexts)."""
    out: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in fields.items():
        reserved = RESERVED.get(key)
        if reserved is not None:
            if value is not None and value != "":
                out[reserved] = value
        elif key not in DROPPED and value is not None:
            attributes[key] = value
    attributes.update((key, value) for key, value in properties.items() if value is not None)
    if attributes:
        out["attributes"] = attributes
    return out


def query_context(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A Vexil context from a query string as unleash-proxy-client writes it: the context's fields
    by name and each property as `properties[NAME]=VALUE` (the last of repeated ones wins)."""
    fields: dict[str, str] = {}
    properties: dict[str, str] = {}
    for key, value in pairs:
        if key.startswith(PROPERTIES + "[") and key.endswith("]"):
            properties[key[len(PROPERTIES) + 1 : -1]] = value
        else:
            fields[key] = value
    return context(fields, properties)


def toggle(result: Evaluation) -> dict[str, Any]:
    """One entry of the frontend API's `toggles` for an active result: the flag is enabled, and its
    variant is the one Vexil served (Unleash's `feature_enabled` says the flag is on)."""
    variant: dict[str, Any] = {"name": result.variant, "enabled": True, "feature_enabled": True}
    encoded = unleash_payload(result.payload)
    if encoded is not None:
        variant["payload"] = encoded
    return {"name": result.flag, "enabled": True, "variant": variant, "impressionData": False}


def toggles(results: Iterable[Evaluation]) -> bytes:
    """The frontend API's answer, `{"toggles": [...]}`: the active results only, in the order given."""
    return orjson.dumps({"toggles": [toggle(result) for result in results if result.active]})
