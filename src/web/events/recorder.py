"""Every action's activity event: durable with the action, then handed on per ACTIVITY_MODE.

In a view, the action and its outbox row are one unit of work (`Database.write`)::

    def submit_post(connection: Connection) -> ActivityEvent:
        post = create_post(connection, ...)
        event = builders.post_created(user, post, request_id=...)
        recorder.stage(connection, event)  # the outbox row, in the action's transaction
        return event

    event = await database.write(submit_post)
    await recorder.deliver(event)          # after the commit; never raises

`async`: enqueue the event (`post_activity`, `_job_id` = event id) and drop the outbox row.
`sync`: POST it to the activity service while the user waits (the slow design the benchmark
measures). `off`: nothing at all, the baseline. In both logging modes a failed hand-over
leaves the row in the outbox, marked, and the relay delivers it through the queue later: an
action that succeeded is never turned into an error by its event.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection

from src.common.activity_client import ActivityClient, ActivityError
from src.common.events import ActivityEvent
from src.common.settings import ActivityMode
from src.web.data import outbox
from src.web.database import Database
from src.web.events.purger import OutboxPurger
from src.web.events.queue import EventQueue, QueueUnavailable
from src.web.instruments import WebMetrics

__all__ = ["EventRecorder"]

log = logging.getLogger(__name__)


class EventRecorder:
    """Stages events in the outbox and delivers them after the commit."""

    def __init__(
        self,
        mode: ActivityMode,
        database: Database,
        queue: EventQueue,
        client: ActivityClient,
        purger: OutboxPurger,
        metrics: WebMetrics,
    ) -> None:
        self.mode = mode
        self.database = database
        self.queue = queue
        self.client = client
        self.purger = purger
        self.metrics = metrics

    @property
    def enabled(self) -> bool:
        """False in `off` mode: no event is written or sent."""
        return self.mode != "off"

    def stage(self, connection: Connection, event: ActivityEvent) -> None:
        """Write `event` to the outbox in the caller's (the action's) transaction."""
        if self.enabled:
            outbox.add(connection, event)

    async def record(self, event: ActivityEvent) -> None:
        """Stage `event` in a transaction of its own, then deliver it.

        For actions that change nothing else (login, logout, failed login). A database error
        propagates: the action then did not happen either.
        """
        if not self.enabled:
            return
        await self.database.write(self.stage, event)
        await self.deliver(event)

    async def deliver(self, event: ActivityEvent) -> None:
        """Hand a committed event on (queue or inline POST); on failure the outbox keeps it."""
        if not self.enabled:
            return
        try:
            if self.mode == "sync":
                await self.client.post_event(event.to_json_dict())
            else:
                await self.queue.enqueue(event)
        except asyncio.CancelledError:
            raise
        except (QueueUnavailable, ActivityError) as exc:
            log.warning("event %s stays in the outbox: %s", event.id, exc)
            await self._mark_failed(event, str(exc))
            return
        except Exception as exc:
            log.exception("event %s stays in the outbox after an unexpected error", event.id)
            await self._mark_failed(event, f"{exc.__class__.__name__}: {exc}")
            return
        self.metrics.count(event.type, "posted" if self.mode == "sync" else "enqueued")
        self.purger.discard(str(event.id))

    async def _mark_failed(self, event: ActivityEvent, error: str) -> None:
        # Tells the relay the row is not in flight, so it is retried without waiting.
        self.metrics.count(event.type, "kept")
        try:
            await self.database.write(outbox.record_failure, str(event.id), error)
        except Exception:
            log.warning("could not mark event %s as failed; the relay will find it", event.id)
