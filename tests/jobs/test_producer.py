from __future__ import annotations

import json
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus
from arq.worker import Worker, func

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.events import ActivityEvent, EventInvalid
from src.common.settings import Settings, SettingsError
from src.jobs import QueueUnavailable, create_pool, enqueue_event, enqueue_events
from src.jobs.queue.connections import JOB_EXPIRY_MS, worker_redis_settings
from src.jobs.queue.producer import WAKE_TOKEN_TTL_MS, enqueue_once
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import job_deserializer, job_serializer
from tests.jobs.helpers import CountingConnection


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
    with pytest.raises(
        QueueUnavailable, match=r"was not enqueued: Redis at 127\.0\.0\.1:\d+ is unreachable"
    ):
        await enqueue_event(pool, _event())
    # A refused port fails at once; a Redis that hangs is cut off by the pool's own limits:
    # about 2 s to connect, 2 s per reply, and one immediate retry (a web request waits on
    # it), never the worker's patient retries.
    options = pool.connection_pool.connection_kwargs
    assert (options["socket_connect_timeout"], options["socket_timeout"]) == (2.0, 2.0)
    assert options["retry"]._retries == 1
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


async def _round_trips(action: Any) -> int:
    before = CountingConnection.writes
    await action
    return CountingConnection.writes - before


async def test_an_enqueue_is_one_round_trip_where_arqs_takes_three(
    counting_pool: ArqRedis,
) -> None:
    await enqueue_event(counting_pool, _event())  # loads the script into Redis once
    assert await _round_trips(enqueue_event(counting_pool, _event())) == 1
    assert await _round_trips(enqueue_event(counting_pool, _event())) == 1
    event = _event()
    arqs = counting_pool.enqueue_job("post_activity", event.to_json_dict(), _job_id=str(event.id))
    assert await _round_trips(arqs) == 3


async def test_the_keys_written_are_arqs_own(pool: ArqRedis) -> None:
    event = _event()
    await pool.enqueue_job("post_activity", event.to_json_dict(), _job_id="by-arq")
    assert await enqueue_once(pool, "post_activity", event.to_json_dict(), job_id="by-us")
    ours = json.loads(await pool.get("arq:job:by-us"))
    arqs = json.loads(await pool.get("arq:job:by-arq"))
    assert ours.pop("et") == await pool.zscore(QUEUE_NAME, "by-us")
    assert arqs.pop("et") == await pool.zscore(QUEUE_NAME, "by-arq")
    assert ours == arqs == {"t": None, "f": "post_activity", "a": [event.to_json_dict()], "k": {}}
    for name in ("by-us", "by-arq"):
        assert JOB_EXPIRY_MS - 5000 < await pool.pttl(f"arq:job:{name}") <= JOB_EXPIRY_MS
    keys = {key async for key in pool.scan_iter()}
    assert keys == {b"arq:queue", b"arq:job:by-arq", b"arq:job:by-us", b"wolfit:wake:arq:queue"}


async def test_arqs_job_api_and_a_stock_arq_worker_read_the_job(
    pool: ArqRedis, redis_url: str
) -> None:
    async def echo(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"args": list(args), "kwargs": kwargs, "try": ctx["job_try"]}

    assert await enqueue_once(pool, "echo", 1, "two", job_id="j1", three=3.0)
    job = Job("j1", pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    assert await job.status() is JobStatus.queued
    info = await job.info()
    assert info is not None
    assert (info.function, info.args, info.kwargs, info.job_try) == (
        "echo",
        [1, "two"],  # JSON: a tuple comes back a list, as from arq's own enqueue_job
        {"three": 3.0},
        None,
    )
    assert info.score == int(info.enqueue_time.timestamp() * 1000)
    worker = Worker(
        functions=[func(echo, name="echo")],
        redis_settings=worker_redis_settings(redis_url),
        queue_name=QUEUE_NAME,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        burst=True,
        handle_signals=False,
    )
    assert await worker.run_check() == 1
    await worker.close()
    assert await job.result(timeout=5) == {"args": [1, "two"], "kwargs": {"three": 3.0}, "try": 1}
    assert await job.status() is JobStatus.complete


async def test_a_deferred_job_waits_and_lives_longer(pool: ArqRedis) -> None:
    assert await enqueue_once(pool, "echo", job_id="later", defer_by=30)
    job = Job("later", pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    assert await job.status() is JobStatus.deferred
    info = await job.info()
    assert info is not None
    assert info.score == int(info.enqueue_time.timestamp() * 1000) + 30_000
    expiry = await pool.pttl("arq:job:later")
    assert JOB_EXPIRY_MS + 25_000 < expiry <= JOB_EXPIRY_MS + 30_000


async def test_enqueues_leave_one_wake_token_that_expires(pool: ArqRedis) -> None:
    for _ in range(3):
        await enqueue_event(pool, _event())
    assert await pool.llen("wolfit:wake:arq:queue") == 1
    assert 0 < await pool.pttl("wolfit:wake:arq:queue") <= WAKE_TOKEN_TTL_MS


async def test_a_batch_is_queued_in_one_call_and_each_event_once(pool: ArqRedis) -> None:
    events = [_event() for _ in range(5)]
    assert await enqueue_events(pool, events[:3]) == [True, True, True]
    assert await enqueue_events(pool, events) == [False, False, False, True, True]
    assert await enqueue_events(pool, []) == []
    jobs = await pool.queued_jobs()
    assert sorted(job.job_id for job in jobs) == sorted(str(event.id) for event in events)
    assert {job.function for job in jobs} == {"post_activity"}


async def test_a_malformed_event_stops_a_batch_before_anything_is_sent(pool: ArqRedis) -> None:
    with pytest.raises(EventInvalid):
        await enqueue_events(pool, [_event(), {"type": "Bad Type", "details": "x"}])
    assert await pool.zcard(QUEUE_NAME) == 0


async def test_a_batch_reaches_a_redis_that_forgot_the_script(pool: ArqRedis) -> None:
    """After a Redis restart (or SCRIPT FLUSH) the script is loaded again and the batch sent."""
    await enqueue_events(pool, [_event()])
    await pool.script_flush()
    assert await enqueue_events(pool, [_event(), _event()]) == [True, True]
    assert await pool.zcard(QUEUE_NAME) == 3
