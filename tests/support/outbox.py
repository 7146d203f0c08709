"""Reading the web database's outbox in tests: every row, oldest first."""

from __future__ import annotations

from sqlalchemy import Connection, select

from src.web.data.outbox import OutboxRecord
from src.web.models import outbox

__all__ = ["all_outbox_rows"]


def all_outbox_rows(connection: Connection) -> list[OutboxRecord]:
    """Every outbox row, oldest first (a unit of work for `Database.read`)."""
    query = select(outbox).order_by(outbox.c.created, outbox.c.id)
    return [OutboxRecord(*row) for row in connection.execute(query)]
