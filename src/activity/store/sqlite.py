"""The embedded store: one SQLite file in WAL mode, through aiosqlite.

Durable and still fast: `synchronous=FULL` makes every answered event survive a power cut,
and a single writer task commits whatever events are waiting in one transaction (group
commit), so one fsync covers a whole burst of concurrent POSTs. Reads use a second
connection, which WAL lets run beside the writer.

When the file cannot be opened or read (I/O, a full disk, not a database), or another
process holds the write lock past the busy timeout, calls raise `StoreUnavailable`; a
connection that failed for any reason other than a lock is dropped and opened again by the
next call, so the store recovers by itself. Any other SQLite error (a statement it refuses)
is a bug, raised as it is: it must not pass for an outage that clients retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from src.activity.store.base import (
    ActivityQuery,
    ActivityStore,
    MinuteCount,
    StoredEvent,
    StoreUnavailable,
)
from src.activity.store.search_text import search_text
from src.activity.store.sqlite_schema import (
    COMMON_TERM_HITS,
    INSERT,
    MAX_BATCH,
    MIN_INDEXED_QUERY,
    SCHEMA_VERSION,
    create_or_upgrade,
    event_row,
    schema_version,
)
from src.common.events import format_timestamp

__all__ = ["SqliteStore", "select_events"]

log = logging.getLogger(__name__)

_Pending = tuple[StoredEvent, "asyncio.Future[tuple[StoredEvent, bool]]"]


# Primary result codes that say the database cannot serve right now, not that a statement is
# wrong: busy or locked past the timeout, out of memory, read-only, I/O, corrupt or not a
# database, disk full, cannot open. Any other error (a syntax error, a missing table) is a
# bug to report as one, not an outage to retry.
_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOTADB,
    }
)
_LOCK_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _primary_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot serve now (so: 503, retry), not a bug."""
    if isinstance(error, ValueError):  # aiosqlite: "no active connection"
        return "connection" in str(error).lower()
    return isinstance(error, sqlite3.Error) and _primary_code(error) in _UNAVAILABLE_CODES


def _is_lock(error: BaseException) -> bool:
    return isinstance(error, sqlite3.Error) and _primary_code(error) in _LOCK_CODES


async def _rollback_quietly(conn: aiosqlite.Connection) -> None:
    if conn.in_transaction:
        try:
            await conn.execute("ROLLBACK")
        except (sqlite3.Error, ValueError) as exc:
            log.debug("rollback failed: %s", exc)


