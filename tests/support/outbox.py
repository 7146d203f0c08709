"""Outbox rows as a web process leaves them when it dies between commit and enqueue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from src.common.events import ActivityEvent
from src.web.database import Database, create_engine
from src.web.models import OutboxEntry, utcnow

__all__ = ["outbox_count", "put_leftovers"]


async def put_leftovers(database_url: str, count: int, *, age: float = 3600.0) -> list[str]:
    """Write `count` untried outbox rows, older than any relay's grace; their event ids."""
    events = [
        ActivityEvent.new("post.vote", details=f"leftover {n}", user_id=1, username="alice")
        for n in range(count)
    ]
    created = utcnow() - timedelta(seconds=age)
    rows = [
        {"id": str(event.id), "event": event.to_json_dict(), "created": created, "attempts": 0}
        for event in events
    ]
    database = Database(create_engine(database_url))
    try:
        async with database.write() as session:
            await session.execute(insert(OutboxEntry), rows)
    finally:
        await database.dispose()
    return [str(event.id) for event in events]


async def outbox_count(database_url: str) -> int:
    """How many rows the outbox holds."""
    database = Database(create_engine(database_url))
    try:
        async with database.read() as session:
            return int((await session.execute(select(func.count(OutboxEntry.id)))).scalar_one())
    finally:
        await database.dispose()
