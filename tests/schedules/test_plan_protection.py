"""Release plans and protected environments after the plan is made (docs/schedules.md, "Release
plans"): pausing, resuming and cancelling a plan whose pending steps touch a protected environment
is an admin's, as making it is; a plan that touches none stays an editor's."""

from __future__ import annotations

import pytest

from tests.schedules.harness import Clock, Replica, replica
from vexil.config import Settings

STEPS = [{"after_hours": 1, "rollout_percentage": 10}, {"after_hours": 1, "rollout_percentage": 50}]
IN_PRODUCTION = {"flag": "checkout", "environment": "production", "steps": STEPS}


async def editor_of(node: Replica) -> dict[str, str]:
    editor = await node.call("POST", "/tokens", {"name": "ed", "role": "editor"})
    return {"Authorization": f"Bearer {editor['token']}"}


@pytest.mark.parametrize(
    ("paused_first", "method", "action"),
    [(False, "POST", "pause"), (True, "POST", "resume"), (False, "DELETE", "")],
    ids=["pause", "resume", "cancel"],
)
async def test_plan_move__editor_on_admins_plan_in_protected_environment__refused_and_unchanged(
    settings: Settings, clock: Clock, paused_first: bool, method: str, action: str
) -> None:
    async with replica(settings, clock) as node:
        # Given production protected, and an admin's plan of production's rollout (paused, to resume)
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        await node.call("PATCH", "/environments/production", {"protected": True})
        plan = await node.call("POST", "/release-plans", IN_PRODUCTION)
        if paused_first:
            await node.call("POST", f"/release-plans/{plan['id']}/pause")
        state = (await node.call("GET", f"/release-plans/{plan['id']}"))["state"]
        # When an editor pauses, resumes or cancels it
        url = f"/release-plans/{plan['id']}" + (f"/{action}" if action else "")
        response = await node.http.request(method, url, headers=await editor_of(node))
        # Then it is refused, naming the environment and who may, and the plan is as it was
        assert response.status_code == 403, response.text
        said = response.json()["error"]
        assert "protected environment production" in said and "an admin must do it" in said
        assert (await node.call("GET", f"/release-plans/{plan['id']}"))["state"] == state


async def test_plan_resume__editor_in_protected_environment__no_step_applies(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given an admin's plan in protected production, paused past its first step's time
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        await node.call("PATCH", "/environments/production", {"protected": True})
        plan = await node.call("POST", "/release-plans", IN_PRODUCTION)
        await node.call("POST", f"/release-plans/{plan['id']}/pause")
        clock.move(hours=1, minutes=5)
        # When an editor tries to resume it, and the executor runs
        await node.http.post(f"/release-plans/{plan['id']}/resume", headers=await editor_of(node))
        ran = await node.run_due()
        # Then nothing reached production
        assert ran == []
        assert "production" not in (await node.call("GET", "/flags/checkout"))["environments"]
        # When the admin resumes it
        resumed = await node.call("POST", f"/release-plans/{plan['id']}/resume")
        # Then its overdue step applies
        assert resumed["state"] == "active"
        assert [item["step"] for item in await node.run_due()] == [1]


async def test_plan_move__flag_wide_plan_reaching_protected_environment__refused_for_editor(
    settings: Settings, clock: Clock
) -> None:
    async with replica(settings, clock) as node:
        # Given an admin's plan of the flag's own rollout, which protected production does not override
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        plan = await node.call("POST", "/release-plans", {"flag": "checkout", "steps": STEPS})
        await node.call("PATCH", "/environments/production", {"protected": True})
        # When an editor pauses it
        response = await node.http.post(f"/release-plans/{plan['id']}/pause", headers=await editor_of(node))
        # Then it is refused: its steps would reach production
        assert response.status_code == 403 and "production" in response.json()["error"]


async def test_plan_move__editor_outside_protected_environments__allowed(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given production protected, and an admin's plan of staging's rollout
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        await node.call("PATCH", "/environments/production", {"protected": True})
        plan = await node.call("POST", "/release-plans", {"flag": "checkout", "environment": "staging", "steps": STEPS})
        editor = await editor_of(node)
        # When an editor pauses, resumes and cancels it
        paused = await node.call("POST", f"/release-plans/{plan['id']}/pause", headers=editor)
        resumed = await node.call("POST", f"/release-plans/{plan['id']}/resume", headers=editor)
        cancelled = await node.call("DELETE", f"/release-plans/{plan['id']}", headers=editor)
        # Then each applies
        assert (paused["state"], resumed["state"], cancelled["state"]) == ("paused", "active", "cancelled")
        # And the clock passing changes nothing
        clock.move(hours=3)
        assert await node.run_due() == []


async def test_plan_move__unknown_plan_for_editor__404(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given no plan 77
        editor = await editor_of(node)
        # When an editor pauses it
        response = await node.http.post("/release-plans/77/pause", headers=editor)
        # Then 404 in words
        assert response.status_code == 404 and "error" in response.json()
