"""API tokens: their roles, what creating one takes, and how they are listed (the secret shown once)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vexil.api.inputs import Input, Name

TokenRole = Literal["client", "server", "viewer", "editor", "admin"]


class TokenCreate(Input):
    name: Name
    role: TokenRole
    environment: Name | None = Field(
        default=None,
        description="Bind the token to this environment: every evaluation made with it happens there, and "
        "naming another environment is refused (403). Left out: unbound.",
    )


class TokenOut(BaseModel):
    name: str
    role: str
    prefix: str
    environment: str | None = None
    created_at: str
    revoked: bool


class TokenCreated(TokenOut):
    token: str = Field(description="The secret, shown this once.")


class TokenList(BaseModel):
    tokens: list[TokenOut]
