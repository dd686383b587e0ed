"""People and their sessions: accounts, sign-in, and who the caller is (a token or a person)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool

from vexil.api.inputs import Input
from vexil.api.schemas.tokens import TokenRole

PersonRole = Literal["viewer", "editor", "admin"]


class TokenWhoAmI(BaseModel):
    kind: Literal["token"]
    name: str
    role: TokenRole
    environment: str | None = None


class PersonWhoAmI(BaseModel):
    kind: Literal["person"]
    id: int
    email: str
    name: str
    role: PersonRole
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` with every change made with the session cookie.")


# A token (its name, role and environment) or a signed-in person (with the session's CSRF token).
WhoAmI = Annotated[TokenWhoAmI | PersonWhoAmI, Field(discriminator="kind")]


class PersonCreate(Input):
    email: str = Field(max_length=254, description="Unique whatever its case; kept lowercased.")
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(
        default=None, min_length=10, max_length=1024, description="Left out: the person cannot sign in with one."
    )
    role: PersonRole


class PersonPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: PersonRole | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    disabled: StrictBool | None = Field(
        default=None, description="A disabled person cannot sign in; their sessions end."
    )


class PersonOut(BaseModel):
    id: int
    email: str
    name: str
    role: PersonRole
    disabled: bool
    has_password: bool
    created_at: str
    updated_at: str


class PeopleList(BaseModel):
    people: list[PersonOut]


class SignIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
