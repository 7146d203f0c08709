"""`WolfitWorker` on a real Redis, with a probe job that records when and how often it ran.

Tests that must prove a job was started by a wake (not by the timed full pass) push the full
pass an hour away; with that, a job that runs at all was started by the wake path.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job
from arq.worker import Retry, Worker, func

from src.jobs.queue.connections import worker_redis_settings
from src.jobs.queue.producer import enqueue_once
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import job_deserializer, job_serializer
from src.jobs.worker.woken_worker import WolfitWorker
from tests.jobs.helpers import running, wait_for

AN_HOUR = 3600.0


@dataclass
class Probe:
    """What the probe jobs of one worker did: (job id, try, start time) per run."""

    running: int = 0
    peak: int = 0
    runs: list[tuple[str, int, float]] = field(default_factory=list)


async def probe(ctx: dict[str, Any], hold: float = 0.0, retry_first: float | None = None) -> int:
    state: Probe = ctx["probe"]
    state.running += 1
    state.peak = max(state.peak, state.running)
    state.runs.append((ctx["job_id"], ctx["job_try"], time.time()))
    try:
        if retry_first is not None and ctx["job_try"] == 1:
            raise Retry(defer=retry_first)
        await asyncio.sleep(hold)
    finally:
        state.running -= 1
    return int(ctx["job_try"])


def _worker(redis_url: str, kind: type[Worker], **options: Any) -> tuple[Worker, Probe]:
    state = Probe()
    worker = kind(
        functions=[func(probe, name="probe")],
        redis_settings=worker_redis_settings(redis_url),
        queue_name=QUEUE_NAME,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        handle_signals=False,
        ctx={"probe": state},
        **options,
    )
    return worker, state


@pytest.fixture
def no_full_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """After its first pass, the worker finds jobs only through wakes and timers."""
    monkeypatch.setattr("src.jobs.worker.woken_worker.FULL_PASS_INTERVAL", AN_HOUR)


async def _listening(pool: ArqRedis) -> bool:
    """The worker is idle, blocked on its wake list."""
    return int((await pool.info("clients"))["blocked_clients"]) >= 1


async def _result(pool: ArqRedis, job_id: str) -> Any:
    job = Job(job_id, pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    info = await job.result_info()
    return info


@pytest.mark.usefixtures("no_full_pass")
async def test_an_idle_worker_is_woken_by_the_enqueue(pool: ArqRedis, redis_url: str) -> None:
    worker, state = _worker(redis_url, WolfitWorker)
    async with running(worker):
        await wait_for(lambda: _listening(pool), timeout=10, what="the worker to listen")
        assert await enqueue_once(pool, "probe", job_id="woken")
        result = await wait_for(lambda: _result(pool, "woken"), timeout=10, what="the job")
    assert (result.success, result.result) == (True, 1)
    assert [run[:2] for run in state.runs] == [("woken", 1)]


async def test_a_job_without_a_wake_token_runs_on_the_full_pass(
    pool: ArqRedis, redis_url: str
) -> None:
    worker, state = _worker(redis_url, WolfitWorker)
    async with running(worker):
        await wait_for(lambda: _listening(pool), timeout=10, what="the worker to listen")
        await pool.enqueue_job("probe", _job_id="unsignalled")  # arq's own: leaves no token
        assert await pool.llen("wolfit:wake:arq:queue") == 0
        await wait_for(lambda: _result(pool, "unsignalled"), timeout=10, what="the job")
    assert [run[0] for run in state.runs] == ["unsignalled"]


@pytest.mark.usefixtures("no_full_pass")
async def test_max_jobs_run_at_once_and_a_freed_slot_is_refilled(
    pool: ArqRedis, redis_url: str
) -> None:
    ids = [f"job-{n}" for n in range(12)]
    for job_id in ids:
        await enqueue_once(pool, "probe", job_id=job_id, hold=0.3)
    worker, state = _worker(redis_url, WolfitWorker, max_jobs=3)
    async with running(worker):

        async def all_ran() -> bool:
            return all([await _result(pool, job_id) for job_id in ids])

        await wait_for(all_ran, timeout=20, what="every job")
    assert state.peak == 3
    assert sorted(run[0] for run in state.runs) == sorted(ids)


@pytest.mark.usefixtures("no_full_pass")
async def test_a_capped_claim_goes_on_at_once(
    pool: ArqRedis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("src.jobs.worker.woken_worker.CLAIMS_PER_TURN", 2)
    ids = [f"job-{n}" for n in range(10)]
    for job_id in ids:
        await enqueue_once(pool, "probe", job_id=job_id, hold=1.0)
    worker, state = _worker(redis_url, WolfitWorker, max_jobs=10)
    async with running(worker):
        await wait_for(lambda: _result(pool, ids[-1]), timeout=20, what="the last job")
    assert state.peak == 10  # five claims of two, none waiting for the next pass


@pytest.mark.usefixtures("no_full_pass")
async def test_a_deferred_job_starts_when_due_and_not_before(
    pool: ArqRedis, redis_url: str
) -> None:
    worker, state = _worker(redis_url, WolfitWorker)
    async with running(worker):
        await wait_for(lambda: _listening(pool), timeout=10, what="the worker to listen")
        assert await enqueue_once(pool, "probe", job_id="later", defer_by=0.3)
        score = await pool.zscore(QUEUE_NAME, "later")
        await wait_for(lambda: _result(pool, "later"), timeout=10, what="the deferred job")
    [(_, _, started)] = state.runs
    assert started * 1000 >= score - 1  # arq rounds its clock to the millisecond


@pytest.mark.usefixtures("no_full_pass")
async def test_a_retry_runs_again_once_its_delay_is_up(pool: ArqRedis, redis_url: str) -> None:
    await enqueue_once(pool, "probe", job_id="flaky", retry_first=0.2)
    worker, state = _worker(redis_url, WolfitWorker)
    async with running(worker):
        result = await wait_for(lambda: _result(pool, "flaky"), timeout=10, what="the retry")
    assert result.result == 2
    (_, first_try, first), (_, second_try, second) = state.runs
    assert (first_try, second_try) == (1, 2)
    assert second - first >= 0.2


async def test_burst_mode_ends_once_the_queue_is_empty(pool: ArqRedis, redis_url: str) -> None:
    for n in range(25):
        await enqueue_once(pool, "probe", job_id=f"job-{n}")
    worker, state = _worker(redis_url, WolfitWorker, burst=True, max_jobs=5)
    assert await worker.run_check() == 25
    await worker.close()
    assert len(state.runs) == 25
    assert await pool.zcard(QUEUE_NAME) == 0


async def test_beside_a_stock_arq_worker_every_job_runs_once(
    pool: ArqRedis, redis_url: str
) -> None:
    ids = [f"job-{n}" for n in range(200)]
    for n, job_id in enumerate(ids):
        if n % 2:
            await enqueue_once(pool, "probe", job_id=job_id, hold=0.01)
        else:  # arq's own producer: both workers must find these too
            await pool.enqueue_job("probe", _job_id=job_id, hold=0.01)
    woken, woken_state = _worker(redis_url, WolfitWorker, max_jobs=5)
    stock, stock_state = _worker(redis_url, Worker, max_jobs=5, poll_delay=0.01)
    async with running(woken), running(stock):

        async def all_ran() -> bool:
            return all([await _result(pool, job_id) for job_id in ids])

        await wait_for(all_ran, timeout=30, what="every job")
    runs = [run[0] for run in woken_state.runs + stock_state.runs]
    assert sorted(runs) == sorted(ids)  # each job ran once, on one of the two
    assert woken_state.runs
    assert stock_state.runs
