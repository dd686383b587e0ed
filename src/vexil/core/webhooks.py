"""Webhooks, the pure part: what a delivery says, how it is signed, which events a subscription
wants, and when a failed delivery is tried again (docs/webhooks.md). No I/O here: the deliverer
(`core/deliverer.py`) and the store (`store/webhooks.py`) do that.

A delivery is `POST <url>` with the audit event as its JSON body and the header

    Vexil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>

Receivers recompute the HMAC over the raw body, compare in constant time, and refuse a `t` too far
from their clock (replays). The event's `id` is the audit event's id: unique, so receivers dedupe by
it (a delivery is at least once: a replica killed between the POST and its bookkeeping sends again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from vexil.store.sql import TEST_ACTION, WEBHOOK_ENTITY

SIGNATURE_HEADER = "Vexil-Signature"
FORMATS = ("vexil", "slack")
FILTERS = ("flags", "environments", "actions")
# Retries: 10 s, 20 s, 40 s, ... doubling up to an hour apart, each with up to 20 % jitter, until
# the event is 24 hours old; then the delivery gives up (and the log says so).
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
JITTER = 0.2
# What a flag document holds that is not configuration: a change of these alone touches nothing.
BOOKKEEPING = frozenset({"version", "updated_at", "created_at"})

Doc = dict[str, Any]


class BadWebhook(ValueError):
    """A subscription that cannot be kept: the message says why, in plain words."""


def check_url(url: str) -> str:
    """`url` if it is an absolute http or https URL with a host, else `BadWebhook`."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadWebhook(f"the url must be an absolute http:// or https:// URL, not {url!r}")
    return url


def check_events(events: Mapping[str, Any] | None) -> Doc:
    """The events filter, with only the keys given: each a non-empty list of strings."""
    found: Doc = {}
    for key, value in (events or {}).items():
        if key not in FILTERS:
            raise BadWebhook(f"events filters by {', '.join(FILTERS)}, not {key!r}")
        if value is None:
            continue
        if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
            raise BadWebhook(f"events.{key} must be a non-empty list of names")
        found[key] = sorted(set(value))
    return found


def body(event: Mapping[str, Any], fmt: str = "vexil") -> bytes:
    """The raw body of a delivery of `event` (an audit event document) in format `fmt`."""
    if fmt == "slack":
        document: Doc = {"text": summary(event)}
    else:
        document = {
            "id": event["id"],
            "at": event["at"],
            "actor": event["actor"],
            "action": event["action"],
            "entity": event["entity"],
            "entity_id": event["entity_id"],
            "environment": environment_of(event),
            "before": event.get("before"),
            "after": event.get("after"),
        }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes, at: int) -> str:
    """The `Vexil-Signature` header's value for `body` sent at unix second `at`."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = 300) -> bool:
    """Whether `header` signs `body` with `secret`, sent within `tolerance` seconds of `now`: the
    receiver's side, as docs/webhooks.md writes it."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, body, at).split("v1=", 1)[1]
    return abs(now - at) <= tolerance and hmac.compare_digest(expected, fields.get("v1", ""))


def touched(event: Mapping[str, Any]) -> tuple[set[str], bool]:
    """The environments whose overrides a flag event changed, and whether it changed the flag's
    own configuration (which every environment without an override uses)."""
    before, after = event.get("before") or {}, event.get("after") or {}
    if event.get("entity") != "flag" or not before or not after:
        return set(), True
    envs_before, envs_after = before.get("environments") or {}, after.get("environments") or {}
    environments = {env for env in {*envs_before, *envs_after} if envs_before.get(env) != envs_after.get(env)}
    own = {key for key in {*before, *after} if before.get(key) != after.get(key)} - BOOKKEEPING - {"environments"}
    return environments, bool(own)


def environment_of(event: Mapping[str, Any]) -> str | None:
    """The one environment an event changed, or None (several, or the flag's own configuration)."""
    environments, own = touched(event)
    return next(iter(environments)) if len(environments) == 1 and not own else None


def wants(events: Mapping[str, Any], webhook_id: int, event: Mapping[str, Any]) -> bool:
    """Whether a webhook with filter `events` is sent `event`. A flag filter matches flag events of
    those flags; an environment filter matches changes of those environments' overrides and of the
    flag's own configuration; an action filter matches those actions. A test event goes only to
    the webhook it tests; webhooks' own events (subscribed, removed) go to none."""
    if event["entity"] == WEBHOOK_ENTITY:
        return bool(event["action"] == TEST_ACTION and event["entity_id"] == str(webhook_id))
    if "actions" in events and event["action"] not in events["actions"]:
        return False
    if "flags" in events and not (event["entity"] == "flag" and event["entity_id"] in events["flags"]):
        return False
    if "environments" in events:
        environments, own = touched(event)
        return own or bool(environments & set(events["environments"]))
    return True


def next_attempt(attempt: int, created: datetime, now: datetime, rng: random.Random) -> datetime | None:
    """When to try again after failed attempt number `attempt` (from 1) of a delivery made at
    `created`; None once that would be more than `GIVE_UP_AFTER` after `created`."""
    delay = min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY) * (1 + JITTER * rng.random())
    due = now + delay
    return None if due - created > GIVE_UP_AFTER else due


def summary(event: Mapping[str, Any]) -> str:
    """A line for people (the Slack format): who did what to what, and where."""
    if event["action"] == TEST_ACTION and event["entity"] == WEBHOOK_ENTITY:
        return f"Vexil test event from {event['actor']}: this webhook works."
    environment = environment_of(event)
    where = f" in {environment}" if environment else ""
    return f"{event['actor']} {event['action']} {event['entity']} `{event['entity_id']}`{where} (event {event['id']})"
