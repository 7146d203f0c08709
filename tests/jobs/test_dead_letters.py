from __future__ import annotations

import json

import pytest
from arq.connections import ArqRedis

from src.common.embedded_redis import EmbeddedRedis
from src.common.events import ActivityEvent
from src.common.settings import Settings
from src.jobs import DeadLetter, DeadLetterNotFound, DeadLetterStore, QueueUnavailable, create_pool
from src.jobs.queue.delivery_story import read_story
from src.jobs.queue.redis_keys import QUEUE_NAME
from tests.jobs.helpers import CountingConnection


def _entry(n: int = 0, **changes: object) -> DeadLetter:
    event = ActivityEvent.new("post.vote", details=f"vote {n}", user_id=n, username="al")
    fields: dict[str, object] = {
        "id": str(event.id),
        "event": event.to_json_dict(),
        "error": "POST /api/activities: HTTP 503",
        "reason": "exhausted",
        "tries": 25,
        "status": 503,
        "history": [{"try": 1, "outcome": "retry", "status": 503}],
        **changes,
    }
    return DeadLetter(**fields)  # type: ignore[arg-type]


async def test_an_entry_is_kept_with_its_event_error_tries_and_history(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    assert await store.get(entry.id) == entry
    assert await store.count() == 1
    assert await pool.ttl("wolfit:dead-letters:entries") == -1  # never expires
    assert await pool.ttl("wolfit:dead-letters") == -1
    assert await store.get("no-such-id") is None


async def test_entries_list_newest_first_one_page_at_a_time(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    entries = [_entry(n) for n in range(7)]
    for entry in entries:
        await store.add(entry)
    first = await store.list(limit=3)
    assert [item.id for item in first.items] == [e.id for e in reversed(entries)][:3]
    assert (first.total, first.next_offset) == (7, 3)
    last = await store.list(offset=6, limit=3)
    assert [item.id for item in last.items] == [entries[0].id]
    assert last.next_offset is None
    with pytest.raises(ValueError, match="limit"):
        await store.list(limit=0)
    with pytest.raises(ValueError, match="offset"):
        await store.list(offset=-1)


async def test_parking_the_same_event_again_keeps_one_entry(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    await store.add(_entry(id=entry.id, error="HTTP 400", reason="rejected"))
    assert await store.count() == 1
    stored = await store.get(entry.id)
    assert stored is not None
    assert stored.reason == "rejected"


async def test_delete_drops_an_entry(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    assert await store.delete(entry.id) is True
    assert await store.delete(entry.id) is False
    assert await store.count() == 0


async def test_retry_enqueues_the_event_under_its_id_and_then_drops_the_entry(
    pool: ArqRedis,
) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    # The failed run's result is still kept: arq would refuse the id while it exists.
    await pool.set(f"arq:result:{entry.id}", b"{}")
    assert await store.retry(entry.id) is True
    jobs = await pool.queued_jobs()
    assert [(job.job_id, job.function, job.args) for job in jobs] == [
        (entry.id, "post_activity", [entry.event])
    ]
    assert await store.get(entry.id) is None
    assert (await read_story(pool, entry.id))[-1]["outcome"] == "requeued"
    with pytest.raises(DeadLetterNotFound):
        await store.retry(entry.id)


async def test_retrying_an_event_that_is_queued_already_makes_no_second_job(
    pool: ArqRedis,
) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    await pool.enqueue_job("post_activity", entry.event, _job_id=entry.id)
    assert await store.retry(entry.id) is False
    assert await pool.zcard(QUEUE_NAME) == 1
    assert await store.count() == 0


async def test_an_entry_parked_again_during_the_retry_is_not_dropped(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    newer = _entry(id=entry.id, error="HTTP 400 this time", reason="rejected")
    enqueue = store._enqueue

    async def enqueued_then_parked_again(entries: dict[str, DeadLetter]) -> dict[str, bool]:
        # Between the retry's enqueue and its removal of the entry, a worker runs the job,
        # which fails again and parks a newer entry under the same id.
        created = await enqueue(entries)
        await store.add(newer)
        return created

    store._enqueue = enqueued_then_parked_again  # type: ignore[method-assign]
    assert await store.retry(entry.id) is True
    assert await store.get(entry.id) == newer
    assert [item.id for item in (await store.list()).items] == [entry.id]
    assert await pool.zcard(QUEUE_NAME) == 1


async def test_retry_many_says_what_became_of_each_id(pool: ArqRedis) -> None:
    store = DeadLetterStore(pool)
    fresh, queued = _entry(1), _entry(2)
    for entry in (fresh, queued):
        await store.add(entry)
    await pool.set(f"arq:result:{fresh.id}", b"{}")  # the failed run's result
    await pool.enqueue_job("post_activity", queued.event, _job_id=queued.id)
    outcomes = await store.retry_many([fresh.id, queued.id, "no-such-letter", fresh.id])
    assert outcomes == {
        fresh.id: "requeued",
        queued.id: "already_queued",
        "no-such-letter": "missing",
    }
    jobs = {job.job_id: job for job in await pool.queued_jobs()}
    assert set(jobs) == {fresh.id, queued.id}
    assert (jobs[fresh.id].args, jobs[fresh.id].kwargs) == ([fresh.event], {"requeued": True})
    assert await store.count() == 0
    assert [item["outcome"] for item in await read_story(pool, fresh.id)] == ["requeued"]
    assert await read_story(pool, queued.id) == []


async def test_retry_many_costs_the_same_round_trips_for_any_batch(
    counting_pool: ArqRedis,
) -> None:
    store = DeadLetterStore(counting_pool)
    costs = []
    for size in (5, 50):
        entries = [_entry(n) for n in range(size)]
        for entry in entries:
            await store.add(entry)
        before = CountingConnection.writes
        outcomes = await store.retry_many([entry.id for entry in entries])
        costs.append(CountingConnection.writes - before)
        assert set(outcomes.values()) == {"requeued"}
    assert costs[0] == costs[1]
    assert await counting_pool.zcard(QUEUE_NAME) == 55


async def test_a_retry_that_cannot_reach_redis_keeps_the_entry(
    settings: Settings, own_redis: EmbeddedRedis
) -> None:
    pool = await create_pool(settings.model_copy(update={"redis_url": own_redis.url}))
    store = DeadLetterStore(pool)
    entry = _entry()
    await store.add(entry)
    own_redis.stop()
    with pytest.raises(QueueUnavailable, match=f"dead letter {entry.id} was not retried"):
        await store.retry(entry.id)
    own_redis.start()
    assert await store.get(entry.id) == entry
    assert json.loads(json.dumps(entry.to_dict()))["event"] == entry.event
    await pool.aclose()
