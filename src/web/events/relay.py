"""The outbox relay: a task in each web process that enqueues events left in the outbox.

Rows stay behind when Redis was down at the action (they are marked with the error) or when
the process died between commit and enqueue (unmarked; taken once older than `grace`). The
relay looks every `interval` seconds; while the queue is unreachable it backs off
(`src.common.backoff`), doubling up to `max_backoff`.

Every web process (WEB_PROCESSES, and every replica on the same Redis) runs a relay, but
only the one holding the relay lease (`RedisLease` on `LEASE`) works: the others check the
lease every `interval` and take over within `lease_ttl` seconds of the holder's death, or
at once when it stops cleanly. So each leftover is handed over, and counted as `relayed`,
once. Should two relays ever overlap (a holder paused past its lease), nothing breaks:
enqueueing is idempotent on the event id, and deleting a row twice is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import Connection

from src.common.backoff import Backoff
from src.common.tasks import stop_task
from src.web.data import outbox
from src.web.database import Database
from src.web.events.queue import EventQueue, QueueUnavailable
from src.web.instruments import WebMetrics
from src.web.lease import RedisLease
from src.web.models import utcnow

__all__ = ["LEASE", "OutboxRelay", "RelayPolicy"]

log = logging.getLogger(__name__)

LEASE = "wolfit:outbox:relay"


@dataclass(frozen=True, slots=True)
class RelayPolicy:
    """How eagerly the relay works; the defaults suit production, tests pass small ones."""

    interval: float = 1.0  # seconds between looks at the outbox while all is well
    grace: float = 30.0  # an untried row younger than this may still be in flight
    max_backoff: float = 30.0  # longest wait while Redis is down
    batch: int = 200  # rows per look
    lease_ttl: float = 10.0  # how long a dead holder keeps the others from relaying


def _settle(
    connection: Connection, handed_over: list[str], failure: tuple[str, str] | None
) -> None:
    """Delete the rows the queue has now, and mark the one it refused (if any)."""
    outbox.delete_entries(connection, handed_over)
    if failure is not None:
        outbox.record_failure(connection, *failure)


class OutboxRelay:
    """Hands outbox leftovers to the queue, then deletes them."""

    def __init__(
        self, database: Database, queue: EventQueue, policy: RelayPolicy, metrics: WebMetrics
    ) -> None:
        self.database = database
        self.queue = queue
        self.policy = policy
        self.metrics = metrics
        self._task: asyncio.Task[None] | None = None
        self.relayed = 0
        redis = queue.redis
        self.lease = RedisLease(redis, LEASE, policy.lease_ttl) if redis is not None else None

    async def relay_once(self) -> int:
        """Enqueue one batch of leftovers; answers how many; `QueueUnavailable` if Redis is down."""
        fresh_since = utcnow() - timedelta(seconds=self.policy.grace)
        entries = await self.database.read(
            outbox.leftovers, fresh_since=fresh_since, limit=self.policy.batch
        )
        if not entries:
            return 0
        handed_over: list[str] = []
        failure: tuple[str, str] | None = None
        for entry in entries:
            try:
                await self.queue.enqueue(entry.event)
            except QueueUnavailable as exc:
                failure = (entry.id, str(exc))
                break
            except Exception as exc:
                # One bad row must not block the others; it keeps its error for operators.
                log.exception("outbox row %s could not be enqueued", entry.id)
                await self._record_failure(entry.id, f"{exc.__class__.__name__}: {exc}")
                continue
            handed_over.append(entry.id)
            self.metrics.count(str(entry.event.get("type", "unknown")), "relayed")
        await self.database.write(_settle, handed_over, failure)
        self.relayed += len(handed_over)
        if handed_over:
            log.info("relayed %d events from the outbox", len(handed_over))
        if failure is not None:
            raise QueueUnavailable(failure[1])
        return len(handed_over)

    async def _record_failure(self, event_id: str, error: str) -> None:
        await self.database.write(outbox.record_failure, event_id, error)

    async def _leased(self) -> bool:
        """Whether this process relays now: it holds the lease (without `REDIS_URL` there is
        nothing to lease, and nothing to relay to: every enqueue is `QueueUnavailable`)."""
        if self.lease is None:
            return True
        try:
            return await self.lease.hold()
        except (RedisError, OSError, TimeoutError) as exc:
            raise QueueUnavailable(f"the relay lease cannot be read: {exc}") from None

    async def run(self) -> None:
        """Relay while holding the lease, until cancelled; back off while the queue or the
        database fails."""
        backoff = Backoff(self.policy.interval, self.policy.max_backoff)
        failures = 0
        while True:
            try:
                moved = await self.relay_once() if await self._leased() else 0
            except asyncio.CancelledError:
                raise
            except QueueUnavailable as exc:
                failures += 1
                delay = backoff.ceiling(failures + 1)
                log.warning("job queue unavailable (%s); next try in %.1f s", exc, delay)
            except Exception:
                failures += 1
                delay = backoff.ceiling(failures + 1)
                log.exception("outbox relay failed; next try in %.1f s", delay)
            else:
                failures, delay = 0, self.policy.interval
                if moved == self.policy.batch:
                    continue  # more are waiting: no pause
            # A little jitter, so relays of several web apps do not look in lockstep.
            await asyncio.sleep(delay * random.uniform(0.8, 1.0))

    def start(self) -> None:
        """Run the relay as a background task."""
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        """Cancel the task, wait for it, and give the lease to another process."""
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        if self.lease is not None:
            await self.lease.release()
