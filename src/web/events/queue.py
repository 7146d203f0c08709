"""The arq queue as the web app uses it, through the public producer API of `src.jobs`.

The pool connects lazily and fails fast (about 2 s) when Redis is down, so a request never
hangs on the queue: `enqueue` raises `QueueUnavailable`, the event stays in the outbox, and
the relay hands it over when Redis is back. Without `REDIS_URL` (allowed only with
`ACTIVITY_MODE=off`) every enqueue is `QueueUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis

from src.common.events import ActivityEvent
from src.common.settings import Settings
from src.jobs import QueueUnavailable, create_pool, enqueue_event

__all__ = ["EventQueue", "QueueUnavailable"]

log = logging.getLogger(__name__)

PING_TIMEOUT = 1.0


class EventQueue:
    """Enqueues `post_activity(event)` jobs with `_job_id = event.id` (never twice)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: Any = None

    async def open(self) -> None:
        """Make the pool (no connection yet); nothing to do without `REDIS_URL`."""
        if self.settings.redis_url and self._pool is None:
            self._pool = await create_pool(self.settings)

    @property
    def redis(self) -> Redis | None:
        """The pool's Redis client (for the relay's lease); None without `REDIS_URL`."""
        return self._pool

    async def enqueue(self, event: ActivityEvent | dict[str, Any]) -> bool:
        """Queue one delivery; False when this event id is queued already (no duplicate)."""
        if self._pool is None:
            raise QueueUnavailable("REDIS_URL is not set: events stay in the outbox")
        return bool(await enqueue_event(self._pool, event))

    async def state(self) -> str:
        """`ok` when Redis answers a ping within a second, else `unreachable`; `not
        configured` without `REDIS_URL` (for /healthz)."""
        if self._pool is None:
            return "not configured"
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                await self._pool.ping()
        except Exception:
            return "unreachable"
        return "ok"

    async def close(self) -> None:
        """Close the pool's connections."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.aclose()
