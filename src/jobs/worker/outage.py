"""Re-drive what an outage of the activity service parked, once the service is back.

The guarantees (docs/guarantees.md) promise delivery through outages of up to an hour, but
the worker's defaults (25 tries, full jitter capped at 300 s) use up an event's tries after
about 42 minutes on average (83 at most): a long outage would leave events parked until an operator
retries them. So the health check, which runs every 10 s, does it for the operator:

- every good check notes its time (`wolfit:activity-last-ok`);
- the first failed check dates the outage from the last good one (`wolfit:activity-outage`):
  deliveries may have failed since just after it, before a check could notice;
- on the first good check after that, it retries every dead letter parked with reason
  `exhausted` (tries used up on connection errors, timeouts, 408, 429 or 5xx) since the
  outage began, then forgets the outage.

Events the service *rejected* (other 4xx), malformed or interrupted ones stay parked for
an operator, and so does anything exhausted while `/healthz` looked healthy (a service that
answers its health check but fails POSTs is not an outage this module can see end).
"""

from __future__ import annotations

import logging
import time

from src.jobs.queue.connections import reply
from src.jobs.queue.dead_letters import DeadLetterStore
from src.jobs.queue.errors import DeadLetterNotFound
from src.jobs.queue.redis_keys import ACTIVITY_LAST_OK, ACTIVITY_OUTAGE, DEAD_LETTER_INDEX

__all__ = ["REDRIVE_BATCH", "note_health"]

log = logging.getLogger(__name__)

REDRIVE_BATCH = 500  # letters per health check: the rest go on the next check, 10 s later
REDRIVEN_REASON = "exhausted"


async def note_health(store: DeadLetterStore, *, ok: bool) -> int:
    """Record one health check's outcome; after an outage, re-drive what it parked.

    Returns how many dead letters this call re-enqueued.
    """
    redis = store.redis
    if not ok:
        last_ok = await reply(redis.get(ACTIVITY_LAST_OK))
        await redis.set(ACTIVITY_OUTAGE, int(last_ok or 0), nx=True)
        return 0
    await redis.set(ACTIVITY_LAST_OK, int(time.time() * 1000))
    began = await reply(redis.get(ACTIVITY_OUTAGE))
    if began is None:
        return 0
    ids = await reply(
        redis.zrangebyscore(DEAD_LETTER_INDEX, int(began), "+inf", start=0, num=REDRIVE_BATCH)
    )
    redriven = 0
    for raw_id in ids:
        event_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
        entry = await store.get(event_id)
        if entry is None or entry.reason != REDRIVEN_REASON:
            continue
        try:
            await store.retry(event_id)
        except DeadLetterNotFound:  # an operator acted on it meanwhile
            continue
        redriven += 1
    if len(ids) < REDRIVE_BATCH:
        await redis.delete(ACTIVITY_OUTAGE)
    if redriven:
        log.warning("activity service is back: re-drove %d events its outage parked", redriven)
    return redriven
