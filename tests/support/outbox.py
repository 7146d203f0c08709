"""The web database's outbox in tests: every row, and rows as a web process leaves them when
it dies between commit and enqueue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, insert, select

from src.common.events import ActivityEvent
from src.web.data import outbox as outbox_data
from src.web.data.outbox import OutboxRecord
from src.web.database import Database
from src.web.models import outbox, utcnow

__all__ = ["all_outbox_rows", "outbox_count", "put_leftovers"]


def all_outbox_rows(connection: Connection) -> list[OutboxRecord]:
    """Every outbox row, oldest first (a unit of work for `Database.read`)."""
    query = select(outbox).order_by(outbox.c.created, outbox.c.id)
    return [OutboxRecord(*row) for row in connection.execute(query)]


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
    database = Database(database_url)
    try:
        await database.write(lambda connection: connection.execute(insert(outbox), rows))
    finally:
        await database.close()
    return [str(event.id) for event in events]


async def outbox_count(database_url: str) -> int:
    """How many rows the outbox holds."""
    database = Database(database_url)
    try:
        return await database.read(outbox_data.count)
    finally:
        await database.close()
