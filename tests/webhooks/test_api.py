"""The webhooks' API (docs/webhooks.md) through the whole app, with its deliverer running: subscribe,
list without secrets, refuse bad input in plain words, test events, the delivery log, and 1,000
concurrent changes each delivered once with its own event id."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import ADMIN, ok
from tests.webhooks.receiver import Receiver, receiver

SECRET = "whsec-0123456789"


async def subscribe(client: httpx.AsyncClient, hook: Receiver, **fields: object) -> int:
    made = ok(await client.post("/webhooks", json={"url": hook.url, "secret": SECRET, **fields}, headers=ADMIN))
    return int(made["id"])


async def until(condition: object, what: str, limit: float = 60) -> None:
    """Wait for the deliverer (it polls) until `condition()` holds; fail after `limit` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_webhooks__subscribe_and_list__secret_never_shown(client: httpx.AsyncClient) -> None:
    with receiver() as hook:
        # Given a subscription with a filter
        made = ok(
            await client.post(
                "/webhooks",
                json={"url": hook.url, "secret": SECRET, "events": {"flags": ["checkout"]}, "format": "slack"},
                headers=ADMIN,
            )
        )
        # When the webhooks are listed
        listed = ok(await client.get("/webhooks", headers=ADMIN))["webhooks"]
        # Then it is there, without its secret
        assert listed == [made]
        assert made["events"] == {"flags": ["checkout"]} and made["format"] == "slack"
        assert SECRET not in str(listed)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"url": "ftp://example.com/x", "secret": SECRET}, "http://"),
        ({"url": "/relative", "secret": SECRET}, "http://"),
        ({"url": "https://example.com", "secret": "short"}, "secret"),
        ({"url": "https://example.com", "secret": SECRET, "events": {"teams": ["a"]}}, "teams"),
        ({"url": "https://example.com", "secret": SECRET, "format": "teams"}, "format"),
    ],
)
async def test_webhooks__bad_subscription__400_in_plain_words(
    client: httpx.AsyncClient, body: dict[str, object], words: str
) -> None:
    # When a bad subscription is sent
    response = await client.post("/webhooks", json=body, headers=ADMIN)
    # Then it is refused with a 400 that says what is wrong
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_webhooks__unknown_id__404(client: httpx.AsyncClient) -> None:
    for method, path in [("DELETE", "/webhooks/99"), ("POST", "/webhooks/99/test"), ("GET", "/webhooks/99/deliveries")]:
        response = await client.request(method, path, headers=ADMIN)
        assert response.status_code == 404, (method, path, response.text)
        assert "webhook 99" in response.json()["error"]


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_webhooks__send_test_event__delivered_and_logged(client: httpx.AsyncClient) -> None:
    with receiver() as hook:
        # Given a webhook
        webhook = await subscribe(client, hook)
        # When a test event is sent
        sent = ok(await client.post(f"/webhooks/{webhook}/test", headers=ADMIN))
        # Then the receiver gets it, and the log says delivered with the receiver's status
        await until(lambda: hook.received, "the test event")
        assert hook.event_ids() == [sent["event_id"]]
        assert hook.received[0].json["action"] == "test"

        async def logged() -> list[dict[str, object]]:
            return list(ok(await client.get(f"/webhooks/{webhook}/deliveries", headers=ADMIN))["deliveries"])

        while not await logged():
            await asyncio.sleep(0.05)
        [entry] = await logged()
        assert (entry["event_id"], entry["status"], entry["outcome"]) == (sent["event_id"], 200, "delivered")


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_webhooks__slack_format__text_summary(client: httpx.AsyncClient) -> None:
    with receiver() as hook:
        # Given a webhook in Slack's format
        await subscribe(client, hook, format="slack")
        # When a flag is created
        ok(await client.post("/flags", json={"name": "checkout"}, headers=ADMIN))
        # Then the receiver gets a line of text that names it
        await until(lambda: hook.received, "the event")
        text = hook.received[0].json["text"]
        assert "create flag `checkout`" in text


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_webhooks__deleted__no_more_deliveries(client: httpx.AsyncClient) -> None:
    with receiver() as hook, receiver() as witness:
        # Given a webhook removed, and another kept
        webhook = await subscribe(client, hook)
        await subscribe(client, witness)
        ok(await client.delete(f"/webhooks/{webhook}", headers=ADMIN))
        # When a flag changes
        ok(await client.post("/flags", json={"name": "checkout"}, headers=ADMIN))
        # Then only the kept one is sent it
        await until(lambda: witness.received, "the witness's event")
        assert hook.received == []
        assert [w["id"] for w in ok(await client.get("/webhooks", headers=ADMIN))["webhooks"]] != [webhook]


@pytest.mark.slow
async def test_webhooks__1000_concurrent_changes__each_delivered_once_with_its_own_id(
    client: httpx.AsyncClient,
) -> None:
    with receiver() as hook:
        # Given a webhook
        await subscribe(client, hook)
        # When 1,000 flags are created at once
        responses = await asyncio.gather(
            *(client.post("/flags", json={"name": f"flag-{n}"}, headers=ADMIN) for n in range(1000))
        )
        assert all(response.status_code == 201 for response in responses)
        # Then the receiver sees each change exactly once, each with its own event id
        await until(lambda: len(hook.received) >= 1000, "1,000 deliveries", limit=300)
        await asyncio.sleep(1)  # a duplicate would come within the deliverer's next rounds
        ids = hook.event_ids()
        assert len(ids) == len(set(ids)) == 1000
        assert {item.json["entity_id"] for item in hook.received} == {f"flag-{n}" for n in range(1000)}
