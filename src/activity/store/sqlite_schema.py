"""The SQLite store's schema and statements, kept apart from the code that runs them."""

from __future__ import annotations

__all__ = [
    "COMMON_TERM_HITS",
    "INSERT",
    "MAX_BATCH",
    "MIN_INDEXED_QUERY",
    "SCHEMA",
    "SCHEMA_VERSION",
]

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    timestamp TEXT NOT NULL,
    details TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events (timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_user_id ON events (user_id, timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_username ON events (username, timestamp, id);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, timestamp, id);
-- Trigram tokens make `q` a substring search, case-insensitive, that an index answers.
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    details, content='events', content_rowid='seq', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, details) VALUES (new.seq, new.details);
END;
CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, details) VALUES ('delete', old.seq, old.details);
END;
"""
INSERT = (
    "INSERT INTO events (id, type, user_id, username, timestamp, details, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# Trigram search needs at least three characters; shorter `q` scans `details` instead.
MIN_INDEXED_QUERY = 3
# A `q` found in at least this many events is common: walking the newest events and testing
# each finds a page at once, where collecting every match first would read them all (2 s
# for a word in each of 1M events). A rarer `q` collects its few matches from the index.
COMMON_TERM_HITS = 2_000
# Events committed per transaction at most: enough for any burst of concurrent POSTs,
# few enough that one `IN (...)` lookup and one commit stay short.
MAX_BATCH = 256
