"""Service info, health and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse

from vexil import __version__
from vexil.api.credentials import token_from_headers
from vexil.api.deps import RuntimeDep
from vexil.api.runtime import Runtime
from vexil.api.schemas import HealthOut
from vexil.core.auth import Role

router = APIRouter(tags=["meta"])


UI_PATH = "/ui/"
_TO_THE_UI: dict[int | str, dict[str, Any]] = {
    307: {"description": f"A browser (`Accept: text/html`) is sent to the admin UI, `{UI_PATH}`."}
}


@router.get("/", summary="Service info and the list of endpoints", responses=_TO_THE_UI)
async def root(request: Request) -> Any:
    """API clients get JSON; a browser, which asks for HTML first, the admin UI (a person typing the
    server's address wants the UI, a script wants to know what is here)."""
    if _wants_html(request.headers.get("accept", "")):
        return RedirectResponse(UI_PATH, status_code=307)
    paths = request.app.openapi()["paths"]
    endpoints = [f"{method.upper()} {path}" for path, operations in sorted(paths.items()) for method in operations]
    return {
        "service": "vexil",
        "version": __version__,
        "docs": "/docs",
        "openapi": "/openapi.json",
        "endpoints": endpoints,
    }


def _wants_html(accept: str) -> bool:
    """Whether `text/html` is among what the caller accepts (browsers list it; `*/*` alone does not count)."""
    return any(part.split(";")[0].strip().lower() == "text/html" for part in accept.split(","))


def _health(runtime: Runtime, *, details: bool) -> tuple[bool, dict[str, str], list[str]]:
    """Whether all is well, storage and bus as the replicator saw them, and the quarantined documents."""
    replication: dict[str, str] = runtime.replicator.health(details=details)
    storage, bus = replication["storage"], replication["bus"]
    quarantined = sorted(runtime.service.quarantined)
    healthy = storage == "ok" and (bus == "none" or bus.endswith(": ok")) and not quarantined
    return healthy, replication, quarantined


@router.get("/health", response_model=HealthOut, summary="Liveness, storage and change-bus status")
async def health(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Always 200 while the process serves: with the database or the bus down, evaluations are still
    answered from memory. What is down shows in `storage` and `bus` (as last probed: the database
    is asked every second, and this endpoint never waits for it), and `status` is then `degraded`.
    Why it is down (drivers' messages, addresses, paths) is shown to callers with a server or admin
    token, or to everyone with `VEXIL_HEALTH_DETAILS=true`. Stored documents that cannot be served
    are quarantined and named in `quarantined` (docs/spec.md §1, "Stored values")."""
    details = runtime.settings.health_details
    if not details:
        principal = runtime.service.tokens.authenticate(token_from_headers(request.scope["headers"]))
        details = principal is not None and principal.can(Role.SERVER)
    healthy, replication, quarantined = _health(runtime, details=details)
    return {
        "status": "ok" if healthy else "degraded",
        "storage": replication["storage"],
        "bus": replication["bus"],
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
        "# HELP vexil_healthy 1 when storage and the change bus are ok (as /health's status), else 0.",
        "# TYPE vexil_healthy gauge",
        f"vexil_healthy {int(_health(runtime, details=False)[0])}",
        *flag_evaluation_lines(runtime),
    ]
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    """A Prometheus label value, escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def flag_evaluation_lines(runtime: Runtime) -> list[str]:
    """Per flag, variant and environment, the evaluations this process counted since it started;
    only flags the server has, so the series stay as many as the flags' variants and environments."""
    snapshot = runtime.service.snapshot
    lines = [
        "# HELP vexil_flag_evaluations_total Evaluations counted by flag, variant and environment (this process).",
        "# TYPE vexil_flag_evaluations_total counter",
    ]
    for (flag, variant, environment), count in sorted(runtime.usage.settled_totals().items()):
        if flag in snapshot:
            labels = f'flag="{_label(flag)}",variant="{_label(variant)}",environment="{_label(environment)}"'
            lines.append(f"vexil_flag_evaluations_total{{{labels}}} {count}")
    return lines
