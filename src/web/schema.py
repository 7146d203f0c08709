"""The web database schema: upgrade it with Alembic, and check that it is current.

`wolfit migrate` calls `upgrade`; the web app calls `check_schema` at start so that a
database that was never migrated stops it with one clear line instead of failing requests.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from src.web.database import Database

__all__ = ["SchemaOutdated", "alembic_config", "check_schema", "head_revision", "upgrade"]

SCRIPT_LOCATION = "src.web:migrations"


class SchemaOutdated(RuntimeError):
    """The database is not at the newest migration; the message says what to run."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped in the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _before_and_after(connection: Connection, revision: str) -> tuple[str | None, str | None]:
    before = _current(connection)
    _upgrade(connection, revision)
    return before, _current(connection)


async def upgrade(database_url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to `revision`; answers (revision before, revision after)."""
    database = Database(database_url)
    try:
        return await database.write(_before_and_after, revision)
    finally:
        await database.close()


async def check_schema(database: Database) -> None:
    """Raise `SchemaOutdated` unless the database is at the newest migration."""
    current = await database.read(_current)
    head = head_revision()
    if current != head:
        state = "has no schema" if current is None else f"is at revision {current}, not {head}"
        raise SchemaOutdated(f"the web database {state}: run `wolfit migrate` first")
