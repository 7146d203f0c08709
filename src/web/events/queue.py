"""The arq queue as the web app uses it: opened once, never on a request's path.

A request that finds the queue closed (Redis was down when the app started) gets
`QueueUnavailable` at once instead of waiting for a connection; its event stays in the outbox
and the relay, which calls `connect()` with backoff, hands it over when Redis is back. Once
open, the arq pool reconnects on its own after a Redis restart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from src.common.events import ActivityEvent
from src.common.settings import Settings
from src.jobs import QueueUnavailable, create_pool, enqueue_event

__all__ = ["EventQueue", "QueueUnavailable"]

log = logging.getLogger(__name__)


class EventQueue:
    """Enqueues `post_activity(event)` jobs through `src.jobs`, with `_job_id = event.id`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: Any = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """Whether the pool is open (Redis may still be down: enqueue then raises)."""
        return self._pool is not None

    async def connect(self) -> None:
        """Open the pool if it is not open; `QueueUnavailable` when Redis does not answer."""
        async with self._lock:
            if self._pool is not None:
                return
            try:
                self._pool = await create_pool(self.settings)
            except QueueUnavailable:
                raise
            except (OSError, TimeoutError) as exc:
                raise QueueUnavailable(f"cannot reach Redis: {exc}") from exc
            log.info("connected to the job queue")

    async def enqueue(self, event: ActivityEvent | dict[str, Any]) -> bool:
        """Queue one delivery; False when this event id is queued already (no duplicate)."""
        if self._pool is None:
            raise QueueUnavailable("the job queue is not connected yet")
        payload = event.to_json_dict() if isinstance(event, ActivityEvent) else event
        return bool(await enqueue_event(self._pool, payload))

    async def close(self) -> None:
        """Close the pool's connections."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.aclose()
