"""Service info, health and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from vexil import __version__
from vexil.api.deps import ServiceDep
from vexil.api.schemas import HealthOut
from vexil.store.errors import StoreError

router = APIRouter(tags=["meta"])


@router.get("/", summary="Service info and the list of endpoints")
async def root(request: Request) -> dict[str, Any]:
    paths = request.app.openapi()["paths"]
    endpoints = [f"{method.upper()} {path}" for path, operations in sorted(paths.items()) for method in operations]
    return {
        "service": "vexil",
        "version": __version__,
        "docs": "/docs",
        "openapi": "/openapi.json",
        "endpoints": endpoints,
    }


@router.get("/health", response_model=HealthOut, summary="Liveness and storage status")
async def health(service: ServiceDep) -> dict[str, Any]:
    try:
        await service.store.change_marker()
        storage = "ok"
    except StoreError as exc:
        storage = f"unavailable: {exc}"
    return {
        "status": "ok" if storage == "ok" else "degraded",
        "storage": storage,
        "flags": len(service.snapshot),
        "version": __version__,
    }


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
async def metrics(request: Request, service: ServiceDep) -> str:
    counters: dict[str, int] = request.app.state.counters
    lines = [
        "# HELP vexil_flags Flags in the in-memory snapshot.",
        "# TYPE vexil_flags gauge",
        f"vexil_flags {len(service.snapshot)}",
        "# HELP vexil_evaluations_total Evaluation requests answered.",
        "# TYPE vexil_evaluations_total counter",
        f"vexil_evaluations_total {counters.get('evaluations', 0)}",
    ]
    return "\n".join(lines) + "\n"
