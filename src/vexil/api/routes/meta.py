"""Service info, health and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from vexil import __version__
from vexil.api.deps import RuntimeDep
from vexil.api.schemas import HealthOut

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


@router.get("/health", response_model=HealthOut, summary="Liveness, storage and change-bus status")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    """Always 200 while the process serves: with the database or the bus down, evaluations are still
    answered from memory. What is down shows in `storage` and `bus` (as of the last check, which
    runs every second or so), and `status` is then `degraded`. Stored documents that cannot be
    served are quarantined and named in `quarantined` (docs/spec.md §1, "Stored values")."""
    replication: dict[str, str] = runtime.replicator.health()
    storage, bus = replication["storage"], replication["bus"]
    quarantined = sorted(runtime.service.quarantined)
    healthy = storage == "ok" and (bus == "none" or bus.endswith(": ok")) and not quarantined
    return {
        "status": "ok" if healthy else "degraded",
        "storage": storage,
        "bus": bus,
        "flags": len(runtime.service.snapshot),
        "quarantined": quarantined,
        "version": __version__,
    }


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
async def metrics(runtime: RuntimeDep) -> str:
    counters = runtime.counters
    lines = [
        "# HELP vexil_flags Flags in the in-memory snapshot.",
        "# TYPE vexil_flags gauge",
        f"vexil_flags {len(runtime.service.snapshot)}",
        "# HELP vexil_evaluations_total Evaluation requests answered.",
        "# TYPE vexil_evaluations_total counter",
        f"vexil_evaluations_total {counters.get('evaluations', 0)}",
    ]
    return "\n".join(lines) + "\n"
