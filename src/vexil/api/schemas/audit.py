"""The audit log: its events, pages of them, and what a revert changed (docs/audit.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description="The person's email, or the token's name (`vexil`: Vexil itself).")
    actor_kind: Literal["person", "token", "vexil"]
    action: str
    entity: str
    entity_id: str
    before: Any = None
    after: Any = None
    via: dict[str, Any] | None = Field(
        default=None,
        description="Only for a write made by applying a change request: "
        "`{change_request, requester, approvers, applied_by}`.",
    )
    reverts: int | None = Field(default=None, description="A revert's: the event whose `before` it put back.")


class RevertOut(BaseModel):
    """What a revert changed, shaped like the audit event it made (`after` null: deleted)."""

    reverts: int
    action: Literal["revert"]
    entity: Literal["flag", "segment"]
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    next_before_id: int | None = Field(description="Pass as ?before_id= for the next page.")
