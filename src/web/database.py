"""The web database: one async engine and the two kinds of session the views need.

`Database.read()` gives a session for queries; `Database.write()` gives one transaction that
commits on exit and rolls back on error. On SQLite a write transaction starts with
`BEGIN IMMEDIATE`, so two writers queue on the lock instead of one failing with
"database is locked" when it upgrades its read snapshot; and the writers of one process take
turns on an asyncio lock first, because SQLite's own busy handler waits by sleeping (up to
100 ms a time), which turned 10 concurrent voters into a p99 of most of a second. PostgreSQL
needs nothing special (the data layer locks the rows it changes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database", "create_engine", "ensure_sqlite_directory"]

_WRITE_OPTION = "wolfit_write"
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never wait for the writer
    "PRAGMA synchronous=NORMAL",  # safe with WAL; no fsync per commit
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",  # writers queue for up to 10 s
)


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the directory of a SQLite file URL, so a fresh clone needs no `mkdir`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's `begin` event below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `DATABASE_URL`, with the SQLite settings this app relies on."""
    ensure_sqlite_directory(database_url)
    engine = create_async_engine(database_url, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


class Database:
    """The engine and its sessions; one per process, opened and disposed by the app."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        # One writer at a time per process on SQLite (see the module docstring).
        self._writer: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return str(self.engine.dialect.name)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; whatever it changes is rolled back."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Never open a write inside another on SQLite: the second would wait for the first.
        """
        async with self._writer, self._sessions() as session:
            await session.connection(execution_options={_WRITE_OPTION: True})
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        """Raise if the database does not answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
