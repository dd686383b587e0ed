"""Code references (docs/code-refs.md): `POST /code-refs` keeps what `vexil refs --upload` found in
one repository and branch; `GET /code-refs` lists the repositories and branches; `GET
/flags/{name}/code-refs` says where one flag is referenced. The body is bounded twice: by the size
limit of every server-token body (`api/limits.py`) and by the counts below."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from vexil.api.deps import Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.routes.flags import FlagName
from vexil.core.names import NAME_PATTERN

router = APIRouter(tags=["flags"], responses=ERROR_RESPONSES)

# A reference line is cut to this many characters by the scanner; lines per flag per upload.
MAX_TEXT = 300
MAX_LINES_PER_FLAG = 1000
MAX_FLAGS = 10_000

Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CodeRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        description="The file, relative to the repository's root, with forward slashes."
    )
    line: int = Field(ge=1, le=2**31 - 1, description="The line number, from 1.")
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = Field(description="The line, trimmed.")


FlagKey = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class CodeRefsUpload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    repository: Label = Field(description="The repository's name, such as `acme/shop`.")
    branch: Label
    commit: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{7,64}$")] = Field(description="The commit scanned.")
    refs: Annotated[
        dict[FlagKey, Annotated[list[CodeRef], Field(max_length=MAX_LINES_PER_FLAG)]],
        Field(max_length=MAX_FLAGS),
    ] = Field(description="Each flag found, with the lines it was found on.")


class CodeRefsSummary(BaseModel):
    repository: str
    branch: str
    commit: str
    uploaded_at: str
    flags: int = Field(description="How many flags the scan found.")


class CodeRefsList(BaseModel):
    code_refs: list[CodeRefsSummary]


class FlagCodeRefs(BaseModel):
    repository: str
    branch: str
    commit: str
    uploaded_at: str
    references: list[CodeRef]


class FlagCodeRefsList(BaseModel):
    flag: str
    code_refs: list[FlagCodeRefs]


@router.post(
    "/code-refs",
    response_model=CodeRefsSummary,
    summary="Upload the code references of one repository and branch (server token)",
    description="Replaces what was kept for the same repository and branch.",
)
async def upload_code_refs(body: CodeRefsUpload, service: ServiceDep, _: Reader) -> dict[str, Any]:
    upload = body.model_dump()
    return await service.store.put_code_refs(upload)


@router.get("/code-refs", response_model=CodeRefsList, summary="The repositories and branches scanned")
async def list_code_refs(service: ServiceDep, _: Reader) -> dict[str, Any]:
    return {"code_refs": await service.store.list_code_refs()}


@router.get("/flags/{name}/code-refs", response_model=FlagCodeRefsList, summary="Where a flag is referenced in code")
async def flag_code_refs(name: FlagName, service: ServiceDep, _: Reader) -> dict[str, Any]:
    await service.store.get_flag(name)  # 404 for a flag that does not exist
    return {"flag": name, "code_refs": await service.store.flag_code_refs(name)}
