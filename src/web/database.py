"""The web database: a unit of work runs as one read or one write transaction.

The data layer (`src.web.data`) is written as plain functions of a SQLAlchemy `Connection`
(Core statements, built once at import). `Database.read(work, ...)` runs one of them in a
read transaction and `Database.write(work, ...)` in a write transaction that commits when it
returns and rolls back if it raises::

    outcome = await database.write(votes.cast_vote, user_id=1, post_id=7, direction="up")

Why functions, not an async session per statement: with an async driver every statement is
several round trips between the event loop and the driver, and a transaction waits for the
loop between them; a page cost more CPU in those hops than in its queries.

- **SQLite** (`sqlite+aiosqlite:///...`, opened with the standard `sqlite3` driver). Writes
  run in a thread, start to finish, so a write transaction lasts as long as its statements
  and never waits for the busy event loop. The one writer thread per process is the queue of
  this process's writers; across processes, writers take turns on an exclusive `flock` of
  `<database>.write-lock`, which the kernel hands to the next waiter the moment it is free
  (SQLite's own busy handler sleeps up to 100 ms between tries, which made vote p99s of a
  quarter second with two web processes). A write still starts with `BEGIN IMMEDIATE`, so
  any other writer of the file (the `sqlite3` shell) is waited for, not failed on.
  Reads run on the event loop itself: in WAL mode a reader never waits for a writer, a
  page's queries take a fraction of a millisecond, and handing them to a thread cost more
  CPU than the queries (measured: front page 4.1 ms of CPU with threaded reads, 2.7 ms
  inline).
- **PostgreSQL** (`postgresql+asyncpg://...`): the same functions run on the event loop
  through `AsyncConnection.run_sync`, with real concurrent writers (the data layer locks the
  rows it changes) and a pool of `pool_size` connections, no more (`DATABASE_POOL_SIZE` is
  shared out among the web processes).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["DEFAULT_POOL_SIZE", "Database", "ensure_sqlite_directory"]

P = ParamSpec("P")
T = TypeVar("T")
Work = Callable[Concatenate[Connection, P], T]

DEFAULT_POOL_SIZE = 10
SQLITE_CONNECTIONS = 4  # the writer's, and a few for reads (one at a time on the loop)
_WRITE_OPTION = "wolfit_write"
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never wait for the writer
    "PRAGMA synchronous=NORMAL",  # safe with WAL; no fsync per commit
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",  # writers of other processes queue for up to 10 s
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
    # Reads need no transaction: each statement reads one consistent WAL snapshot, and a
    # BEGIN would be one more statement per read on the event loop.
    if connection.get_execution_options().get(_WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _listen_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _postgres_engine(database_url: str, pool_size: int) -> AsyncEngine:
    # At most `pool_size` connections: PostgreSQL's connection limit is shared by every
    # process; a connection a restarted server dropped is replaced (pre-ping) on checkout.
    return create_async_engine(
        database_url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True
    )


def _sqlite_engine(database_url: str) -> Engine:
    url = make_url(database_url).set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(
        url,
        pool_size=SQLITE_CONNECTIONS,
        max_overflow=0,
        connect_args={"check_same_thread": False},
    )
    _listen_sqlite(engine)
    return engine


def _read_in(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect() as connection:
        return work(connection)


def _write_in(engine: Engine, lock: int | None, work: Callable[[Connection], T]) -> T:
    if lock is not None:
        fcntl.flock(lock, fcntl.LOCK_EX)  # writers of all processes queue here, in the kernel
    try:
        with (
            engine.connect().execution_options(**{_WRITE_OPTION: True}) as connection,
            connection.begin(),
        ):
            return work(connection)
    finally:
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _open_write_lock(database_url: str) -> int | None:
    """The file the writers of every process lock in turn (`web.sqlite3.write-lock`)."""
    path = make_url(database_url).database
    if path in (None, "", ":memory:"):
        return None
    return os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)


def _bind(work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> Callable[[Connection], T]:
    def bound(connection: Connection) -> T:
        return work(connection, *args, **kwargs)

    return bound


class Database:
    """The web database of one process: runs units of work, opened and closed by the app."""

    def __init__(self, database_url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        ensure_sqlite_directory(database_url)
        self.dialect = str(make_url(database_url).get_backend_name())
        self._sqlite: Engine | None = None
        self._async: AsyncEngine | None = None
        if self.dialect == "sqlite":
            self._sqlite = _sqlite_engine(database_url)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-write")
            self._write_lock = _open_write_lock(database_url)
        else:
            self._async = _postgres_engine(database_url, pool_size)

    async def read(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """What `work(connection, ...)` answers, run in a read transaction."""
        bound = _bind(work, *args, **kwargs)
        if self._sqlite is not None:
            return _read_in(self._sqlite, bound)
        assert self._async is not None
        async with self._async.connect() as connection:
            return await connection.run_sync(bound)

    async def write(self, work: Work[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """What `work(connection, ...)` answers, run in one transaction: committed when it
        returns, rolled back when it raises (the exception propagates)."""
        bound = _bind(work, *args, **kwargs)
        if self._sqlite is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._writer, _write_in, self._sqlite, self._write_lock, bound
            )
        assert self._async is not None
        async with self._async.begin() as connection:
            return await connection.run_sync(bound)

    async def ping(self) -> None:
        """Raise if the database does not answer a trivial query."""
        await self.read(_select_one)

    async def close(self) -> None:
        """Close every pooled connection and stop the threads."""
        if self._sqlite is not None:
            await asyncio.to_thread(self._writer.shutdown)
            await asyncio.to_thread(self._sqlite.dispose)
            if self._write_lock is not None:
                os.close(self._write_lock)
        if self._async is not None:
            await self._async.dispose()


def _select_one(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))
