"""Document conversions: exact percentages and RFC 3339 times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from vexil.store._docs import format_time, parse_time, to_basis_points, to_percentage


@pytest.mark.parametrize(
    ("percentage", "basis_points"),
    [(0, 0), (100, 10_000), (25, 2500), (12.34, 1234), (0.1 + 0.2, 30), (99.99, 9999), (Decimal("33.33"), 3333)],
)
def test_to_basis_points__numbers__exact(percentage: float | Decimal, basis_points: int) -> None:
    # Given / When / Then
    assert to_basis_points(percentage) == basis_points


@pytest.mark.parametrize(("basis_points", "percentage"), [(0, 0), (10_000, 100), (2500, 25), (1234, 12.34), (1, 0.01)])
def test_to_percentage__basis_points__int_when_whole(basis_points: int, percentage: float) -> None:
    # Given / When
    result = to_percentage(basis_points)

    # Then
    assert result == percentage
    assert isinstance(result, int) == (basis_points % 100 == 0)


def test_format_time__any_zone__utc_with_microseconds_and_z() -> None:
    # Given
    moment = datetime(2026, 11, 21, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))

    # When / Then
    assert format_time(moment) == "2026-11-21T08:00:00.000005Z"


@pytest.mark.parametrize(
    "text", ["2026-11-21T08:00:00Z", "2026-11-21T08:00:00.000000Z", "2026-11-21T10:00:00+02:00", "2026-11-21T08:00:00"]
)
def test_parse_time__rfc3339_variants__same_utc_instant(text: str) -> None:
    # Given / When / Then
    assert parse_time(text, default=datetime.now(UTC)) == datetime(2026, 11, 21, 8, tzinfo=UTC)


def test_parse_time__missing__default() -> None:
    # Given
    default = datetime(2020, 1, 1, tzinfo=UTC)

    # When / Then
    assert parse_time(None, default) is default
