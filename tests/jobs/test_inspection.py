"""Queue inspection on a real Redis, with jobs put there by arq's own producer API.

Jobs that run (abort of a running job, a whole delivery story) are in test_delivery.py,
against a real worker and activity service.
"""

from __future__ import annotations

import time

import pytest
from arq.connections import ArqRedis
from arq.jobs import serialize_result

from src.common.events import ActivityEvent
from src.jobs import (
    DeadLetter,
    DeadLetterStore,
    enqueue_event,
    jobs_in_progress,
    list_jobs,
    queue_stats,
    recent_results,
)
from src.jobs.operations.inspection import JobPage
from src.jobs.queue.delivery_counts import WorkerStats
from src.jobs.queue.heartbeats import Heartbeat, worker_identity
from src.jobs.queue.serializer import job_serializer
from tests.jobs.helpers import CountingConnection


def _event(n: int = 0) -> ActivityEvent:
    return ActivityEvent.new("post.create", details=f"post {n}", user_id=n, username="al")


async def _enqueue(pool: ArqRedis, count: int, *, defer: float | None = None) -> list[str]:
    ids = []
    for n in range(count):
        event = _event(n)
        await pool.enqueue_job(
            "post_activity", event.to_json_dict(), _job_id=str(event.id), _defer_by=defer
        )
        ids.append(str(event.id))
    return ids


async def _finish(pool: ArqRedis, job_id: str, *, success: bool, result: object) -> None:
    raw = serialize_result(
        "post_activity", ({"id": job_id},), {}, 2, int(time.time() * 1000) - 500, success, result,
        int(time.time() * 1000) - 100, int(time.time() * 1000), job_id, "arq:queue", job_id,
        serializer=job_serializer,
    )  # fmt: skip
    await pool.set(f"arq:result:{job_id}", raw)


async def test_stats_split_ready_and_deferred_jobs(pool: ArqRedis) -> None:
    await _enqueue(pool, 3)
    await _enqueue(pool, 2, defer=600)
    await DeadLetterStore(pool).add(
        DeadLetter(id="x", event={}, error="e", reason="invalid", tries=1)
    )
    stats = await queue_stats(pool)
    assert (stats.depth, stats.ready, stats.deferred) == (5, 3, 2)
    assert (stats.in_progress, stats.live_workers, stats.dead_letters) == (0, 0, 1)
    assert stats.oldest_ready_age is not None
    assert 0 <= stats.oldest_ready_age < 60
    assert (await queue_stats(await _empty(pool))).oldest_ready_age is None


async def _empty(pool: ArqRedis) -> ArqRedis:
    await pool.flushdb()
    return pool


async def _run_order(pool: ArqRedis) -> list[str]:
    """Job ids in the order arq runs them (by score; equal scores by id)."""
    return [raw.decode() for raw in await pool.zrange("arq:queue", 0, -1)]


async def test_queued_and_deferred_jobs_list_one_page_at_a_time(pool: ArqRedis) -> None:
    ready = await _enqueue(pool, 5)
    deferred = await _enqueue(pool, 3, defer=600)
    order = await _run_order(pool)
    page = await list_jobs(pool, "queued", offset=1, limit=2)
    assert [job.job_id for job in page.items] == order[1:3]
    assert set(order[:5]) == set(ready)
    assert page.total == 5
    job = page.items[0]
    assert (job.function, job.status, job.tries) == ("post_activity", "queued", 0)
    assert job.args[0]["details"].startswith("post ")
    waiting = await list_jobs(pool, "deferred", limit=10)
    assert [job.job_id for job in waiting.items] == order[5:]
    assert set(order[5:]) == set(deferred)
    assert all(job.status == "deferred" for job in waiting.items)
    assert waiting.items[0].next_run is not None
    assert waiting.items[0].next_run > waiting.items[0].enqueue_time  # type: ignore[operator]
    with pytest.raises(ValueError, match="limit"):
        await list_jobs(pool, limit=500)


async def _enqueue_alike(pool: ArqRedis, count: int) -> None:
    """Jobs whose stored form has the same size, so pages of them read the same bytes."""
    for _ in range(count):
        event = ActivityEvent.new("post.create", details="a post", user_id=1, username="al")
        await enqueue_event(pool, event)


async def _page_and_bytes(pool: ArqRedis) -> tuple[JobPage, int]:
    before = CountingConnection.bytes_read
    page = await list_jobs(pool, offset=50, limit=50)
    return page, CountingConnection.bytes_read - before


async def test_a_page_of_a_long_queue_reads_only_that_page(counting_pool: ArqRedis) -> None:
    await _enqueue_alike(counting_pool, 100)
    short_page, short_read = await _page_and_bytes(counting_pool)
    await _enqueue_alike(counting_pool, 2_900)  # 30 times as long
    long_page, long_read = await _page_and_bytes(counting_pool)
    assert (len(short_page.items), short_page.total) == (50, 100)
    assert (len(long_page.items), long_page.total, long_page.offset) == (50, 3_000, 50)
    # The same page costs the same bytes whatever the queue's length (a few for the total's
    # digits); reading the whole queue would add hundreds of bytes per job.
    assert abs(long_read - short_read) <= 16, (short_read, long_read)


async def test_running_jobs_come_from_heartbeats_and_arqs_in_progress_keys(pool: ArqRedis) -> None:
    running, waiting = await _enqueue(pool, 2)
    await pool.set(f"arq:in-progress:{running}", b"1")
    stats = WorkerStats()
    stats.started(running)
    await Heartbeat(pool, stats, worker_identity(max_jobs=10)).beat()
    [job] = await jobs_in_progress(pool)
    assert (job.job_id, job.status) == (running, "in_progress")
    assert (await queue_stats(pool)).in_progress == 1
    statuses = {job.job_id: job.status for job in (await list_jobs(pool)).items}
    assert statuses == {running: "in_progress", waiting: "queued"}


async def test_recent_results_come_newest_first_with_their_errors(pool: ArqRedis) -> None:
    done, failed, expired = "job-done", "job-failed", "job-expired"
    await _finish(pool, done, success=True, result={"delivered": True})
    await _finish(pool, failed, success=False, result=ValueError("HTTP 400"))
    await pool.lpush("wolfit:jobs:recent", expired, done, failed)
    await pool.lpush("wolfit:jobs:recent-failures", failed)
    page = await recent_results(pool)
    assert [(job.job_id, job.status) for job in page.items] == [
        (failed, "failed"),
        (done, "complete"),
    ]
    assert page.items[0].error is not None
    assert page.items[0].error["type"] == "ValueError"
    assert page.items[0].error["message"] == "HTTP 400"
    assert [job.job_id for job in (await recent_results(pool, failed_only=True)).items] == [failed]
