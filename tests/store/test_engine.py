"""Engine helpers: URLs and the translation of driver errors into store errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from vexil.store import Conflict, InvalidValue, StoreError, StoreUnavailable, sqlite_url
from vexil.store._engine import async_url, db_errors


def test_sqlite_url__data_dir__vexil_db_inside() -> None:
    # Given / When / Then
    assert sqlite_url(Path("/var/lib/vexil")) == "sqlite+aiosqlite:////var/lib/vexil/vexil.db"
    assert sqlite_url(Path("vexil-data")) == "sqlite+aiosqlite:///vexil-data/vexil.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_async_url__user_urls__async_driver(given: str, expected: str) -> None:
    # Given / When / Then
    assert async_url(given) == expected


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), Conflict),
        (OperationalError("SELECT", {}, Exception("database is locked")), StoreUnavailable),
        (PoolTimeoutError("pool exhausted"), StoreUnavailable),
        (ConnectionRefusedError(111, "refused"), StoreUnavailable),
        (ProgrammingError("SELECT", {}, Exception("syntax")), StoreError),
    ],
)
async def test_db_errors__driver_error__store_error_chained(raised: Exception, expected: type[StoreError]) -> None:
    # Given / When
    with pytest.raises(StoreError) as caught:
        async with db_errors():
            raise raised

    # Then
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised


async def test_db_errors__other_exception__passes_unchanged() -> None:
    # Given
    error = ValueError("not a database problem")

    # When / Then
    with pytest.raises(ValueError) as caught:
        async with db_errors():
            raise error
    assert caught.value is error


class _PgError(Exception):
    """What asyncpg's errors look like through SQLAlchemy's adapter: a message and a SQLSTATE."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


SECRET = "SELECT secret FROM tokens -- at db.internal:5432 /var/lib/vexil"


@pytest.mark.parametrize(
    ("raised", "expected", "message"),
    [
        (IntegrityError("INSERT", {}, Exception(SECRET)), Conflict, "the write conflicts with a concurrent change"),
        (DBAPIError(SECRET, {}, _PgError(SECRET, "22021")), InvalidValue, "the database cannot store a value"),
        (DataError(SECRET, {}, Exception(SECRET)), InvalidValue, "the database cannot store a value"),
        (DBAPIError(SECRET, {}, _PgError(SECRET, "40001")), Conflict, "the write conflicts"),
        (DBAPIError(SECRET, {}, _PgError(SECRET, "53100")), StoreUnavailable, "the database is unavailable: its disk"),
        (OperationalError(SECRET, {}, Exception("database or disk is full")), StoreUnavailable, "the database is"),
        (OperationalError(SECRET, {}, Exception(SECRET)), StoreUnavailable, "the database is unavailable: the conn"),
        (StatementError(SECRET, SECRET, {}, OverflowError(SECRET)), InvalidValue, "the database cannot store"),
        (StatementError(SECRET, SECRET, {}, KeyError(SECRET)), StoreError, "database error"),
        (ConnectionRefusedError(111, SECRET), StoreUnavailable, "the database is unavailable: the connection"),
        (TimeoutError(SECRET), StoreUnavailable, "the database is unavailable: it did not answer in time"),
        (ProgrammingError(SECRET, {}, Exception(SECRET)), StoreError, "database error"),
    ],
)
async def test_db_errors__driver_message__plain_words_without_sql_address_or_path(
    raised: Exception, expected: type[StoreError], message: str
) -> None:
    # Given / When
    with pytest.raises(StoreError) as caught:
        async with db_errors():
            raise raised

    # Then
    assert type(caught.value) is expected
    assert str(caught.value).startswith(message)
    assert not any(word in str(caught.value) for word in ("SELECT", "secret", "db.internal", "5432", "/var"))
    assert caught.value.__cause__ is raised
