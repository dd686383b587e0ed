"""Webhooks (docs/webhooks.md), admin only: `POST /webhooks` subscribes a URL to the audit events it
chooses, `GET /webhooks` lists subscriptions (never their secrets), `DELETE /webhooks/{id}`
unsubscribes, `POST /webhooks/{id}/test` records a test event sent only to that webhook, and
`GET /webhooks/{id}/deliveries` is its delivery log. Deliveries are the deliverer's
(`core/deliverer.py`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vexil.api.deps import Admin, RuntimeDep
from vexil.api.errors import ERROR_RESPONSES, BadRequest
from vexil.api.params import plain_parameters
from vexil.core.sessions import utc_clock
from vexil.core.webhooks import BadWebhook, check_events, check_url

router = APIRouter(tags=["webhooks"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Names = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=200)]], Field(max_length=1000)]


class EventFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    flags: Names | None = Field(default=None, description="Only events of these flags.")
    environments: Names | None = Field(
        default=None, description="Only changes of these environments (a flag's own configuration counts for all)."
    )
    actions: Names | None = Field(default=None, description="Only these actions (create, update, toggle, ...).")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="Where events are POSTed: an http:// or https:// URL."
    )
    secret: Annotated[str, StringConstraints(min_length=8, max_length=500)] = Field(
        description="Signs every delivery (the `Vexil-Signature` header); never shown again."
    )
    events: EventFilter | None = Field(default=None, description="Which events; absent: every event.")
    format: Literal["vexil", "slack"] = Field(
        default="vexil", description='`vexil`: the audit event; `slack`: `{"text"}` for an incoming webhook.'
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    events: dict[str, list[str]]
    format: str
    created_at: str
    created_by: str


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class TestSent(BaseModel):
    event_id: int = Field(description="The test event's id; its attempts show in the delivery log.")


class Attempt(BaseModel):
    event_id: int
    attempt: int
    at: str
    outcome: Literal["delivered", "retry", "failed"]
    status: int | None = Field(description="The receiver's HTTP status, or null when it did not answer.")
    error: str | None
    next_retry: str | None


class AttemptList(BaseModel):
    deliveries: list[Attempt]


@router.get("/webhooks", response_model=WebhookList, summary="List webhooks (never their secrets)")
async def list_webhooks(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    return {"webhooks": await runtime.service.store.list_webhooks()}


@router.post("/webhooks", response_model=WebhookOut, status_code=201, summary="Subscribe a URL to events")
async def create_webhook(body: WebhookCreate, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    try:
        url = check_url(body.url)
        events = check_events(body.events.model_dump(exclude_none=True) if body.events else None)
    except BadWebhook as exc:
        raise BadRequest(str(exc)) from exc
    fields = {"url": url, "secret": body.secret, "events": events, "format": body.format}
    at = runtime.webhooks.clock() if runtime.webhooks else utc_clock()
    return await runtime.service.store.create_webhook(fields, at=at, actor=principal.name)


@router.delete("/webhooks/{id}", response_model=WebhookOut, summary="Unsubscribe (pending deliveries are dropped)")
async def delete_webhook(id: WebhookId, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    return await runtime.service.store.delete_webhook(id, actor=principal.name)


@router.post(
    "/webhooks/{id}/test", response_model=TestSent, status_code=202, summary="Send a test event to this webhook now"
)
async def test_webhook(id: WebhookId, runtime: RuntimeDep, principal: Admin) -> dict[str, Any]:
    event_id = await runtime.service.store.record_webhook_test(id, actor=principal.name)
    if runtime.webhooks is not None:
        runtime.webhooks.poke()
    return {"event_id": event_id}


@router.get("/webhooks/{id}/deliveries", response_model=AttemptList, summary="A webhook's delivery log, newest first")
async def webhook_deliveries(
    id: WebhookId, runtime: RuntimeDep, _: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    return {"deliveries": await runtime.service.store.webhook_attempts(id, limit=limit)}
