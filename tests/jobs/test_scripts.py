"""The claim script does arq's claim check for a batch, on arq's own keys."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.utils import timestamp_ms

from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.scripts import CLAIM, bound

TTL_MS = 25_000


async def _claim(pool: ArqRedis, now: int, limit: int, read_limit: int = 500) -> list[object]:
    answer: list[object] = await bound(pool, CLAIM)(
        keys=[QUEUE_NAME], args=[now, limit, read_limit, TTL_MS, "arq:in-progress:"]
    )
    return answer


async def test_due_jobs_not_in_progress_are_claimed_with_arqs_ttl(pool: ArqRedis) -> None:
    now = timestamp_ms()
    await pool.zadd(QUEUE_NAME, {"a": now - 30, "b": now - 20, "c": now - 10, "later": now + 5000})
    await pool.psetex("arq:in-progress:b", 60_000, b"1")  # running on another worker
    more, later, size, *claimed = await _claim(pool, now, limit=10)
    assert claimed == [b"a", str(now - 30).encode(), b"c", str(now - 10).encode()]
    assert (more, later, size) == (0, str(now + 5000).encode(), 4)
    for job_id in ("a", "c"):
        assert await pool.get(f"arq:in-progress:{job_id}") == b"1"
        assert TTL_MS - 1000 < await pool.pttl(f"arq:in-progress:{job_id}") <= TTL_MS
    assert await pool.pttl("arq:in-progress:b") > TTL_MS  # not touched
    assert not await pool.exists("arq:in-progress:later")  # not due: not claimed


async def test_a_claimed_job_is_not_claimed_again(pool: ArqRedis) -> None:
    now = timestamp_ms()
    await pool.zadd(QUEUE_NAME, {"a": now})
    assert (await _claim(pool, now, limit=10))[3:] == [b"a", str(now).encode()]
    assert await _claim(pool, now, limit=10) == [0, -1, 1]


async def test_a_batch_stops_at_its_limit_and_says_more_is_due(pool: ArqRedis) -> None:
    now = timestamp_ms()
    await pool.zadd(QUEUE_NAME, {f"job-{n}": now - 100 + n for n in range(5)})
    more, later, size, *claimed = await _claim(pool, now, limit=2)
    assert claimed[::2] == [b"job-0", b"job-1"]  # oldest first, as arq reads them
    assert (more, later, size) == (1, -1, 5)
    more, _, _, *claimed = await _claim(pool, now, limit=3)
    assert (more, claimed[::2]) == (0, [b"job-2", b"job-3", b"job-4"])


async def test_no_room_claims_nothing_but_tells_whether_work_waits(pool: ArqRedis) -> None:
    now = timestamp_ms()
    assert await _claim(pool, now, limit=0) == [0, -1, 0]
    await pool.zadd(QUEUE_NAME, {"a": now})
    assert await _claim(pool, now, limit=0) == [1, -1, 1]
    assert not await pool.exists("arq:in-progress:a")


async def test_only_the_read_limit_of_due_ids_is_looked_at(pool: ArqRedis) -> None:
    now = timestamp_ms()
    await pool.zadd(QUEUE_NAME, {"a": now - 2, "b": now - 1})
    await pool.psetex("arq:in-progress:a", 60_000, b"1")
    assert await _claim(pool, now, limit=5, read_limit=1) == [0, -1, 2]  # like arq's poll
