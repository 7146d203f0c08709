"""The outbox table: events written with their action, until the queue has them.

A row is added in the action's own transaction (`add`), deleted once the event is enqueued
(`delete_entries`), and marked with the error when enqueueing failed (`record_failure`) so
the relay knows it is not in flight any more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, update

from src.common.events import ActivityEvent
from src.web.models import outbox, utcnow

__all__ = ["OutboxRecord", "add", "count", "delete_entries", "leftovers", "record_failure"]

_MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A row of `outbox`: an event (as the JSON the queue carries) and its hand-over tries."""

    id: str
    event: dict[str, Any]
    created: datetime
    attempts: int
    last_error: str | None


_INSERT = insert(outbox)
_DELETE = delete(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))
_FAILED = (
    update(outbox)
    .where(outbox.c.id == bindparam("event_id"))
    .values(attempts=outbox.c.attempts + 1, last_error=bindparam("error"))
)
_LEFTOVERS = (
    select(outbox)
    .where(or_(outbox.c.attempts > 0, outbox.c.created < bindparam("fresh_since")))
    .order_by(outbox.c.created)
    .limit(bindparam("limit"))
)
_COUNT = select(func.count(outbox.c.id))


def add(connection: Connection, event: ActivityEvent) -> None:
    """Write `event` in the caller's (the action's) transaction."""
    connection.execute(
        _INSERT,
        {"id": str(event.id), "event": event.to_json_dict(), "created": utcnow(), "attempts": 0},
    )


def delete_entries(connection: Connection, ids: Collection[str]) -> int:
    """Delete these rows (those already gone are fine); answers how many went."""
    if not ids:
        return 0
    return int(connection.execute(_DELETE, {"ids": list(ids)}).rowcount or 0)


def record_failure(connection: Connection, event_id: str, error: str) -> None:
    """Count one failed hand-over of this row and keep the error."""
    connection.execute(_FAILED, {"event_id": event_id, "error": error[:_MAX_ERROR]})


def leftovers(connection: Connection, *, fresh_since: datetime, limit: int) -> list[OutboxRecord]:
    """Rows the relay should hand over, oldest first.

    A row that failed at least once is certainly not in flight; an untried row is taken only
    once it is older than `fresh_since`, so the relay does not race the request that is
    enqueueing it right now (a race would be harmless, just wasted work).
    """
    rows = connection.execute(_LEFTOVERS, {"fresh_since": fresh_since, "limit": limit})
    return [OutboxRecord(*row) for row in rows]


def count(connection: Connection) -> int:
    """How many events wait in the outbox."""
    return int(connection.execute(_COUNT).scalar_one())
