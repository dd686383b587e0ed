"""Edits of a flag as data, shared by change requests and schedules (docs/change-requests.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from vexil.api.inputs import Input, Name
from vexil.api.schemas.flags import FlagUpdate
from vexil.api.schemas.rules import OverrideInput

Version = Annotated[
    StrictInt | None,
    Field(default=None, ge=1, description="The flag's version the change is made against (default: its current one)."),
]


class PatchChange(Input):
    """A change like `PATCH /flags/{flag}`, its body as `fields` (a `version` there is the version made against)."""

    kind: Literal["patch"]
    flag: Name
    fields: FlagUpdate


class OverrideChange(Input):
    """A change like `POST /flags/{flag}/environments`, its body as `fields`."""

    kind: Literal["override"]
    flag: Name
    fields: OverrideInput
    version: Version = None


class RemoveOverrideChange(Input):
    """A change like `DELETE /flags/{flag}/environments/{environment}`."""

    kind: Literal["remove_override"]
    flag: Name
    environment: Name
    version: Version = None


class ToggleChange(Input):
    """A change like `POST /flags/{flag}/toggle?environment=`: kept as the `enable` it means when made."""

    kind: Literal["toggle"]
    flag: Name
    environment: Name | None = None
    version: Version = None


class EnableChange(Input):
    """Turn the flag on or off, its own switch (`environment` null) or one environment's."""

    kind: Literal["enable"]
    flag: Name
    environment: Name | None = None
    enabled: StrictBool
    version: Version = None


class AppChange(Input):
    """A change like `POST /flags/{flag}/apps` (`add_app`) or `DELETE /flags/{flag}/apps/{app}`."""

    kind: Literal["add_app", "remove_app"]
    flag: Name
    app: Name
    version: Version = None


ChangeInput = Annotated[
    PatchChange | OverrideChange | RemoveOverrideChange | ToggleChange | EnableChange | AppChange,
    Field(discriminator="kind"),
]