class SqliteStore(ActivityStore):
    """Events in the SQLite file at `path` (created with its directory when missing)."""

    kind = "sqlite"

    def __init__(self, path: Path | str, *, busy_timeout: float = 1.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._connect_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._writer_task: asyncio.Task[None] | None = None

    # -- connections -------------------------------------------------------------------

    async def open(self) -> None:
        self._closing = False
        self._writer_task = asyncio.create_task(self._write_loop(), name="sqlite-writer")
        try:
            await self._connection(writer=True)
            await self._connection(writer=False)
        except StoreUnavailable as exc:
            log.warning("activity store unavailable at start, will retry: %s", exc)

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._writer_task is not None:
            await self._writer_task
            self._writer_task = None
        for conn in (self._writer, self._reader):
            if conn is not None:
                await self._close_quietly(conn)
        self._writer = self._reader = None

    async def _connection(self, *, writer: bool) -> aiosqlite.Connection:
        current = self._writer if writer else self._reader
        if current is not None:
            return current
        async with self._connect_lock:
            current = self._writer if writer else self._reader
            if current is None:
                current = await self._connect(writer=writer)
                if writer:
                    self._writer = current
                else:
                    self._reader = current
            return current

    async def _connect(self, *, writer: bool) -> aiosqlite.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(
                self.path, isolation_level=None, timeout=self.busy_timeout
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open SQLite database {self.path}: {exc}") from exc
        try:
            if writer:
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute("PRAGMA synchronous=FULL")
                if await schema_version(conn) < SCHEMA_VERSION:
                    try:
                        await create_or_upgrade(conn, self.path)
                    except BaseException:
                        await _rollback_quietly(conn)
                        raise
            else:
                await conn.execute("PRAGMA query_only=1")
        except sqlite3.Error as exc:
            await self._close_quietly(conn)
            raise StoreUnavailable(f"cannot prepare SQLite database {self.path}: {exc}") from exc
        return conn

    @staticmethod
    async def _close_quietly(conn: aiosqlite.Connection) -> None:
        try:
            await conn.close()
        except (sqlite3.Error, ValueError) as exc:
            log.debug("closing a broken SQLite connection: %s", exc)

    @asynccontextmanager
    async def _translated(self, *, writer: bool) -> AsyncIterator[None]:
        """Unavailability as `StoreUnavailable`, other errors as they are; a connection that
        failed otherwise than on a lock is forgotten, so that the next call opens a fresh one."""
        try:
            yield
        except (sqlite3.Error, ValueError) as exc:
            if not _is_unavailable(exc):
                raise
            if not _is_lock(exc):
                broken = self._writer if writer else self._reader
                if writer:
                    self._writer = None
                else:
                    self._reader = None
                if broken is not None:
                    await self._close_quietly(broken)
            raise StoreUnavailable(f"SQLite database {self.path}: {exc}") from exc

    # -- writes: one writer task, one transaction per batch ----------------------------

    async def _insert_or_get(self, event: StoredEvent) -> tuple[StoredEvent, bool]:
        if self._closing or self._writer_task is None or self._writer_task.done():
            raise StoreUnavailable("the SQLite store is closed")
        future: asyncio.Future[tuple[StoredEvent, bool]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending.append((event, future))
        self._wake.set()
        return await future

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._write_batch(batch)
            if self._closing:
                return

    async def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            async with self._write_lock, self._translated(writer=True):
                conn = await self._connection(writer=True)
                results = await self._insert_batch(conn, [event for event, _ in batch])
        except Exception as exc:  # every waiter hears why; the loop must live on
            if not isinstance(exc, StoreUnavailable):
                log.exception("writing %d events to SQLite failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    @staticmethod
    async def _insert_batch(
        conn: aiosqlite.Connection, events: list[StoredEvent]
    ) -> list[tuple[StoredEvent, bool]]:
        ids = list({event["id"]: None for event in events})
        await conn.execute("BEGIN IMMEDIATE")
        try:
            marks = ",".join("?" * len(ids))
            rows = await conn.execute_fetchall(
                f"SELECT id, body FROM events WHERE id IN ({marks})",  # noqa: S608 (only ?s)
                ids,
            )
            known: dict[str, StoredEvent] = {row[0]: json.loads(row[1]) for row in rows}
            results, new_rows = [], []
            for event in events:
                stored = known.get(event["id"])
                if stored is None:
                    known[event["id"]] = event
                    new_rows.append(event_row(event))
                    results.append((event, True))
                else:
                    results.append((stored, False))
            if new_rows:
                await conn.executemany(INSERT, new_rows)
            await conn.execute("COMMIT")
        except BaseException:
            await _rollback_quietly(conn)
            raise
        return results

    async def ping(self) -> None:
        async with self._write_lock, self._translated(writer=True):
            conn = await self._connection(writer=True)
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("ROLLBACK")
        await self._read("SELECT 1 FROM events LIMIT 1", ())

    # -- reads --------------------------------------------------------------------------

    async def _read(self, sql: str, params: tuple[Any, ...] | list[Any]) -> list[Any]:
        async with self._translated(writer=False):
            conn = await self._connection(writer=False)
            return list(await conn.execute_fetchall(sql, params))

    async def get(self, event_id: str) -> StoredEvent | None:
        rows = await self._read("SELECT body FROM events WHERE id = ?", (event_id,))
        return json.loads(rows[0][0]) if rows else None

    async def find(self, query: ActivityQuery) -> list[StoredEvent]:
        common = query.q is not None and await self._is_common(query.q)
        sql, params = select_events(query, common_term=common)
        rows = await self._read(sql, params)
        return [json.loads(row[0]) for row in rows]

    async def _is_common(self, q: str) -> bool:
        """Whether `q` is in at least COMMON_TERM_HITS events (reads that many at most)."""
        wanted = search_text(q)
        if len(wanted) < MIN_INDEXED_QUERY:
            return True  # no index for it: the scan is the only way
        rows = await self._read(
            "SELECT count(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
            (fts_phrase(wanted), COMMON_TERM_HITS),
        )
        return int(rows[0][0]) >= COMMON_TERM_HITS

    async def count_by_minute(self, since: datetime, until: datetime) -> list[MinuteCount]:
        rows = await self._read(
            "SELECT substr(timestamp, 1, 16), type, count(*) FROM events"
            " WHERE timestamp >= ? AND timestamp < ? GROUP BY 1, 2",
            (format_timestamp(since), format_timestamp(until)),
        )
        return [MinuteCount(minute, type_, count) for minute, type_, count in rows]

    async def count(self) -> int:
        rows = await self._read("SELECT count(*) FROM events", ())
        return int(rows[0][0])


def fts_phrase(text: str) -> str:
    """`text` (a `search_text`, so without NULs) as one quoted FTS5 phrase: its text, never
    the query syntax."""
    return '"' + text.replace('"', '""') + '"'


def select_events(query: ActivityQuery, *, common_term: bool = False) -> tuple[str, list[Any]]:
    """The SELECT of `find` and its parameters (every value bound, never spliced).

    `q` matches where `search_text(q)` is within an event's `search_text`. A `common_term`
    q is tested on each event while walking the newest first; a rare one (or no hint) takes
    its matches from the trigram index. Both answer the same events.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("user_id", "username", "type"):
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.type is not None and (query.user_id is not None or query.username is not None):
        # Without table statistics SQLite rates a handful of types as selective as
        # thousands of users and may walk the type index (395 ms at p95 for one user's
        # votes among 1M events). A user filter always narrows more: the unary `+`
        # keeps the type test off the index, so the planner walks the user's events.
        clauses[clauses.index("type = ?")] = "+type = ?"
    if query.since is not None:
        clauses.append("timestamp >= ?")
        params.append(format_timestamp(query.since))
    if query.until is not None:
        clauses.append("timestamp < ?")
        params.append(format_timestamp(query.until))
    if query.q is not None:
        wanted = search_text(query.q)
        if len(wanted) >= MIN_INDEXED_QUERY and not common_term:
            clauses.append("seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
            params.append(fts_phrase(wanted))
        else:
            clauses.append("instr(search_text, ?) > 0")
            params.append(wanted)
    if query.after is not None:
        clauses.append("(timestamp, id) < (?, ?)")
        params += [query.after.timestamp, query.after.id]
    # The clauses are constants of this function; every value is a bound parameter.
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT body FROM events {where} ORDER BY timestamp DESC, id DESC LIMIT ?"  # noqa: S608
    return sql, [*params, query.limit + 1]
