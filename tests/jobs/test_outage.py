"""After an outage of the activity service, the health check re-drives what it parked."""

from __future__ import annotations

import time

from arq.connections import ArqRedis
from arq.worker import Worker

from src.common.events import ActivityEvent
from src.jobs import DeadLetter, DeadLetterStore, enqueue_event
from src.jobs.queue.redis_keys import ACTIVITY_LAST_OK, ACTIVITY_OUTAGE, DEAD_LETTER_INDEX
from src.jobs.worker.outage import note_health
from tests.jobs.conftest import ActivityService
from tests.jobs.helpers import running_worker, wait_for


def _event(n: int) -> ActivityEvent:
    return ActivityEvent.new("post.vote", details=f"vote {n}", user_id=n, username="al")


def _letter(event: ActivityEvent, reason: str) -> DeadLetter:
    return DeadLetter(
        id=str(event.id), event=event.to_json_dict(), error="HTTP 503", reason=reason, tries=25
    )


async def test_only_letters_the_outage_exhausted_are_redriven(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    before = _letter(_event(0), "exhausted")
    await store.add(before)
    await pool.zadd(DEAD_LETTER_INDEX, {before.id: time.time() * 1000 - 60_000})
    assert await note_health(store, ok=True) == 0  # no outage seen: nothing to do
    last_ok = await pool.get(ACTIVITY_LAST_OK)

    just_after = _letter(_event(3), "exhausted")  # failed before a check could notice
    await store.add(just_after)
    assert await note_health(store, ok=False) == 0
    assert await pool.get(ACTIVITY_OUTAGE) == last_ok  # dated from the last good check
    assert await note_health(store, ok=False) == 0
    assert await pool.get(ACTIVITY_OUTAGE) == last_ok

    exhausted = _letter(_event(1), "exhausted")
    rejected = _letter(_event(2), "rejected")
    for letter in (exhausted, rejected):
        await store.add(letter)

    assert await note_health(store, ok=True) == 2
    assert await store.get(just_after.id) is None
    assert await store.get(exhausted.id) is None
    assert await pool.zscore("arq:queue", exhausted.id) is not None
    assert await store.get(rejected.id) == rejected  # the service said no: an operator decides
    assert await store.get(before.id) == before  # parked before this outage
    assert await pool.get(ACTIVITY_OUTAGE) is None
    assert await note_health(store, ok=True) == 0


async def test_events_parked_by_a_long_outage_are_delivered_when_it_ends(
    activity: ActivityService, pool: ArqRedis, worker_class: type[Worker]
) -> None:
    impatient = activity.settings.model_copy(
        update={"delivery_max_tries": 2, "delivery_backoff_base": 0.01}
    )
    store = DeadLetterStore(pool)
    events = [_event(n) for n in range(3)]
    await activity.stop()
    for event in events:
        await enqueue_event(pool, event)
    async with running_worker(impatient, worker_class):  # its start-up health check sees the outage

        async def parked_and_noticed() -> bool:
            # The start-up health check and the deliveries run concurrently: wait for both.
            parked = await store.count() == len(events)
            return parked and await pool.get(ACTIVITY_OUTAGE) is not None

        await wait_for(
            parked_and_noticed, timeout=15, what="the outage to park every event and be noticed"
        )

    await activity.start()
    async with running_worker(
        impatient, worker_class
    ):  # its start-up health check sees the service back

        async def all_stored() -> bool:
            return sorted(await activity.stored_ids()) == sorted(str(e.id) for e in events)

        await wait_for(all_stored, timeout=15, what="the parked events to be delivered")
    assert await store.count() == 0
    assert await pool.get(ACTIVITY_OUTAGE) is None
