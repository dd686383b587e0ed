"""Queries and document changes behind an environment's rename and deletion (docs/environments.md).

An override row points at its environment's name; renaming or deleting an environment rewrites
the flags that override it through the usual flag write (`SqlStore._replace_flag`), so that their
versions move, the write is audited and every replica picks the change up like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vexil.store._values import check_text
from vexil.store.errors import InvalidValue, NotFound
from vexil.store.tables import EnvironmentRow, FlagOverrideRow, FlagRow, TokenRow

Doc = dict[str, Any]


def unknown_message(names: Iterable[str], known: Iterable[str]) -> str:
    """The plain-words refusal of a write naming environments that do not exist."""
    unknown = sorted(set(names))
    listed = ", ".join(repr(name) for name in unknown)
    verb = "is not an environment" if len(unknown) == 1 else "are not environments"
    return f"environment: {listed} {verb} (there are: {', '.join(known)}); create it first"


def check_known(names: Iterable[str], known: list[str]) -> None:
    """`InvalidValue` unless every name in `names` is among `known`."""
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidValue(unknown_message(unknown, known))


async def environment_row(session: AsyncSession, name: str, *, lock: bool = False) -> EnvironmentRow:
    row = await session.get(EnvironmentRow, check_text(name, "name"), with_for_update=lock)
    if row is None:
        raise NotFound(f"environment {name!r} not found")
    return row


async def overriding_flags(session: AsyncSession, environment: str) -> list[str]:
    """The flags with an override in `environment`, by name."""
    query = (
        select(FlagRow.name)
        .join(FlagOverrideRow, FlagOverrideRow.flag_id == FlagRow.id)
        .where(FlagOverrideRow.environment == environment)
        .order_by(FlagRow.name)
    )
    return list(await session.scalars(query))


async def bound_tokens(session: AsyncSession, environment: str) -> list[str]:
    """The tokens bound to `environment` and not revoked, by name."""
    query = (
        select(TokenRow.name)
        .where(TokenRow.environment == environment, TokenRow.revoked_at.is_(None))
        .order_by(TokenRow.name)
    )
    return list(await session.scalars(query))


async def environment_usage(session: AsyncSession, row: EnvironmentRow) -> Doc:
    """What deleting the environment would take: `{"name", "protected", "flags", "tokens"}`."""
    return {
        "name": row.name,
        "protected": row.protected,
        "flags": await overriding_flags(session, row.name),
        "tokens": await bound_tokens(session, row.name),
    }


def without_environment(doc: Doc, environment: str) -> Doc:
    """The flag document without its override in `environment`."""
    doc["environments"].pop(environment, None)
    return doc


def renamed_environment(doc: Doc, old: str, new: str) -> Doc:
    """The flag document with its override in `old` kept under `new`."""
    doc["environments"][new] = doc["environments"].pop(old)
    return doc
