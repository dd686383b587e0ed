"""Change requests (docs/change-requests.md): list, create, read with a diff against the flags as they
are, comment, approve, reject, rebase and apply; and `answered`, how a flag write that became a
change request answers (202, the change request).

Who may do what: reading needs a server or admin token, everything else the role that writes flags
(`Writer`); approving needs someone other than the requester, which the core checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from vexil.api.deps import Editor, Reader, ServiceDep
from vexil.api.errors import ERROR_RESPONSES
from vexil.api.params import plain_parameters
from vexil.api.schemas import (
    ChangeRequestCreate,
    ChangeRequestList,
    ChangeRequestOut,
    CommentInput,
    ReviewInput,
)
from vexil.core.auth import Role
from vexil.core.change_requests import STATES
from vexil.core.values import readable

router = APIRouter(tags=["change requests"], responses=ERROR_RESPONSES, dependencies=[Depends(plain_parameters)])

# Who may write flags, and so make, review and apply change requests: editors and admins (an
# editor's writes in a protected environment become change requests; an admin's apply directly).
Writer = Editor
RequestId = Annotated[int, Path(ge=1, le=2**62, description="The change request's id.")]
StateQuery = Annotated[
    str | None, Query(pattern="^(" + "|".join(STATES) + ")$", description="Only those in this state.")
]

# How a flag write documents that it may become a change request.
REQUESTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": ChangeRequestOut,
        "description": "The write touches a protected environment: nothing changed, this change request holds it",
    }
}


def answered(flag: dict[str, Any] | None, request: dict[str, Any] | None) -> Any:
    """What a flag write answers (`FlagService.submit`): the flag written, or 202 with the change
    request that holds the write."""
    if request is not None:
        return JSONResponse(readable(request), status_code=202)
    return flag


def edit_of(change: Any) -> dict[str, Any]:
    """A change of a request's body as an edit (core/edits.py), with the version it is made against."""
    fields = change.model_dump()
    if change.kind == "patch":
        given = change.fields.given()
        fields["version"] = given.pop("version", None)
        fields["fields"] = given
    elif change.kind == "override":
        given = change.fields.given()
        fields["environment"] = given.pop("environment")
        fields["fields"] = given
    return {key: value for key, value in fields.items() if key != "version" or value is not None}


@router.get("/change-requests", response_model=ChangeRequestList, summary="List change requests, newest first")
async def list_change_requests(service: ServiceDep, _: Reader, state: StateQuery = None) -> dict[str, Any]:
    return {"change_requests": [readable(r) for r in await service.store.list_change_requests(state=state)]}


@router.post("/change-requests", response_model=ChangeRequestOut, status_code=201, summary="Create a change request")
async def create_change_request(body: ChangeRequestCreate, service: ServiceDep, principal: Writer) -> dict[str, Any]:
    changes = [edit_of(change) for change in body.changes]
    request = await service.create_change_request(body.title, changes, actor=principal.name, draft=body.draft)
    return readable(request)  # type: ignore[no-any-return]


@router.get(
    "/change-requests/{id}",
    response_model=ChangeRequestOut,
    summary="Read a change request, with the diff of its changes against the flags as they are",
)
async def get_change_request(id: RequestId, service: ServiceDep, principal: Reader) -> dict[str, Any]:
    # The impact preview is for those who may write (docs/impact.md): a reader gets `impact` null.
    request = await service.change_request(id, with_impact=principal.can(Role.EDITOR))
    return readable(request)  # type: ignore[no-any-return]


@router.post("/change-requests/{id}/comments", response_model=ChangeRequestOut, summary="Comment on a change request")
async def comment(id: RequestId, body: CommentInput, service: ServiceDep, principal: Writer) -> dict[str, Any]:
    return readable(await service.comment_change_request(id, body.text, actor=principal.name))  # type: ignore[no-any-return]


@router.post("/change-requests/{id}/open", response_model=ChangeRequestOut, summary="Open a draft for review")
async def open_request(id: RequestId, service: ServiceDep, principal: Writer) -> dict[str, Any]:
    return readable(await service.open_change_request(id, actor=principal.name))  # type: ignore[no-any-return]


@router.post(
    "/change-requests/{id}/approve",
    response_model=ChangeRequestOut,
    summary="Approve a change request (not its requester); approved once it has the approvals its environments require",
)
async def approve(
    id: RequestId, service: ServiceDep, principal: Writer, body: ReviewInput | None = None
) -> dict[str, Any]:
    text = body.text if body is not None else ""
    return readable(await service.approve_change_request(id, text, actor=principal.name))  # type: ignore[no-any-return]


@router.post("/change-requests/{id}/reject", response_model=ChangeRequestOut, summary="Reject a change request")
async def reject(
    id: RequestId, service: ServiceDep, principal: Writer, body: ReviewInput | None = None
) -> dict[str, Any]:
    text = body.text if body is not None else ""
    return readable(await service.reject_change_request(id, text, actor=principal.name))  # type: ignore[no-any-return]


@router.post(
    "/change-requests/{id}/rebase",
    response_model=ChangeRequestOut,
    summary="Make the changes again against the flags as they are now; approvals are cleared",
)
async def rebase(id: RequestId, service: ServiceDep, principal: Writer) -> dict[str, Any]:
    return readable(await service.rebase_change_request(id, actor=principal.name))  # type: ignore[no-any-return]


@router.post(
    "/change-requests/{id}/apply",
    response_model=ChangeRequestOut,
    summary="Apply an approved change request: all its changes in one transaction, or none "
    "(409 if a flag changed since: rebase it)",
)
async def apply(id: RequestId, service: ServiceDep, principal: Writer) -> dict[str, Any]:
    return readable(await service.apply_change_request(id, actor=principal.name))  # type: ignore[no-any-return]
