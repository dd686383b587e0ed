"""Scheduled changes and release plans through the API, with a clock the test moves
(docs/schedules.md): applied when due, exactly once, audited as `vexil` with how late; cancel,
pause and resume; a change missed while the server was down applies at its next start; bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN
from tests.schedules.harness import Clock, Replica, iso, replica
from vexil.config import Settings


async def flag_events(node: Replica, flag: str) -> list[dict[str, Any]]:
    """The flag's audit events, oldest first."""
    events: list[dict[str, Any]] = (await node.call("GET", f"/audit?flag={flag}&limit=100"))["events"]
    return list(reversed(events))


async def test_schedule__due__applies_once_as_vexil_with_lateness(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given a flag that is off, and a change scheduled to turn it on in an hour
        await node.call("POST", "/flags", {"name": "launch"})
        at = clock.now + timedelta(hours=1)
        body = {"at": iso(at), "changes": [{"kind": "enable", "flag": "launch", "enabled": True}]}
        made = await node.call("POST", "/schedules", body)
        assert made["state"] == "pending" and made["title"] == "Turn launch on"
        # When the executor runs before it is due
        assert await node.run_due() == []
        # Then nothing changed
        assert (await node.call("GET", "/flags/launch"))["enabled"] is False
        # When the clock passes its time by 90 seconds, and the executor runs twice
        clock.move(hours=1, seconds=90)
        first, second = await node.run_due(), await node.run_due()
        # Then it applied once, 90 seconds late, and the flag is on
        assert [item["id"] for item in first] == [made["id"]] and second == []
        assert first[0]["state"] == "applied" and first[0]["late_seconds"] == 90
        assert (await node.call("GET", "/flags/launch"))["enabled"] is True
        # And its audit event names vexil, the schedule and how late
        event = (await flag_events(node, "launch"))[-1]
        assert event["actor"] == "vexil" and event["action"] == "enable"
        assert event["via"]["schedule"] == made["id"] and event["via"]["late_seconds"] == 90
        assert event["via"]["scheduled_by"] == "admin"
        # And the list shows it applied
        listed = (await node.call("GET", "/schedules?flag=launch"))["schedules"]
        assert [(item["id"], item["state"]) for item in listed] == [(made["id"], "applied")]


async def test_schedule__cancelled__never_applies_and_cannot_be_cancelled_twice(
    settings: Settings, clock: Clock
) -> None:
    async with replica(settings, clock) as node:
        # Given a scheduled change
        await node.call("POST", "/flags", {"name": "launch"})
        body = {"at": iso(clock.now + timedelta(hours=1)), "changes": [{"kind": "toggle", "flag": "launch"}]}
        made = await node.call("POST", "/schedules", body)
        # When it is cancelled, and its time passes
        cancelled = await node.call("DELETE", f"/schedules/{made['id']}")
        clock.move(hours=2)
        ran = await node.run_due()
        # Then it never applies
        assert cancelled["state"] == "cancelled" and ran == []
        assert (await node.call("GET", "/flags/launch"))["enabled"] is False
        # And cancelling it again answers 409 in words
        again = await node.http.delete(f"/schedules/{made['id']}", headers=ADMIN)
        assert again.status_code == 409 and "only a pending one" in again.json()["error"]


async def test_plan__steps__apply_in_order_each_audited_with_plan_and_step(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given a flag at 0 % in production, and a plan of 5 %, 25 % and 100 % a day apart
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        steps = [{"after_hours": 24, "rollout_percentage": p} for p in (5, 25, 100)]
        plan = await node.call(
            "POST", "/release-plans", {"flag": "checkout", "environment": "production", "steps": steps}
        )
        assert plan["steps"][0]["title"] == "Step 1: rollout 5 % in production"
        seen = []
        for _ in steps:
            # When a day passes and the executor runs
            clock.move(hours=24)
            await node.run_due()
            flag = await node.call("GET", "/flags/checkout")
            seen.append(flag["environments"]["production"]["rollout_percentage"])
        # Then each step applied in its turn, and the plan is done
        assert seen == [5, 25, 100]
        assert (await node.call("GET", f"/release-plans/{plan['id']}"))["state"] == "done"
        # And each step's audit event names vexil, the plan and the step
        events = [e for e in await flag_events(node, "checkout") if e["actor"] == "vexil"]
        assert [(e["via"]["release_plan"], e["via"]["step"]) for e in events] == [(plan["id"], n) for n in (1, 2, 3)]


async def test_plan__paused__waits_and_on_resume_applies_late(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given a plan whose first step is in an hour, paused
        await node.call("POST", "/flags", {"name": "checkout", "enabled": True, "rollout_percentage": 0})
        steps = [{"after_hours": 1, "rollout_percentage": 10}, {"after_hours": 1, "rollout_percentage": 50}]
        plan = await node.call("POST", "/release-plans", {"flag": "checkout", "steps": steps})
        paused = await node.call("POST", f"/release-plans/{plan['id']}/pause")
        # When its first step's time passes
        clock.move(hours=1, minutes=30)
        ran = await node.run_due()
        # Then nothing applies while it is paused
        assert paused["state"] == "paused" and ran == []
        assert (await node.call("GET", "/flags/checkout"))["rollout_percentage"] == 0
        # When it is resumed
        resumed = await node.call("POST", f"/release-plans/{plan['id']}/resume")
        ran = await node.run_due()
        # Then the overdue first step applies, 30 minutes late, and the second still waits
        assert resumed["state"] == "active"
        assert [(item["step"], item["late_seconds"]) for item in ran] == [(1, 1800)]
        assert (await node.call("GET", "/flags/checkout"))["rollout_percentage"] == 10
        # And resuming an active plan answers 409
        again = await node.http.post(f"/release-plans/{plan['id']}/resume", headers=ADMIN)
        assert again.status_code == 409


async def test_plan__cancelled__its_pending_steps_never_apply(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given a plan of two steps
        await node.call("POST", "/flags", {"name": "checkout", "rollout_percentage": 0})
        steps = [{"after_hours": 1, "rollout_percentage": 10}, {"after_hours": 1, "rollout_percentage": 50}]
        plan = await node.call("POST", "/release-plans", {"flag": "checkout", "steps": steps})
        # When it is cancelled and both times pass
        cancelled = await node.call("DELETE", f"/release-plans/{plan['id']}")
        clock.move(hours=3)
        # Then no step applies
        assert await node.run_due() == []
        assert cancelled["state"] == "cancelled"
        assert [step["state"] for step in cancelled["steps"]] == ["cancelled", "cancelled"]


async def test_plan__step_that_cannot_apply__fails_and_pauses_the_plan(settings: Settings, clock: Clock) -> None:
    async with replica(settings, clock) as node:
        # Given a plan that removes an app scope twice (the second cannot apply)
        await node.call("POST", "/flags", {"name": "checkout", "apps": ["shop"]})
        remove = {"kind": "remove_app", "flag": "checkout", "app": "shop"}
        plan_body = {
            "flag": "checkout",
            "steps": [{"after_hours": 1, "rollout_percentage": 20}, {"after_hours": 1, "edit": remove}],
        }
        plan = await node.call("POST", "/release-plans", plan_body)
        await node.call("DELETE", "/flags/checkout/apps/shop")
        # When both steps are due
        clock.move(hours=3)
        ran = await node.run_due()
        # Then the first applied, the second failed saying why, and the plan paused with the reason
        assert [(item["step"], item["state"]) for item in ran] == [(1, "applied"), (2, "failed")]
        assert "not scoped to app 'shop'" in ran[1]["error"]
        after = await node.call("GET", f"/release-plans/{plan['id']}")
        assert after["state"] == "paused" and "step 2" in after["note"]


async def test_schedule__due_while_server_down__applies_at_start_saying_how_late(
    settings: Settings, clock: Clock
) -> None:
    # Given a change scheduled for in an hour, and the server stopped
    async with replica(settings, clock) as node:
        await node.call("POST", "/flags", {"name": "launch"})
        body = {
            "at": iso(clock.now + timedelta(hours=1)),
            "changes": [{"kind": "enable", "flag": "launch", "enabled": True}],
        }
        made = await node.call("POST", "/schedules", body)
    # When the server starts again three hours later (its executor runs at start)
    clock.move(hours=3)
    async with replica(settings, clock) as node:
        for _ in range(500):  # the run at start is a task of its own: let it finish
            item = await node.call("GET", f"/schedules/{made['id']}")
            if item["state"] != "pending":
                break
            await asyncio.sleep(0.02)
        # Then it applied, two hours late, and the audit says so
        assert item["state"] == "applied" and item["late_seconds"] == 7200
        event = (await flag_events(node, "launch"))[-1]
        assert event["actor"] == "vexil" and event["via"]["late_seconds"] == 7200


async def test_schedule__editor_in_protected_environment__waits_for_approval_then_applies(
    settings: Settings, clock: Clock
) -> None:
    async with replica(settings, clock) as node:
        # Given production protected, and an editor's token
        await node.call("POST", "/flags", {"name": "launch"})
        await node.call("PATCH", "/environments/production", {"protected": True})
        editor = await node.call("POST", "/tokens", {"name": "ed", "role": "editor"})
        as_editor = {"Authorization": f"Bearer {editor['token']}"}
        # When the editor schedules turning the flag on in production
        change = {"kind": "override", "flag": "launch", "fields": {"environment": "production", "enabled": True}}
        body = {"at": iso(clock.now + timedelta(hours=1)), "changes": [change]}
        made = await node.call("POST", "/schedules", body, headers=as_editor)
        # Then a change request holds it
        request_id = made["change_request"]
        assert request_id is not None
        # When it is due but not approved
        clock.move(hours=2)
        assert await node.run_due() == []
        # Then nothing changed
        assert "production" not in (await node.call("GET", "/flags/launch"))["environments"]
        # When someone else approves it, and the executor runs
        await node.call("POST", f"/change-requests/{request_id}/approve")
        ran = await node.run_due()
        # Then it is applied, once
        assert [item["state"] for item in ran] == ["applied"] and await node.run_due() == []
        assert (await node.call("GET", "/flags/launch"))["environments"]["production"]["enabled"] is True
        assert (await node.call("GET", f"/change-requests/{request_id}"))["applied_by"] == "vexil"


async def test_plan__editor_in_protected_environment__refused_with_the_way_to_do_it(
    settings: Settings, clock: Clock
) -> None:
    async with replica(settings, clock) as node:
        # Given production protected, and an editor's token
        await node.call("POST", "/flags", {"name": "checkout", "rollout_percentage": 0})
        await node.call("PATCH", "/environments/production", {"protected": True})
        editor = await node.call("POST", "/tokens", {"name": "ed", "role": "editor"})
        # When the editor makes a plan of production's rollout
        body = {"flag": "checkout", "environment": "production", "steps": [{"after_hours": 1, "rollout_percentage": 5}]}
        response = await node.http.post(
            "/release-plans", json=body, headers={"Authorization": f"Bearer {editor['token']}"}
        )
        # Then it is refused, saying who may and what to do instead, and no plan is kept
        assert response.status_code == 403
        assert "an admin must make it" in response.json()["error"]
        assert (await node.call("GET", "/release-plans"))["release_plans"] == []


BAD = [
    ({"at": "2026-12-07T12:00:00", "changes": [{"kind": "toggle", "flag": "f"}]}, 400, "time zone"),
    ({"at": "2026-12-07T08:00:00Z", "changes": [{"kind": "toggle", "flag": "f"}]}, 400, "not in the future"),
    ({"at": "2026-12-07T12:00:00Z", "changes": []}, 400, "changes"),
    ({"at": "2026-12-07T12:00:00Z", "changes": [{"kind": "explode", "flag": "f"}]}, 400, "'explode' is not known"),
    ({"at": "2026-12-07T12:00:00Z", "changes": [{"kind": "toggle", "flag": "nope"}]}, 404, "nope"),
    ({"changes": [{"kind": "toggle", "flag": "f"}]}, 400, "at"),
    (
        {"at": "2026-12-07T12:00:00Z", "changes": [{"kind": "toggle", "flag": "f", "environment": "prodution"}]},
        400,
        "prodution",
    ),
]
BAD_PLANS = [
    ({"flag": "f", "steps": [{"rollout_percentage": 5}]}, 400, "either at or after_hours"),
    ({"flag": "f", "steps": [{"after_hours": 1}]}, 400, "either rollout_percentage or edit"),
    ({"flag": "f", "steps": [{"after_hours": 1, "rollout_percentage": 150}]}, 400, "rollout_percentage"),
    (
        {
            "flag": "f",
            "steps": [
                {"at": "2026-12-08T00:00:00Z", "rollout_percentage": 5},
                {"at": "2026-12-07T12:00:00Z", "rollout_percentage": 9},
            ],
        },
        400,
        "steps[1].at",
    ),
    ({"flag": "f", "steps": []}, 400, "steps"),
    (
        {
            "flag": "f",
            "steps": [
                {"at": "9999-12-31T23:00:00Z", "rollout_percentage": 5},
                {"after_hours": 5, "rollout_percentage": 9},
            ],
        },
        400,
        "past the year 9999",
    ),
    ({"flag": "nope", "steps": [{"after_hours": 1, "rollout_percentage": 5}]}, 404, "nope"),
    ({"flag": "f", "steps": [{"after_hours": 1, "edit": {"kind": "toggle", "flag": "g"}}]}, 400, "cannot change flag"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [("/schedules", *case) for case in BAD] + [("/release-plans", *case) for case in BAD_PLANS],
)
async def test_schedules__bad_input__answers_4xx_in_words(
    settings: Settings, clock: Clock, path: str, body: dict[str, Any], status: int, says: str
) -> None:
    async with replica(settings, clock) as node:
        # Given a flag f
        await node.call("POST", "/flags", {"name": "f"})
        # When a schedule or plan is made with bad input
        response = await node.http.post(path, json=body, headers=ADMIN)
        # Then it answers the right 4xx, saying what is wrong, and nothing is kept
        assert response.status_code == status, response.text
        assert says in response.json()["error"]
        assert (await node.call("GET", "/schedules"))["schedules"] == []
        assert (await node.call("GET", "/release-plans"))["release_plans"] == []
