"""Change requests through the service, on SQLite and PostgreSQL: a write that touches a protected
environment waits in a change request unless its author may bypass it (core/protection.py), and
an approved request applies all its changes or none (docs/change-requests.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from vexil.core.auth import Forbidden, Principal, Role, TokenCache
from vexil.core.service import FlagService
from vexil.core.validation import InvalidInput
from vexil.store import Conflict, SqlStore

ADMIN = Principal("root", Role.ADMIN)
# A principal who may write but not bypass protection (the editor role, once there is one).
WRITER = Principal("ed", Role.SERVER)
Doc = dict[str, Any]


@pytest.fixture
async def service(store: SqlStore) -> AsyncIterator[FlagService]:
    """A service over a store whose production is protected, with a flag `checkout` (off)."""
    flags = FlagService(store, TokenCache())
    await flags.load()
    await flags.protect_environment("production", protected=True, required_approvals=1, actor="root")
    await flags.create_flag({"name": "checkout"}, actor="root")
    yield flags


def turn_on(flag: str = "checkout", environment: str | None = "production") -> Doc:
    return {"kind": "toggle", "flag": flag, "environment": environment}


async def test_submit__writer_toggles_in_protected_environment__change_request_and_nothing_changes(
    service: FlagService,
) -> None:
    # When a writer who may not bypass toggles checkout in production
    flag, request = await service.submit(turn_on(), principal=WRITER)
    # Then nothing was written; a change request holds the toggle as what it meant: enable, made against v1
    assert flag is None and request is not None
    assert (request["state"], request["requester"], request["environments"]) == ("open", "ed", ["production"])
    assert request["changes"] == [
        {"kind": "enable", "flag": "checkout", "environment": "production", "enabled": True, "version": 1}
    ]
    assert (await service.store.get_flag("checkout"))["version"] == 1
    assert service.snapshot.evaluate("checkout", {"environment": "production"}).active is False


async def test_submit__writer_changes_only_the_description__applied_directly(service: FlagService) -> None:
    edit = {"kind": "patch", "flag": "checkout", "fields": {"description": "The new checkout"}}
    flag, request = await service.submit(edit, principal=WRITER)
    assert request is None and flag is not None and flag["description"] == "The new checkout"


async def test_submit__writer_changes_unprotected_environment__applied_directly(service: FlagService) -> None:
    flag, request = await service.submit(turn_on(environment="staging"), principal=WRITER)
    assert request is None and flag is not None and flag["environments"] == {"staging": {"enabled": True}}


async def test_submit__admin_in_protected_environment__applied_directly(service: FlagService) -> None:
    flag, request = await service.submit(turn_on(), principal=ADMIN)
    assert request is None and flag is not None and flag["environments"] == {"production": {"enabled": True}}


async def test_change_request__approved_by_another_and_applied__flag_served_and_audited(service: FlagService) -> None:
    # Given the writer's change request
    _, request = await service.submit(turn_on(), principal=WRITER)
    assert request is not None
    # When the requester tries to approve it; Then refused
    with pytest.raises(Forbidden, match="someone else"):
        await service.approve_change_request(request["id"], "", actor="ed")
    # When another approves, and it is applied
    approved = await service.approve_change_request(request["id"], "looks right", actor="ana")
    assert (approved["state"], approved["approvals"]) == ("approved", ["ana"])
    applied = await service.apply_change_request(request["id"], actor="ana")
    # Then it is applied, production serves the flag on, and the audit event names requester and approver
    assert applied["state"] == "applied"
    assert service.snapshot.evaluate("checkout", {"environment": "production"}).active is True
    event = (await service.store.list_audit(flag="checkout", limit=1))[0]
    assert event["actor"] == "ed"
    assert event["via"] == {
        "change_request": request["id"],
        "requester": "ed",
        "approvers": ["ana"],
        "applied_by": "ana",
    }


async def test_apply_change_request__not_approved__refused(service: FlagService) -> None:
    _, request = await service.submit(turn_on(), principal=WRITER)
    assert request is not None
    with pytest.raises(Conflict, match="only an approved one"):
        await service.apply_change_request(request["id"], actor="ana")


async def test_apply_change_request__flag_moved__refused_then_applies_after_rebase_and_approval(
    service: FlagService,
) -> None:
    # Given an approved change request, and the flag changed since
    _, request = await service.submit(turn_on(), principal=WRITER)
    assert request is not None
    await service.approve_change_request(request["id"], "", actor="ana")
    await service.patch_flag("checkout", {"rollout_percentage": 50}, actor="root", expected_version=None)
    # When applied; Then refused: it must be rebased
    with pytest.raises(Conflict, match="rebase"):
        await service.apply_change_request(request["id"], actor="ana")
    # When rebased: approvals cleared; approved again and applied
    rebased = await service.rebase_change_request(request["id"], actor="ed")
    assert (rebased["state"], rebased["approvals"], rebased["changes"][0]["version"]) == ("open", [], 2)
    await service.approve_change_request(request["id"], "", actor="ana")
    await service.apply_change_request(request["id"], actor="ana")
    # Then both the later change and the request's are there
    flag = await service.store.get_flag("checkout")
    assert (flag["rollout_percentage"], flag["environments"]) == (50, {"production": {"enabled": True}})


async def test_apply_change_request__one_change_no_longer_valid__nothing_applied(service: FlagService) -> None:
    # Given a request of two changes: checkout on in production, and search requiring `gate`
    await service.create_flag({"name": "search"}, actor="root")
    await service.create_flag({"name": "gate"}, actor="root")
    changes = [
        {**turn_on(), "kind": "enable", "enabled": True},
        {"kind": "patch", "flag": "search", "fields": {"prerequisites": [{"flag": "gate"}]}},
    ]
    request = await service.create_change_request("Launch", changes, actor="ed")
    await service.approve_change_request(request["id"], "", actor="ana")
    # And `gate` deleted since (no version of checkout or search moved)
    await service.delete_flag("gate", actor="root")
    # When applied; Then the second change is refused, and the first was not applied either
    with pytest.raises(InvalidInput, match="gate"):
        await service.apply_change_request(request["id"], actor="ana")
    assert (await service.store.get_flag("checkout"))["environments"] == {}
    assert (await service.store.get_change_request(request["id"]))["state"] == "approved"


async def test_change_request__read__diff_against_current_state_and_impact_seam(service: FlagService) -> None:
    # Given a request, and an impact preview plugged into the service
    _, request = await service.submit(turn_on(), principal=WRITER)
    assert request is not None
    read = await service.change_request(request["id"])
    # Then without a preview, impact is null; the diff says what changes against the flag as it is
    assert read["impact"] is None
    assert read["diff"] == [
        {
            "flag": "checkout",
            "made_against": 1,
            "current_version": 1,
            "applicable": True,
            "changes": [{"path": "environments.production.enabled", "before": None, "after": True}],
        }
    ]

    async def preview(request: Doc, proposed: Mapping[str, tuple[Doc | None, Doc | None]]) -> Doc:
        return {name: [before is not None, after is not None] for name, (before, after) in proposed.items()}

    service.impact = preview
    assert (await service.change_request(request["id"]))["impact"] == {"checkout": [True, True]}


async def test_change_request__two_approvals_required__approved_at_the_second(service: FlagService) -> None:
    await service.protect_environment("production", protected=None, required_approvals=2, actor="root")
    _, request = await service.submit(turn_on(), principal=WRITER)
    assert request is not None and request["required_approvals"] == 2
    assert (await service.approve_change_request(request["id"], "", actor="ana"))["state"] == "open"
    assert (await service.approve_change_request(request["id"], "", actor="bo"))["state"] == "approved"


async def test_submit__writer_describes_a_rich_flag__applied_directly(service: FlagService) -> None:
    # Given a flag with variants, rules, an allowlist and overrides everywhere, production's included
    rich = {
        "name": "pricing",
        "enabled": True,
        "rollout_percentage": 12.5,
        "variants": [{"name": "a", "payload": {"price": 9}}, {"name": "b", "weight": 3}],
        "default_variant": "a",
        "allowlist": {"user-1": "b"},
        "rules": [{"conditions": [{"field": "plan", "operator": "in", "value": ["pro"]}], "rollout_percentage": 50}],
        "environments": {"production": {"rollout_percentage": 5, "rules": []}, "staging": {"enabled": False}},
    }
    await service.create_flag(rich, actor="root")
    # When a writer changes only what describes it; Then it applies directly: no environment evaluates otherwise
    edit = {"kind": "patch", "flag": "pricing", "fields": {"description": "Prices", "tags": ["pricing"]}}
    flag, request = await service.submit(edit, principal=WRITER)
    assert request is None and flag is not None and flag["tags"] == ["pricing"]
