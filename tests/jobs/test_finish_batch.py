"""A batched finish leaves Redis exactly as arq's own `finish_job` does, in one round trip."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker, func
from redis.exceptions import ResponseError

from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.worker.finish_batch import Finish, FinishBatch
from tests.jobs.helpers import CountingConnection

CASES = {
    "success, result kept an hour": Finish("j", True, b'{"r":1}', 3600, False, None, None),
    "success, result kept forever": Finish("j", True, b'{"r":1}', 3600, True, None, None),
    "failure, no result kept": Finish("j", True, None, 0, False, None, None),
    "retry in 1.5 s": Finish("j", False, None, 3600, False, 1500, None),
    "cancelled, to run again": Finish("j", False, None, 3600, False, None, None),
    "cron job, in-progress kept": Finish("j", True, None, 0, False, None, 60.0),
}


async def _job_in_progress(pool: ArqRedis, job_id: str) -> None:
    await pool.flushdb()
    await pool.psetex(f"arq:job:{job_id}", 600_000, b"{}")
    await pool.setex(f"arq:retry:{job_id}", 88400, 2)
    await pool.psetex(f"arq:in-progress:{job_id}", 25_000, b"1")
    await pool.zadd(QUEUE_NAME, {job_id: 1000, "other": 2000})
    await pool.zadd("arq:abort", {job_id: 5})


async def _state(pool: ArqRedis) -> dict[bytes, tuple[Any, int]]:
    """Every key: its value and its TTL in ms (-1: none)."""
    state: dict[bytes, tuple[Any, int]] = {}
    async for key in pool.scan_iter():
        kind = await pool.type(key)
        if kind == b"zset":
            value: Any = await pool.zrange(key, 0, -1, withscores=True)
        else:
            value = await pool.get(key)
        state[key] = (value, await pool.pttl(key))
    return state


def _same(ours: dict[bytes, tuple[Any, int]], arqs: dict[bytes, tuple[Any, int]]) -> bool:
    """Same keys and values; TTLs equal, or within the few seconds between the two runs."""
    if ours.keys() != arqs.keys():
        return False
    for key, (value, ttl) in ours.items():
        arq_value, arq_ttl = arqs[key]
        if value != arq_value or (ttl < 0) != (arq_ttl < 0) or abs(ttl - arq_ttl) > 5000:
            return False
    return True


async def _noop(ctx: dict[str, Any]) -> None:
    return None


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_a_finish_writes_what_arqs_finish_job_writes(pool: ArqRedis, case: Finish) -> None:
    arq = Worker(
        functions=[func(_noop, name="noop")],
        redis_pool=pool,
        queue_name=QUEUE_NAME,
        handle_signals=False,
    )
    await _job_in_progress(pool, case.job_id)
    await arq.finish_job(
        case.job_id,
        case.finish,
        case.result_data,
        case.result_timeout_s,
        case.keep_result_forever,
        case.incr_score,
        case.keep_in_progress,
    )
    by_arq = await _state(pool)
    await _job_in_progress(pool, case.job_id)
    await FinishBatch(pool, QUEUE_NAME).finish(case)
    ours = await _state(pool)
    assert _same(ours, by_arq), (ours, by_arq)


async def test_jobs_ending_together_are_finished_in_one_round_trip(
    counting_pool: ArqRedis,
) -> None:
    ids = [f"job-{n}" for n in range(20)]
    await counting_pool.zadd(QUEUE_NAME, dict.fromkeys(ids, 1000))
    batch = FinishBatch(counting_pool, QUEUE_NAME)
    before = CountingConnection.writes
    await asyncio.gather(
        *(batch.finish(Finish(job_id, True, b"{}", 60, False, None, None)) for job_id in ids)
    )
    assert CountingConnection.writes - before == 1
    assert await counting_pool.zcard(QUEUE_NAME) == 0
    assert await counting_pool.exists(*(f"arq:result:{job_id}" for job_id in ids)) == 20


async def test_an_error_fails_every_job_of_its_batch_and_not_the_next(pool: ArqRedis) -> None:
    batch = FinishBatch(pool, QUEUE_NAME)
    await pool.set(QUEUE_NAME, b"not a sorted set")
    ending = [
        asyncio.ensure_future(batch.finish(Finish(f"job-{n}", True, None, 0, False, None, None)))
        for n in range(3)
    ]
    for outcome in await asyncio.gather(*ending, return_exceptions=True):
        assert isinstance(outcome, ResponseError)
        assert "WRONGTYPE" in str(outcome)
    await pool.delete(QUEUE_NAME)
    await batch.finish(Finish("later", True, b"{}", 60, False, None, None))
    assert await pool.get("arq:result:later") == b"{}"
