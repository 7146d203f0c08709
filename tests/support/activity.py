"""Helpers for tests of the activity service: event bodies, stores, and store outages.

How each store is made to fail, explicitly:

- SQLite: another connection holds the database's write lock (`BEGIN IMMEDIATE`), as a
  backup tool or a `sqlite3` shell in a write transaction would. Writes and health checks
  wait out the busy timeout and fail; reads still work (WAL). Releasing the lock ends it.
- MongoDB (mongomock-motor, a fake): the fake's collection and command methods are patched
  to raise pymongo's `ServerSelectionTimeoutError`, what Motor raises when no server
  answers. Restoring them ends it.
- A real MongoDB (`MONGODB_TEST_URL`) cannot be stopped from a test: outage tests skip it.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from src.activity.store import ActivityStore, SqliteStore
from src.activity.store.mongo import MongoStore
from tests.conftest import TEST_TOKEN

STORE_KINDS = ("sqlite", "mongomock", "mongodb")
AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
MONGODB_TEST_URL = os.environ.get("MONGODB_TEST_URL")
NO_MONGODB = "MONGODB_TEST_URL is not set: no real MongoDB to run the store tests against"


def event_body(**changes: Any) -> dict[str, Any]:
    """A valid event as a producer sends it, with a fresh id, changed by `changes`."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "post.vote",
        "user_id": 12,
        "username": "alice",
        "timestamp": "2026-11-22T10:01:11.457843+00:00",
        "details": "alice up-voted post 7",
        "data": {"post_id": 7, "direction": "up"},
        "request_id": "b3c2",
    }
    body.update(changes)
    return body


def make_store(kind: str, tmp_path: Path) -> ActivityStore:
    """An unopened store of `kind`: sqlite, mongomock (the fake) or mongodb (real)."""
    if kind == "sqlite":
        # A short busy timeout keeps outage tests quick; the behaviour is the same.
        return SqliteStore(tmp_path / "activity.sqlite3", busy_timeout=0.2)
    if kind == "mongomock":
        from mongomock_motor import AsyncMongoMockClient

        return MongoStore(client=AsyncMongoMockClient(), database="wolfit_activity")
    if kind == "mongodb":
        if not MONGODB_TEST_URL:
            pytest.skip(NO_MONGODB)
        return MongoStore(MONGODB_TEST_URL, database=f"wolfit_test_{uuid.uuid4().hex[:12]}")
    raise ValueError(kind)


async def drop_real_database(store: ActivityStore) -> None:
    """Remove the throwaway database a `mongodb` store of `make_store` used."""
    if isinstance(store, MongoStore) and store.url:
        from motor.motor_asyncio import AsyncIOMotorClient

        client: Any = AsyncIOMotorClient(store.url)
        try:
            await client.drop_database(store.database)
        finally:
            client.close()


@contextmanager
def sqlite_write_lock(path: Path) -> Iterator[None]:
    """Hold the write lock of the SQLite database at `path` from another connection."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@contextmanager
def mongomock_outage() -> Iterator[None]:
    """Make every mongomock-motor call raise `ServerSelectionTimeoutError` until exit."""
    import mongomock.collection
    import mongomock.database
    from pymongo.errors import ServerSelectionTimeoutError

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ServerSelectionTimeoutError("fake outage: no MongoDB server answers")

    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "insert_one",
            "find_one",
            "find",
            "aggregate",
            "count_documents",
            "create_index",
        ):
            patch.setattr(mongomock.collection.Collection, name, unreachable)
        patch.setattr(mongomock.database.Database, "command", unreachable)
        yield


@contextmanager
def store_outage(kind: str, store: ActivityStore) -> Iterator[None]:
    """Make `store` unreachable for writes and health checks until exit (see above)."""
    if kind == "sqlite":
        assert isinstance(store, SqliteStore)
        with sqlite_write_lock(store.path):
            yield
    elif kind == "mongomock":
        with mongomock_outage():
            yield
    else:
        pytest.skip("a real MongoDB cannot be stopped from a test")
