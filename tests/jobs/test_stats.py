from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from src.jobs import minute_series
from src.jobs.queue.delivery_counts import WorkerStats


async def test_the_counts_of_a_flush_show_in_this_minute(pool: ArqRedis) -> None:
    stats = WorkerStats()
    stats.delivered("a", latency=0.1)
    stats.delivered("b", latency=0.3)
    stats.retrying("c")
    stats.dead_lettered("d")
    async with pool.pipeline(transaction=False) as pipe:
        stats.flush_into(pipe)
        await pipe.execute()
    *earlier, now = await minute_series(pool, minutes=5)
    assert len(earlier) == 4
    assert all(m.done == m.retried == m.failed == 0 and m.mean_latency is None for m in earlier)
    assert (now.done, now.retried, now.failed) == (2, 1, 1)
    assert now.mean_latency == pytest.approx(0.2)
    assert now.minute % 60 == 0
    assert await pool.lrange("wolfit:jobs:recent", 0, -1) == [b"d", b"b", b"a"]
    assert await pool.lrange("wolfit:jobs:recent-failures", 0, -1) == [b"d"]
    assert 0 < await pool.ttl(f"wolfit:stats:{now.minute // 60}") <= 7200


async def test_a_second_flush_adds_only_what_is_new(pool: ArqRedis) -> None:
    stats = WorkerStats()
    stats.delivered("a", latency=0.1)
    for _ in range(2):
        async with pool.pipeline(transaction=False) as pipe:
            stats.flush_into(pipe)
            await pipe.execute()
    assert (await minute_series(pool, minutes=1))[0].done == 1
    assert stats.done == 1


async def test_the_window_is_checked(pool: ArqRedis) -> None:
    with pytest.raises(ValueError, match="minutes"):
        await minute_series(pool, minutes=0)


async def test_counts_of_a_failed_flush_are_written_with_the_next(pool: ArqRedis) -> None:
    stats = WorkerStats()
    stats.delivered("a", latency=0.1)
    async with pool.pipeline(transaction=False) as pipe:
        undo = stats.flush_into(pipe)
        await pipe.reset()  # the commands are dropped, as if Redis had gone away
    undo()
    stats.delivered("b", latency=0.1)
    async with pool.pipeline(transaction=False) as pipe:
        stats.flush_into(pipe)
        await pipe.execute()
    assert (await minute_series(pool, minutes=1))[0].done == 2
    assert await pool.lrange("wolfit:jobs:recent", 0, -1) == [b"b", b"a"]
