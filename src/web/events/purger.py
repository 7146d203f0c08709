"""Deletes outbox rows whose events were handed over, in batches, off the request's path.

Once an event is enqueued (or stored, in sync mode) its outbox row is only a leftover. The
request does not wait for that delete: it queues the id here, and one background task deletes
many rows per transaction, which keeps the write lock free for the actions themselves. If the
process dies first, the relay finds the rows and enqueues them again, which arq ignores
(`_job_id` is the event id) and the activity service would store once anyway.
"""

from __future__ import annotations

import asyncio
import logging

from src.common.tasks import stop_task
from src.web.data import outbox
from src.web.database import Database

__all__ = ["OutboxPurger"]

log = logging.getLogger(__name__)

BATCH = 500
LINGER = 0.1  # seconds to collect more ids before a delete: fewer write transactions
RETRY_DELAY = 1.0


class OutboxPurger:
    """Collects ids of handed-over events and deletes their rows in the background."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._ids: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def discard(self, event_id: str) -> None:
        """Delete this event's outbox row soon."""
        self._ids.put_nowait(event_id)

    @property
    def pending(self) -> int:
        """Rows waiting to be deleted."""
        return self._ids.qsize()

    def start(self) -> None:
        """Start the background task."""
        self._task = asyncio.create_task(self._run(), name="outbox-purger")

    async def stop(self) -> None:
        """Stop the task, then delete what is still waiting."""
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        try:
            while not self._ids.empty():
                await self._delete(self._take_batch([]))
        except Exception:
            log.warning("outbox rows left to the relay at shutdown", exc_info=True)

    def _take_batch(self, batch: list[str]) -> list[str]:
        while len(batch) < BATCH and not self._ids.empty():
            batch.append(self._ids.get_nowait())
        return batch

    async def _delete(self, batch: list[str]) -> None:
        await self.database.write(outbox.delete_entries, batch)

    async def _run(self) -> None:
        while True:
            first = await self._ids.get()
            await asyncio.sleep(LINGER)
            batch = self._take_batch([first])
            try:
                await self._delete(batch)
            except Exception:
                log.warning("could not delete %d outbox rows; retrying", len(batch), exc_info=True)
                for event_id in batch:
                    self._ids.put_nowait(event_id)
                await asyncio.sleep(RETRY_DELAY)
