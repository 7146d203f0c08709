"""The SQLite store's schema, its statements, and how a database file gets the schema.

Schema 2 keeps `search_text`, the folded form of `details` that `q` matches
(`search_text.py`), and indexes it; schema 1 indexed `details` as it was, so its trigram
index and its walk of the newest events could disagree. `UPGRADE_FROM_1` moves a schema-1
file on: it fills `search_text` and builds the index again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from src.activity.store.search_text import search_text

__all__ = [
    "COMMON_TERM_HITS",
    "INSERT",
    "MAX_BATCH",
    "MIN_INDEXED_QUERY",
    "REBUILD_INDEX",
    "SCHEMA",
    "SCHEMA_VERSION",
    "UPGRADE_FROM_1",
    "create_or_upgrade",
    "event_row",
    "schema_version",
    "statements",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    timestamp TEXT NOT NULL,
    details TEXT NOT NULL,
    body TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_user_id ON events (user_id, timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_username ON events (username, timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, timestamp, id);
-- Trigram tokens make `q` a substring search of `search_text` that an index answers; the
-- text is folded already, so the index compares it exactly (`case_sensitive 1`).
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    search_text, content='events', content_rowid='seq', tokenize='trigram case_sensitive 1'
);
CREATE TRIGGER IF NOT EXISTS events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search_text)
    VALUES ('delete', old.seq, old.search_text);
END;
"""
# Run before SCHEMA, on a connection with the `search_text` function; REBUILD_INDEX after.
UPGRADE_FROM_1 = """
DROP TRIGGER IF EXISTS events_fts_insert;
DROP TRIGGER IF EXISTS events_fts_delete;
DROP TABLE IF EXISTS events_fts;
ALTER TABLE events ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE events SET search_text = search_text(details);
"""
REBUILD_INDEX = "INSERT INTO events_fts (events_fts) VALUES ('rebuild')"
INSERT = (
    "INSERT INTO events (id, type, user_id, username, timestamp, details, body, search_text)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# Trigram search needs at least three characters; shorter `q` scans `search_text` instead.
MIN_INDEXED_QUERY = 3
# A `q` found in at least this many events is common: walking the newest events and testing
# each finds a page at once, where collecting every match first would read them all (2 s
# for a word in each of 1M events). A rarer `q` collects its few matches from the index.
COMMON_TERM_HITS = 2_000
# Events committed per transaction at most: enough for any burst of concurrent POSTs,
# few enough that one `IN (...)` lookup and one commit stay short.
MAX_BATCH = 256


def event_row(event: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters of INSERT for a stored event (as the API answers it)."""
    return (
        event["id"],
        event["type"],
        event["user_id"],
        event["username"],
        event["timestamp"],
        event["details"],
        json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        search_text(event["details"]),
    )


def statements(script: str) -> list[str]:
    """The statements of `script` one by one (a trigger's body stays whole), for running
    them inside a transaction, which `executescript` would commit first."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        found.append(pending.strip())
    return found


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The schema version the database file says it has (0 when new)."""
    (version,) = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
    return int(version)


async def create_or_upgrade(conn: aiosqlite.Connection, path: Path) -> None:
    """Create the schema, or move a schema-1 file on, in one transaction (the caller rolls
    back on failure). The version is read again under the write lock: another process may
    have just done the work."""
    await conn.execute("BEGIN IMMEDIATE")
    if await schema_version(conn) < SCHEMA_VERSION:
        columns = {row[1] for row in await conn.execute_fetchall("PRAGMA table_info(events)")}
        upgrade = bool(columns) and "search_text" not in columns
        if upgrade:
            log.info("upgrading the activity store %s to schema %d", path, SCHEMA_VERSION)
            await conn.create_function("search_text", 1, search_text, deterministic=True)
            for statement in statements(UPGRADE_FROM_1):
                await conn.execute(statement)
        for statement in statements(SCHEMA):
            await conn.execute(statement)
        if upgrade:
            await conn.execute(REBUILD_INDEX)
        await conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    await conn.execute("COMMIT")
