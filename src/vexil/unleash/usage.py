"""What Unleash SDKs post about themselves: `register` (an instance starting) and `metrics` (how
often each flag was asked, yes and no, and each variant shown), read into one `SdkReport`. Pure.

Read as Unleash reads them: the fields Vexil keeps are checked and bounded, every other field is
ignored (SDKs add fields from version to version: `connectionId`, `platformName`, `specVersion`,
`yggdrasilVersion`, `impactMetrics`...), and a missing `instanceId` is `default`. A server SDK's
register must say when it started and its metrics interval, as Unleash requires; a frontend SDK's
register needs only its app. The SDK's name and version come from `sdkVersion` in the body, else
from the `unleash-sdk` header (which metrics posts and browser SDKs send instead).

Every refusal is a `UsageInputError` whose message names the field, says what is wrong and what is
expected (docs/errors.md), for a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Text Vexil keeps (app names, instance ids, SDK names, environments, variant names): this long at most.
MAX_TEXT = 200
# Toggles one metrics post may report, and variants per toggle: an SDK reports the flags it asked
# for in one interval, far fewer than this; past it the post is refused rather than cut.
MAX_TOGGLES = 5_000
MAX_VARIANTS = 100
# The most one post may count for one toggle or variant (a million evaluations a second for ten days).
MAX_COUNT = 10**12
DEFAULT_INSTANCE = "default"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class UsageInputError(ValueError):
    """A register or metrics body that cannot be used; the message is the 400's."""


@dataclass(frozen=True, slots=True)
class ToggleCount:
    """How often one flag was asked in one report: enabled (`yes`), not (`no`), and per variant."""

    yes: int = 0
    no: int = 0
    variants: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SdkReport:
    """What one register call or metrics post says about the SDK instance that sent it."""

    app: str
    instance: str
    sdk_name: str | None = None
    sdk_version: str | None = None
    # The environment the client names (Unleash's metrics may carry one); the token's wins.
    environment: str | None = None
    toggles: Mapping[str, ToggleCount] = field(default_factory=dict)


def sdk_name_version(text: str | None) -> tuple[str | None, str | None]:
    """`unleash-node-sdk:6.12.2` as (`unleash-node-sdk`, `6.12.2`); text without a colon is a name."""
    if not text:
        return None, None
    name, colon, version = text.rpartition(":")
    if not colon:
        return text, None
    return (name or None), (version or None)


def register_report(body: Mapping[str, Any], sdk_header: str | None, *, server: bool) -> SdkReport:
    """A register body (`POST /api/client/register` when `server`, else the frontend's)."""
    if server:
        _instant(body, "started", required=True)
        interval = body.get("interval")
        if interval is None:
            raise UsageInputError("interval: this field is required")
        if interval.__class__ not in (int, float) or not 0 <= interval < 2**53:
            raise UsageInputError("interval: use a number of milliseconds of at least 0")
    strategies = body.get("strategies")
    if strategies is not None and strategies.__class__ is not list:
        raise UsageInputError("strategies: use a list of strategy names")
    return _report(body, sdk_header, {})


def metrics_report(body: Mapping[str, Any], sdk_header: str | None) -> SdkReport:
    """A metrics body (`POST /api/client/metrics` and the frontend's): a bucket of counts, or none."""
    bucket = body.get("bucket")
    toggles: dict[str, ToggleCount] = {}
    if bucket is not None:
        if bucket.__class__ is not dict:
            raise UsageInputError('bucket: use an object such as {"start", "stop", "toggles"}')
        _instant(bucket, "start", required=True, where="bucket.")
        _instant(bucket, "stop", required=True, where="bucket.")
        raw = bucket.get("toggles")
        if raw is None:
            raise UsageInputError("bucket.toggles: this field is required")
        if raw.__class__ is not dict:
            raise UsageInputError("bucket.toggles: use an object of flag names and their counts")
        if len(raw) > MAX_TOGGLES:
            raise UsageInputError(f"bucket.toggles: report at most {MAX_TOGGLES} flags in one post")
        for name, counts in raw.items():
            toggles[name] = _toggle_count(counts, "bucket.toggles" + _key(name))
    return _report(body, sdk_header, toggles)


def _report(body: Mapping[str, Any], sdk_header: str | None, toggles: dict[str, ToggleCount]) -> SdkReport:
    app = _text(body, "appName", required=True)
    assert app is not None
    instance = _text(body, "instanceId") or DEFAULT_INSTANCE
    sdk = _text(body, "sdkVersion")
    if sdk is None and sdk_header:
        sdk = _checked_text(sdk_header, "the unleash-sdk header")
    name, version = sdk_name_version(sdk)
    environment = _text(body, "environment")
    return SdkReport(app, instance, name, version, environment, toggles)


def _text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise UsageInputError(f"{key}: this field is required")
        return None
    if value.__class__ is not str:
        raise UsageInputError(f"{key}: use a string of at most {MAX_TEXT} characters")
    return _checked_text(value, key)


def _checked_text(value: str, where: str) -> str:
    if len(value) > MAX_TEXT:
        raise UsageInputError(f"{where}: use at most {MAX_TEXT} characters")
    if _CONTROL.search(value):
        raise UsageInputError(f"{where}: use printable characters (no control characters or lone surrogates)")
    return value


def _instant(body: Mapping[str, Any], key: str, *, required: bool, where: str = "") -> None:
    value = body.get(key)
    if value is None:
        if required:
            raise UsageInputError(f"{where}{key}: this field is required")
        return
    try:
        if value.__class__ is not str or len(value) > 64:
            raise ValueError(value)
        datetime.fromisoformat(value)
    except ValueError:
        raise UsageInputError(f"{where}{key}: use an ISO 8601 date and time such as 2026-01-01T00:00:00Z") from None


def _toggle_count(counts: Any, where: str) -> ToggleCount:
    if counts.__class__ is not dict:
        raise UsageInputError(f'{where}: use an object such as {{"yes": 3, "no": 1, "variants": {{}}}}')
    variants = counts.get("variants")
    kept: dict[str, int] = {}
    if variants is not None:
        if variants.__class__ is not dict:
            raise UsageInputError(f"{where}.variants: use an object of variant names and counts")
        if len(variants) > MAX_VARIANTS:
            raise UsageInputError(f"{where}.variants: report at most {MAX_VARIANTS} variants of one flag")
        for variant, count in variants.items():
            kept[_checked_text(variant, f"{where}.variants")] = _count(count, f"{where}.variants{_key(variant)}")
    return ToggleCount(_count(counts.get("yes"), f"{where}.yes"), _count(counts.get("no"), f"{where}.no"), kept)


def _count(value: Any, where: str) -> int:
    if value is None:
        return 0
    if value.__class__ is float and value.is_integer():
        value = int(value)
    if value.__class__ is not int or not 0 <= value <= MAX_COUNT:
        raise UsageInputError(f"{where}: use a whole number from 0 to {MAX_COUNT}")
    return int(value)


def _key(name: str) -> str:
    """How an object key is written in a path (docs/errors.md): `.key`, or `["key"]`."""
    if _PLAIN_KEY.fullmatch(name):
        return "." + name
    return "[" + _quoted(name[:MAX_TEXT]) + "]"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
