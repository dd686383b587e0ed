"""`vexil schedule ...` and `vexil plan ...` against a real server (docs/schedules.md). What applies
when due is tested with a clock the tests move (tests/schedules); here, what the commands send and show."""

from __future__ import annotations

from .harness import Vexil


def test_schedule__created_listed_and_cancelled(vexil: Vexil, flag: str) -> None:
    # Given a change scheduled for in two hours
    made = vexil.json("schedule", "create", "--at", "+2h", "--flag", flag, "--on", "--env", "staging")
    assert made["state"] == "pending"
    assert made["changes"] == [{"kind": "enable", "flag": flag, "environment": "staging", "enabled": True}]
    # When the schedules are listed; Then it is there, pending
    assert "pending" in vexil.ok("schedule", "list", "--flag", flag).output
    assert [item["id"] for item in vexil.json("schedule", "list", "--flag", flag)] == [made["id"]]
    # When it is cancelled; Then it says so
    assert "cancelled" in vexil.ok("schedule", "cancel", str(made["id"])).output
    assert vexil.json("schedule", "list", "--flag", flag)[0]["state"] == "cancelled"


def test_schedule__nothing_to_change__refused_in_words(vexil: Vexil, flag: str) -> None:
    # When a schedule names no change; Then the command says what to give
    assert "--on, --off or --rollout" in vexil.fails("schedule", "create", "--at", "+1h", "--flag", flag, exit_code=1)


def test_plan__created_paused_resumed_and_cancelled(vexil: Vexil, flag: str) -> None:
    # Given a plan of three steps
    plan = vexil.json(
        "plan", "create", flag, "--env", "production", "--step", "5@+1h", "--step", "25@+24h", "--step", "100@+2d"
    )
    assert [step["title"] for step in plan["steps"]] == [
        "Step 1: rollout 5 % in production",
        "Step 2: rollout 25 % in production",
        "Step 3: rollout 100 % in production",
    ]
    # When listed; Then with its progress
    assert "0/3" in vexil.ok("plan", "list", "--flag", flag).output
    assert vexil.json("plan", "list", "--flag", flag)[0]["title"] == f"Release of {flag} in production"
    # When paused, resumed and cancelled; Then each says its state
    assert "paused" in vexil.ok("plan", "pause", str(plan["id"])).output
    assert "active" in vexil.ok("plan", "resume", str(plan["id"])).output
    assert vexil.json("plan", "cancel", str(plan["id"]))["state"] == "cancelled"
    assert "cancelled" in vexil.ok("plan", "show", str(plan["id"])).output


def test_plan__step_without_a_time__refused_in_words(vexil: Vexil, flag: str) -> None:
    assert "PERCENT@WHEN" in vexil.fails("plan", "create", flag, "--step", "25", exit_code=1)
