"""The production store: MongoDB through Motor. The only module that imports motor or pymongo.

A unique index on `id` makes inserts idempotent under any concurrency: a second insert of
an id fails with `DuplicateKeyError` and the stored event is read back instead. Indexes are
created before the first write, lazily, so the service starts while MongoDB is down and
catches up when it returns. `data` is kept as JSON text (`data_json`), so every JSON object
round-trips exactly, even with keys MongoDB reserves (`$x`, `a.b`) or integers beyond 64 bits.
Every filter value reaches MongoDB as a literal: query values are typed before they get here,
and `q` is escaped into a regular expression. `q` is looked for in `details_search`, the
folded form of `details` that the SQLite store searches too (`search_text.py`); events
stored before that field existed get it when the store first reaches the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    WriteConcernError,
)

from src.activity.store.base import (
    ActivityQuery,
    ActivityStore,
    MinuteCount,
    StoredEvent,
    StoreUnavailable,
)
from src.activity.store.search_text import search_text
from src.common.events import format_timestamp

__all__ = ["DEFAULT_DATABASE", "MongoStore"]

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "wolfit_activity"
COLLECTION = "events"
# Fail a call after 2 s instead of pymongo's 30 s when the server is gone: the worker
# retries anyway, and a fast 503 keeps the service's own queue short.
DEFAULT_CLIENT_OPTIONS = {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000}
NEWEST_FIRST = [("timestamp", DESCENDING), ("id", DESCENDING)]
INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("id", ASCENDING)], {"name": "event_id_unique", "unique": True}),
    (NEWEST_FIRST, {"name": "by_time"}),
    ([("user_id", ASCENDING), *NEWEST_FIRST], {"name": "by_user_id"}),
    ([("username", ASCENDING), *NEWEST_FIRST], {"name": "by_username"}),
    ([("type", ASCENDING), *NEWEST_FIRST], {"name": "by_type"}),
]
# Server answers that mean "not now" rather than "not this query": shutting down, stepping
# down, not primary, network and time limits (the drivers' retryable codes), and a refused
# login, which only the operator can fix and /healthz should show. Any other failure, a bad
# query say, is a bug to report as one, not an outage to retry.
SEARCH_FIELD = "details_search"
UPGRADE_BATCH = 100  # old events given their search field at a time, at start
_STORE_ONLY = ("_id", "data_json", SEARCH_FIELD)
_UNAVAILABLE_CODES = frozenset(
    {6, 7, 13, 18, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}
)
_TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError")


def _is_unavailable(error: Exception) -> bool:
    """Whether a pymongo error means MongoDB cannot serve now (so: 503, retry)."""
    if isinstance(error, ConnectionFailure | ExecutionTimeout | WriteConcernError):
        return True
    if isinstance(error, OperationFailure):
        return error.code in _UNAVAILABLE_CODES or any(
            error.has_error_label(label) for label in _TRANSIENT_LABELS
        )
    return False


def _document(event: StoredEvent) -> dict[str, Any]:
    document = {key: value for key, value in event.items() if key != "data"}
    data = event.get("data")
    document["data_json"] = None if data is None else json.dumps(data, ensure_ascii=False)
    document[SEARCH_FIELD] = search_text(event["details"])
    return document


def _event(document: dict[str, Any]) -> StoredEvent:
    event = {key: value for key, value in document.items() if key not in _STORE_ONLY}
    data_json = document.get("data_json")
    event["data"] = None if data_json is None else json.loads(data_json)
    return event


async def _add_search_field(collection: Any) -> None:
    """Give the events stored before `details_search` existed their searchable form,
    `UPGRADE_BATCH` updates at a time in flight (not one round trip after another)."""

    async def add(document: dict[str, Any]) -> None:
        text = search_text(document.get("details") or "")
        await collection.update_one({"_id": document["_id"]}, {"$set": {SEARCH_FIELD: text}})

    batch: list[dict[str, Any]] = []
    async for document in collection.find({SEARCH_FIELD: {"$exists": False}}, {"details": 1}):
        batch.append(document)
        if len(batch) >= UPGRADE_BATCH:
            await asyncio.gather(*map(add, batch))
            batch = []
    await asyncio.gather(*map(add, batch))


def _database_in(url: str) -> str:
    """The database a MongoDB URL names (`mongodb://host/NAME?options`), or ""."""
    _, _, path = url.partition("://")[2].partition("/")
    return path.partition("?")[0]


def _client_options(url: str) -> dict[str, Any]:
    given = url.lower()
    return {key: value for key, value in DEFAULT_CLIENT_OPTIONS.items() if key.lower() not in given}


class MongoStore(ActivityStore):
    """Events in the `events` collection of one MongoDB database.

    Give it `url` (the client is made in `open()`), or a ready `client` such as
    mongomock-motor's in tests. The database is `database`, else the one the URL names,
    else `wolfit_activity`.
    """

    kind = "mongodb"

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        database: str | None = None,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("give MongoStore either a url or a client")
        self.url = url
        self._client = client
        self._owns_client = client is None
        self.database = database or (url and _database_in(url)) or DEFAULT_DATABASE
        self._indexes_ready = False
        self._index_lock = asyncio.Lock()

    async def open(self) -> None:
        if self._client is None:
            assert self.url is not None
            self._client = AsyncIOMotorClient(self.url, **_client_options(self.url))
        try:
            await self._ready()
        except StoreUnavailable as exc:  # the first call that needs the database tries again
            log.warning("activity store unavailable at start, will retry: %s", exc)

    async def close(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    @property
    def _collection(self) -> Any:
        if self._client is None:
            raise StoreUnavailable("the MongoDB store is closed")
        return self._client[self.database][COLLECTION]

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (ConnectionFailure, OperationFailure) as exc:
            if not _is_unavailable(exc):
                raise
            raise StoreUnavailable(f"MongoDB: {exc.__class__.__name__}: {exc}") from exc

    async def _ready(self) -> Any:
        """The collection, once its indexes exist (never insert without the unique index)
        and every event has its `details_search`."""
        collection = self._collection
        if not self._indexes_ready:
            async with self._index_lock:
                if not self._indexes_ready:
                    with self._translated():
                        for keys, options in INDEXES:
                            await collection.create_index(keys, **options)
                        await _add_search_field(collection)
                    self._indexes_ready = True
        return collection

    async def _insert_or_get(self, event: StoredEvent) -> tuple[StoredEvent, bool]:
        collection = await self._ready()
        with self._translated():
            try:
                await collection.insert_one(_document(event))
            except DuplicateKeyError:
                stored = await collection.find_one({"id": event["id"]})
            else:
                return event, True
        if stored is None:  # deleted by hand between the two calls: store it again
            return await self._insert_or_get(event)
        return _event(stored), False

    async def ping(self) -> None:
        await self._ready()
        with self._translated():
            await self._client.admin.command("ping")

    async def get(self, event_id: str) -> StoredEvent | None:
        collection = await self._ready()
        with self._translated():
            document = await collection.find_one({"id": event_id})
        return None if document is None else _event(document)

    async def find(self, query: ActivityQuery) -> list[StoredEvent]:
        conditions: list[dict[str, Any]] = []
        for field in ("user_id", "username", "type"):
            value = getattr(query, field)
            if value is not None:
                conditions.append({field: {"$eq": value}})
        if query.since is not None:
            conditions.append({"timestamp": {"$gte": format_timestamp(query.since)}})
        if query.until is not None:
            conditions.append({"timestamp": {"$lt": format_timestamp(query.until)}})
        if query.q is not None:
            # search_text folds case and has no NUL, which a MongoDB regex could not hold.
            conditions.append({SEARCH_FIELD: {"$regex": re.escape(search_text(query.q))}})
        if query.after is not None:
            at = query.after
            conditions.append(
                {
                    "$or": [
                        {"timestamp": {"$lt": at.timestamp}},
                        {"timestamp": {"$eq": at.timestamp}, "id": {"$lt": at.id}},
                    ]
                }
            )
        collection = await self._ready()
        with self._translated():
            cursor = collection.find({"$and": conditions} if conditions else {})
            documents = await cursor.sort(NEWEST_FIRST).limit(query.limit + 1).to_list(None)
        return [_event(document) for document in documents]

    async def count_by_minute(self, since: datetime, until: datetime) -> list[MinuteCount]:
        window = {"$gte": format_timestamp(since), "$lt": format_timestamp(until)}
        pipeline = [
            {"$match": {"timestamp": window}},
            {
                "$group": {
                    # $substr is $substrBytes' older name; timestamps are ASCII.
                    "_id": {"minute": {"$substr": ["$timestamp", 0, 16]}, "type": "$type"},
                    "count": {"$sum": 1},
                }
            },
        ]
        collection = await self._ready()
        with self._translated():
            groups = await collection.aggregate(pipeline).to_list(None)
        return [
            MinuteCount(group["_id"]["minute"], group["_id"]["type"], int(group["count"]))
            for group in groups
        ]

    async def count(self) -> int:
        collection = await self._ready()
        with self._translated():
            return int(await collection.count_documents({}))
