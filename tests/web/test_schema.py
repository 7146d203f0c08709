from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from src.web.database import Database
from src.web.models import Base
from src.web.schema import SchemaOutdated, check_schema, head_revision, upgrade


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


# SQLite cannot reflect the lower(username) index; PostgreSQL checks it.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await database.read(_differences) == []
        await check_schema(database)
    finally:
        await database.close()


async def test_upgrade_creates_then_leaves_alone(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'fresh.sqlite3'}"
    assert await upgrade(url) == (None, head_revision())
    assert await upgrade(url) == (head_revision(), head_revision())


async def test_an_unmigrated_database_is_refused_with_what_to_run(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with pytest.raises(SchemaOutdated, match="run `wolfit migrate`"):
            await check_schema(database)
    finally:
        await database.close()
