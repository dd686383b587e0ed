"""Migrations: the schema they build is the schema the tables declare, on every backend."""

from __future__ import annotations

import re
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from vexil.store import SqlStore, migrate
from vexil.store.migrate import MIGRATIONS, alembic_config, main
from vexil.store.tables import Base


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrate__new_database__matches_the_declared_tables(store: SqlStore) -> None:
    # Given a store opened (so migrated) on a new database / When
    async with store.engine.connect() as connection:
        found = await connection.run_sync(differences)

    # Then
    assert found == []


async def test_migrate__twice__second_run_changes_nothing(store_url: str) -> None:
    # Given
    await migrate(store_url)

    # When
    await migrate(store_url)

    # Then
    store = await SqlStore.open(store_url)
    try:
        async with store.engine.connect() as connection:
            version = (await connection.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
    finally:
        await store.close()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_versions__file_names__dated_and_one_head() -> None:
    # Given the migrations shipped in the package / When
    names = sorted(path.name for path in (MIGRATIONS / "versions").glob("*.py"))
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()

    # Then
    assert names
    assert all(re.fullmatch(r"\d{4}_\d\d_\d\d_\d{4}-[0-9a-f]{12}_\w+\.py", name) for name in names)
    assert len(heads) == 1


def test_main__heads__prints_the_head_revision(capsys: pytest.CaptureFixture[str]) -> None:
    # Given / When
    main(["heads"])

    # Then
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    assert head in capsys.readouterr().out


def test_head_revision__matches_the_newest_migration() -> None:
    # Given Alembic's own view of the migrations
    from alembic.script import ScriptDirectory

    from vexil.store.migrate import HEAD_REVISION, alembic_config

    # Then the constant that lets a current database skip importing Alembic is that head
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
