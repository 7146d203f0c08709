from __future__ import annotations

import json
import time

import pytest
from arq.connections import ArqRedis

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.events import ActivityEvent, EventInvalid
from src.common.settings import Settings, SettingsError
from src.jobs import QueueUnavailable, create_pool, enqueue_event
from src.jobs.keys import QUEUE_NAME


def _event() -> ActivityEvent:
    return ActivityEvent.new(
        "post.vote", details="alice up-voted post 7", user_id=1, username="alice"
    )


async def test_enqueueing_the_same_event_twice_gives_one_job(pool: ArqRedis) -> None:
    event = _event()
    assert await enqueue_event(pool, event) is True
    assert await enqueue_event(pool, event) is False
    assert await enqueue_event(pool, event.to_json_dict()) is False
    jobs = await pool.queued_jobs()
    assert [(job.job_id, job.function) for job in jobs] == [(str(event.id), "post_activity")]


async def test_the_job_is_stored_as_json_readable_by_any_version(pool: ArqRedis) -> None:
    event = _event()
    await enqueue_event(pool, event)
    raw = await pool.get(f"arq:job:{event.id}")
    job = json.loads(raw)
    assert job["f"] == "post_activity"
    assert job["a"] == [event.to_json_dict()]


async def test_a_finished_job_still_blocks_a_second_enqueue_while_its_result_is_kept(
    pool: ArqRedis,
) -> None:
    event = _event()
    await pool.set(f"arq:result:{event.id}", b"{}")
    assert await enqueue_event(pool, event) is False
    assert await pool.zcard(QUEUE_NAME) == 0


async def test_an_invalid_event_is_refused_before_it_reaches_redis(pool: ArqRedis) -> None:
    with pytest.raises(EventInvalid) as caught:
        await enqueue_event(pool, {"type": "Bad Type", "details": "x"})
    assert "type" in caught.value.fields
    legacy = {"user_id": 1, "username": "al", "timestamp": "2026-01-01T00:00:00", "details": "x"}
    with pytest.raises(EventInvalid, match="id"):
        await enqueue_event(pool, legacy)
    assert await pool.zcard(QUEUE_NAME) == 0


async def test_a_dead_redis_fails_fast_with_a_clear_error(settings: Settings) -> None:
    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    pool = await create_pool(dead)  # lazy: a web app starts while Redis is down
    started = time.monotonic()
    with pytest.raises(
        QueueUnavailable, match=r"was not enqueued: Redis at 127\.0\.0\.1:\d+ is unreachable"
    ):
        await enqueue_event(pool, _event())
    assert time.monotonic() - started < 5  # generous: the producer's timeouts are 2 s
    with pytest.raises(QueueUnavailable, match="unreachable"):
        await create_pool(dead, check=True)
    await pool.aclose()


async def test_the_producer_recovers_after_a_redis_restart(
    settings: Settings, own_redis: EmbeddedRedis
) -> None:
    pool = await create_pool(settings.model_copy(update={"redis_url": own_redis.url}), check=True)
    assert await enqueue_event(pool, _event())
    own_redis.stop()
    with pytest.raises(QueueUnavailable):
        await enqueue_event(pool, _event())
    own_redis.start()
    # The pooled connection died with the old server: one quick retry absorbs it.
    assert await enqueue_event(pool, _event())
    assert await pool.zcard(QUEUE_NAME) == 2  # AOF kept the first one
    await pool.aclose()


async def test_a_missing_redis_url_names_the_variable(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="REDIS_URL is not set"):
        await create_pool(settings)
