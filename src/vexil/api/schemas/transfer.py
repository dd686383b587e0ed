"""Export and import: the exported state, an import's body, and what it did (docs/spec.md, Import)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from vexil.api.inputs import Input
from vexil.api.schemas.flags import FlagOut
from vexil.api.schemas.segments import SegmentOut


class ExportOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: int
    exported_at: str
    environments: list[dict[str, Any]]
    flags: list[FlagOut]
    segments: list[SegmentOut]


class ImportInput(Input):
    version: StrictInt = 1
    exported_at: str | None = None
    environments: list[dict[str, Any]] = Field(default_factory=list)
    flags: list[dict[str, Any]] = Field(default_factory=list)
    segments: list[dict[str, Any]] = Field(default_factory=list)


class ImportNames(BaseModel):
    flags: list[str]
    segments: list[str]
    environments: list[str]


class ImportResult(BaseModel):
    """The counts after the import, and what it created, changed and deleted (docs/spec.md, Import)."""

    flags: int
    segments: int
    environments: int
    dry_run: bool = Field(description="True: nothing was written, this is what the import would do.")
    mode: Literal["replace", "merge"]
    created: ImportNames
    changed: ImportNames
    deleted: ImportNames
    restored_from: int | None = Field(default=None, description="A restore: the import event whose state it put back.")
    state: str = Field(description="The tag of the state planned against; pass it as `if_state` to apply this plan.")
