"""Evaluation answers, shared by the FastAPI routes and the raw ASGI fast path so that both
give the same bytes. Everything here reads the in-memory snapshot only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from vexil.engine import Snapshot

RESERVED = ("identifier", "app", "environment")


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def context_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A context from query parameters: reserved keys as they are, every other one an attribute."""
    context: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in pairs:
        if key in RESERVED:
            context[key] = value
        else:
            attributes[key.removeprefix("attributes.")] = value
    if attributes:
        context["attributes"] = attributes
    return context


def context_from_body(body: Mapping[str, Any], *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """A context from a JSON object; non-string reserved keys are ignored, not trusted."""
    context = {key: value for key, value in body.items() if key not in skip}
    for key in RESERVED:
        if key in context and not isinstance(context[key], str):
            del context[key]
    if not isinstance(context.get("attributes", {}), dict):
        del context["attributes"]
    return context


def single(snapshot: Snapshot, name: str, context: Mapping[str, Any], *, admin: bool) -> dict[str, Any]:
    result = snapshot.evaluate(name, context)
    if admin:
        return result.admin_dict()
    answer = result.client_dict()
    answer["flag"] = name
    return answer


def bulk(snapshot: Snapshot, context: Mapping[str, Any], names: Iterable[str] | None) -> dict[str, Any]:
    results = snapshot.evaluate_all(context) if names is None else snapshot.evaluate_many(list(names), context)
    return {"flags": {result.flag: result.client_dict() for result in results}}


def compat_check(snapshot: Snapshot, name: str, context: Mapping[str, Any]) -> dict[str, Any] | None:
    if name not in snapshot:
        return None
    result = snapshot.evaluate(name, context)
    return {"name": name, "enabled": result.active, "variant": result.variant, "reason": result.reason.value}


def compat_evaluate(snapshot: Snapshot, body: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /api/evaluate`: `{"environment", "user": {"id", "email", "country", "attributes"}}`."""
    user = body.get("user")
    user = user if isinstance(user, dict) else {}
    context: dict[str, Any] = {k: v for k, v in user.items() if k not in {"id", "attributes"}}
    if isinstance(user.get("id"), str | int):
        context["identifier"] = str(user["id"])
    if isinstance(user.get("attributes"), dict):
        context["attributes"] = user["attributes"]
    for key in ("environment", "app"):
        if isinstance(body.get(key), str):
            context[key] = body[key]
    return {
        "results": [
            {"flagKey": r.flag, "enabled": r.active, "variant": r.variant, "reason": r.reason.value}
            for r in snapshot.evaluate_all(context)
        ]
    }
