"""Where the activity service keeps events: one interface, a SQLite and a MongoDB store.

`ACTIVITY_DB_URL` picks one (`store_from_url`); the MongoDB module, and so Motor, is imported
only when a `mongodb://` URL asks for it.
"""

from __future__ import annotations

from src.activity.store.base import (
    ActivityQuery,
    ActivityStore,
    Added,
    IdConflict,
    MinuteCount,
    Position,
    StoreError,
    StoreUnavailable,
)
from src.activity.store.sqlite import SqliteStore

__all__ = [
    "ActivityQuery",
    "ActivityStore",
    "Added",
    "IdConflict",
    "MinuteCount",
    "Position",
    "SqliteStore",
    "StoreError",
    "StoreUnavailable",
    "store_from_url",
]

SQLITE_PREFIX = "sqlite:///"


def store_from_url(url: str) -> ActivityStore:
    """An unopened store for `ACTIVITY_DB_URL`: `sqlite:///path` or `mongodb://...`."""
    if url.startswith(SQLITE_PREFIX):
        return SqliteStore(url.removeprefix(SQLITE_PREFIX))
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from src.activity.store.mongo import MongoStore

        return MongoStore(url)
    raise ValueError(f"ACTIVITY_DB_URL={url!r} must start with sqlite:/// or mongodb://")
