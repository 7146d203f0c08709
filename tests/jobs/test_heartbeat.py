from __future__ import annotations

import time

from arq.connections import ArqRedis

from src.jobs import live_workers, recent_workers
from src.jobs.queue.delivery_counts import WorkerStats
from src.jobs.queue.heartbeats import BEAT_TTL, Heartbeat, worker_identity


def _heartbeat(pool: ArqRedis) -> tuple[Heartbeat, WorkerStats]:
    stats = WorkerStats()
    return Heartbeat(pool, stats, worker_identity(max_jobs=100)), stats


async def test_a_beating_worker_is_listed_with_its_counters(pool: ArqRedis) -> None:
    heartbeat, stats = _heartbeat(pool)
    await heartbeat.start()
    stats.started("job-1")
    stats.delivered("job-0", latency=0.2)
    stats.retrying("job-2")
    stats.dead_lettered("job-3")
    await heartbeat.beat()
    [worker] = await live_workers(pool)
    assert worker.id == heartbeat.worker_id
    assert worker.state == "live"
    assert (worker.done, worker.retried, worker.failed, worker.running) == (1, 1, 1, 1)
    assert worker.running_jobs == ["job-1"]
    assert worker.pid > 0
    assert worker.host
    assert worker.started
    assert worker.last_beat
    assert worker.loop == "asyncio"  # pytest's loop; the real worker runs on uvloop
    assert 0 < await pool.ttl(f"wolfit:worker:{worker.id}") <= BEAT_TTL <= 30
    await heartbeat.stop()


async def test_a_worker_that_stops_leaves_the_live_list_at_once(pool: ArqRedis) -> None:
    heartbeat, _ = _heartbeat(pool)
    await heartbeat.start()
    await heartbeat.stop()
    assert await live_workers(pool) == []
    [gone] = await recent_workers(pool)
    assert (gone.id, gone.state) == (heartbeat.worker_id, "stopped")
    assert gone.stopped_at is not None


async def test_a_worker_whose_beat_expired_is_listed_as_vanished(pool: ArqRedis) -> None:
    heartbeat, _ = _heartbeat(pool)
    await heartbeat.beat()
    await pool.delete(f"wolfit:worker:{heartbeat.worker_id}")  # what the TTL does to a dead one
    assert await live_workers(pool) == []
    [gone] = await recent_workers(pool)
    assert (gone.id, gone.state, gone.stopped_at) == (heartbeat.worker_id, "vanished", None)


async def test_the_trail_forgets_workers_gone_for_an_hour(pool: ArqRedis) -> None:
    old, _ = _heartbeat(pool)
    await old.beat()
    await pool.delete(f"wolfit:worker:{old.worker_id}")
    await pool.zadd("wolfit:workers", {old.worker_id: time.time() - 3601})
    current, _ = _heartbeat(pool)
    await current.beat()
    assert await recent_workers(pool) == []
    assert await pool.hexists("wolfit:workers:last", old.worker_id) == 0
    assert [worker.id for worker in await live_workers(pool)] == [current.worker_id]
