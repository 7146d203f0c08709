"""What the activity service needs from a store, and the errors a store raises.

Two stores implement `ActivityStore`: SQLite (`sqlite.py`, the embedded default) and MongoDB
through Motor (`mongo.py`). The service sees only this interface and these errors::

    StoreError                  the store did not do what was asked
    ├── StoreUnavailable        the database cannot be reached or is locked; the same call
    │                           may succeed later (HTTP 503 with Retry-After)
    └── IdConflict              an event with this id is stored with other content (HTTP 409);
                                `stored` is what the store holds

Idempotency lives here, once for both stores: an implementation only inserts an event or
returns the one already stored under its id; `ActivityStore.add` decides whether that is the
same event (200) or a conflict (409) by comparing normalized content, `received_at` aside.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from src.common.events import ActivityEvent, format_timestamp

__all__ = [
    "ActivityQuery",
    "ActivityStore",
    "Added",
    "IdConflict",
    "MinuteCount",
    "Position",
    "StoreError",
    "StoreUnavailable",
    "content_key",
    "stored_form",
]

StoredEvent = dict[str, Any]


class StoreError(Exception):
    """The store did not do what was asked."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or is locked right now; try again later."""


class IdConflict(StoreError):
    """Another event is stored under this id; `stored` is that event."""

    def __init__(self, event_id: str, stored: StoredEvent) -> None:
        super().__init__(f"an event with id {event_id} is already stored with other content")
        self.event_id = event_id
        self.stored = stored


@dataclass(frozen=True, slots=True)
class Added:
    """The outcome of storing an event: `created` is False when it was already there."""

    created: bool
    event: StoredEvent


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the newest-first order `(timestamp, id)`: pages continue after it."""

    timestamp: str
    id: str


@dataclass(frozen=True, slots=True)
class ActivityQuery:
    """A validated search of the log: every field is already typed and within limits.

    `since` is inclusive and `until` exclusive; `q` is text within `details`, with case and
    accents folded alike on every store (`search_text.py`); `after` continues a previous
    page. Stores read values only as literals.
    """

    user_id: int | None = None
    username: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    limit: int = 50
    after: Position | None = None


@dataclass(frozen=True, slots=True)
class MinuteCount:
    """How many events of one type carry a timestamp within one minute (`YYYY-MM-DDTHH:MM`)."""

    minute: str
    type: str
    count: int


def stored_form(event: ActivityEvent, received_at: datetime) -> StoredEvent:
    """The event as stores keep and the API answers it: the wire form plus `received_at`."""
    stored = event.to_json_dict()
    stored["received_at"] = format_timestamp(received_at)
    return stored


def _plain_numbers(value: Any) -> Any:
    # JSON does not tell 1 from 1.0 and some producers (JavaScript) cannot either, so an
    # integral float compares equal to the integer it spells.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    return value


def content_key(event: StoredEvent) -> str:
    """A canonical text of what an event says, `received_at` aside: equal means same event.

    Both sides are normalized events (timestamps in one UTC form, ids in one spelling), so
    `+00:00` and `Z`, or a naive and a UTC timestamp, give the same key.
    """
    content = {key: value for key, value in event.items() if key != "received_at"}
    return json.dumps(
        _plain_numbers(content), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


class ActivityStore(ABC):
    """Events stored once per id, searchable newest first.

    `open()` never fails because the database is down: the service must start and answer
    503 until the database comes back, so implementations connect (again) lazily and raise
    `StoreUnavailable` from the call that could not reach it.
    """

    kind: ClassVar[str]
    """What `/healthz` reports: "sqlite" or "mongodb"."""

    async def add(self, event: ActivityEvent) -> Added:
        """Store `event` once: created, or already there with the same content.

        Raises `IdConflict` when its id is stored with other content, `StoreUnavailable`
        when the database cannot be reached.
        """
        candidate = stored_form(event, datetime.now(UTC))
        stored, created = await self._insert_or_get(candidate)
        if not created and content_key(stored) != content_key(candidate):
            raise IdConflict(candidate["id"], stored)
        return Added(created, stored)

    @abstractmethod
    async def _insert_or_get(self, event: StoredEvent) -> tuple[StoredEvent, bool]:
        """Insert `event` unless its id is stored; answer the stored event and whether it is new.

        Must be atomic per id: concurrent calls with one id insert exactly once.
        """

    @abstractmethod
    async def open(self) -> None:
        """Prepare connections; must not raise when the database is unreachable."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; pending writes finish or fail first."""

    @abstractmethod
    async def ping(self) -> None:
        """Return when the database accepts writes; `StoreUnavailable` otherwise."""

    @abstractmethod
    async def get(self, event_id: str) -> StoredEvent | None:
        """The stored event with this (normalized) id, or None."""

    @abstractmethod
    async def find(self, query: ActivityQuery) -> list[StoredEvent]:
        """Up to `query.limit + 1` matching events, newest first by `(timestamp, id)`.

        The extra one tells the caller that another page exists.
        """

    @abstractmethod
    async def count_by_minute(self, since: datetime, until: datetime) -> list[MinuteCount]:
        """Counts per type and minute of the events with `since <= timestamp < until`."""

    @abstractmethod
    async def count(self) -> int:
        """How many events the store holds."""
