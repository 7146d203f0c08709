"""The outbox table: events written with their action, until the queue has them.

A row is added in the action's own transaction (`add`), deleted once the event is enqueued
(`delete`), and marked with the error when enqueueing failed (`record_failure`) so the relay
knows it is not in flight any more.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from src.common.events import ActivityEvent

from ..models import OutboxEntry, utcnow

__all__ = ["add", "count", "delete_entries", "leftovers", "record_failure"]

_MAX_ERROR = 2000


async def add(session: AsyncSession, event: ActivityEvent) -> None:
    """Write `event` in the caller's transaction (a plain INSERT: this is on every action's
    path, and the ORM's unit of work would only add time)."""
    await session.execute(
        insert(OutboxEntry).values(
            id=str(event.id), event=event.to_json_dict(), created=utcnow(), attempts=0
        )
    )


async def delete_entries(session: AsyncSession, ids: Collection[str]) -> int:
    """Delete these rows (those already gone are fine); answers how many went."""
    if not ids:
        return 0
    result = await session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(list(ids))))
    return int(getattr(result, "rowcount", 0) or 0)


async def record_failure(session: AsyncSession, event_id: str, error: str) -> None:
    """Count one failed hand-over of this row and keep the error."""
    await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == event_id)
        .values(attempts=OutboxEntry.attempts + 1, last_error=error[:_MAX_ERROR])
    )


async def leftovers(
    session: AsyncSession, *, fresh_since: datetime, limit: int
) -> list[OutboxEntry]:
    """Rows the relay should hand over, oldest first.

    A row that failed at least once is certainly not in flight; an untried row is taken only
    once it is older than `fresh_since`, so the relay does not race the request that is
    enqueueing it right now (a race would be harmless, just wasted work).
    """
    query = (
        select(OutboxEntry)
        .where(or_(OutboxEntry.attempts > 0, OutboxEntry.created < fresh_since))
        .order_by(OutboxEntry.created)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def count(session: AsyncSession) -> int:
    """How many events wait in the outbox."""
    return int((await session.execute(select(func.count(OutboxEntry.id)))).scalar_one())
