"""Parsing and comparing condition values: numbers, SemVer, instants, IP addresses.

Every parser returns ``None`` for anything that is not a value of its type, so that a
wrong-typed value makes a condition false instead of raising.
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime
from typing import Any

Number = int | float
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# A SemVer precedence key: (major, minor, patch, is_release, prerelease identifiers).
SemverKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]

# Decimal notation only: no whitespace, underscores, "nan" or "inf", which float() would accept.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_NUMBER_CHARS = 400
# SemVer 2.0.0's own regular expression (semver.org), with ASCII digits only.
_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)


def parse_number(value: Any) -> Number | None:
    """A JSON number (never a bool) or a string in decimal notation; ``None`` otherwise."""
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[no-any-return]
    if cls is float:
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return _parse_number_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _parse_number_text(text: str) -> Number | None:
    if len(text) > _MAX_NUMBER_CHARS or _NUMBER.fullmatch(text) is None:
        return None
    if _INTEGER.fullmatch(text):
        return int(text)
    number = float(text)
    return number if math.isfinite(number) else None


def parse_semver(value: Any) -> SemverKey | None:
    """The precedence key of a strict SemVer 2.0.0 string (``v1.2.3`` is not one)."""
    if not isinstance(value, str) or len(value) > 256:
        return None
    match = _SEMVER.fullmatch(value)
    if match is None:
        return None
    major, minor, patch, prerelease, _build = match.groups()
    if prerelease is None:
        # A release outranks every prerelease of the same version.
        return int(major), int(minor), int(patch), 1, ()
    identifiers = tuple(
        # Numeric identifiers compare numerically and below alphanumeric ones, which compare in ASCII order.
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in prerelease.split(".")
    )
    return int(major), int(minor), int(patch), 0, identifiers


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 string (or a datetime) as an aware datetime; no offset means UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_ip(value: Any) -> IPAddress | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def parse_networks(value: Any) -> tuple[IPNetwork, ...] | None:
    """One CIDR or address, or a non-empty list of them; ``None`` if any is not one."""
    items = value if isinstance(value, list | tuple) else [value]
    networks: list[IPNetwork] = []
    for item in items:
        if not isinstance(item, str):
            return None
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            return None
    return tuple(networks) or None


def in_networks(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    # An IPv4-mapped IPv6 address (::ffff:10.0.0.1, as dual-stack servers report) is its IPv4 address.
    mapped = getattr(address, "ipv4_mapped", None)
    return any(address in network or (mapped is not None and mapped in network) for network in networks)


def is_scalar(value: Any) -> bool:
    """A JSON string, boolean or finite number."""
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))
