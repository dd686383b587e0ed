"""`vexil webhook add|list|remove|test|deliveries` against a real server and a real receiver."""

from __future__ import annotations

import time

from tests.webhooks.receiver import receiver

from .harness import Vexil


def test_webhook__add_test_deliveries_remove__round_trip(vexil: Vexil) -> None:
    with receiver() as hook:
        # Given a webhook added for one flag's toggles
        made = vexil.json("webhook", "add", hook.url, "--secret", "cli-secret-123", "--flag", "a", "--action", "toggle")
        assert made["events"] == {"flags": ["a"], "actions": ["toggle"]}
        assert made["id"] in [w["id"] for w in vexil.json("webhook", "list")]
        # When a test event is sent
        sent = vexil.json("webhook", "test", str(made["id"]))
        # Then the receiver gets it, and the delivery log says so (the deliverer polls)
        deadline = time.monotonic() + 30
        while not (log := vexil.json("webhook", "deliveries", str(made["id"]))):
            assert time.monotonic() < deadline, "no delivery logged"
            time.sleep(0.1)
        assert (log[0]["event_id"], log[0]["outcome"], log[0]["status"]) == (sent["event_id"], "delivered", 200)
        assert hook.event_ids() == [sent["event_id"]]
        assert "delivered (200)" in vexil.ok("webhook", "deliveries", str(made["id"])).stdout
        # And once removed, it is gone from the list
        vexil.ok("webhook", "remove", str(made["id"]))
        assert made["id"] not in [w["id"] for w in vexil.json("webhook", "list")]
        assert "webhook" in vexil.fails("webhook", "test", str(made["id"]), exit_code=1)
