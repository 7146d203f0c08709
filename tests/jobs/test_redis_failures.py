"""A worker that Redis fails carries on by itself, under both commands.

Redis refusing writes (out of memory) ends stock arq's `Worker.main()` on its next poll, as a
restart during a job claim does (`WatchError`), but on cue. `wolfit worker` waits in its loop
and goes on with the same run; the plain `arq` command re-executes itself once Redis answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from src.common.embedded_redis import EmbeddedRedis
from src.common.settings import Settings
from src.jobs import WorkerInfo, create_pool, live_workers
from tests.jobs.helpers import ARQ_WORKER, WOLFIT_WORKER, settings_env, wait_for, worker_process

pytestmark = pytest.mark.slow


@pytest.fixture
def own_settings(settings: Settings, own_redis: EmbeddedRedis) -> Settings:
    return settings.model_copy(update={"redis_url": own_redis.url})


@pytest.fixture
async def own_pool(own_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(own_settings)
    yield pool
    await pool.aclose()


async def test_wolfit_worker_waits_for_a_redis_that_refuses_writes(
    own_settings: Settings, own_pool: ArqRedis, tmp_path: Path
) -> None:
    env = settings_env(own_settings, ACTIVITY_URL="http://127.0.0.1:9")
    with worker_process(WOLFIT_WORKER, env, tmp_path / "worker.log") as worker:
        [first] = await wait_for(
            lambda: live_workers(own_pool), timeout=20, what="the first worker"
        )
        await own_pool.config_set("maxmemory", 1)  # every write now fails with OOM
        try:

            async def waiting() -> bool:
                return "Redis failed the worker" in worker.output()

            await wait_for(waiting, timeout=20, what="the worker to meet the refusal")
        finally:
            await own_pool.config_set("maxmemory", 0)
        cleared = datetime.now(UTC).replace(microsecond=0)

        async def beating_again() -> list[WorkerInfo]:
            return [
                w
                for w in await live_workers(own_pool)
                if datetime.fromisoformat(w.last_beat) >= cleared
            ]

        [again] = await wait_for(beating_again, timeout=30, what="the worker to beat again")
        assert worker.alive()
        assert again.id == first.id  # the same run went on: nothing restarted

        async def said_so() -> bool:
            return "Redis answers again" in worker.output()

        await wait_for(said_so, timeout=10, what="the worker to log that Redis answers")
        assert "worker stopped on" not in worker.output()
        assert await worker.stop() == 0


async def test_stock_arq_knocked_over_by_redis_comes_back(
    own_settings: Settings, own_pool: ArqRedis, tmp_path: Path
) -> None:
    env = settings_env(own_settings, ACTIVITY_URL="http://127.0.0.1:9")
    with worker_process(ARQ_WORKER, env, tmp_path / "worker.log") as worker:
        [first] = await wait_for(
            lambda: live_workers(own_pool), timeout=20, what="the first worker"
        )
        await own_pool.config_set("maxmemory", 1)  # every write now fails with OOM
        try:

            async def stopped() -> bool:
                return "worker stopped on OutOfMemoryError" in worker.output()

            await wait_for(stopped, timeout=20, what="Redis to knock the worker over")
        finally:
            await own_pool.config_set("maxmemory", 0)

        async def restarted() -> list[WorkerInfo]:
            return [w for w in await live_workers(own_pool) if w.id != first.id]

        [second] = await wait_for(restarted, timeout=30, what="the worker to come back")
        assert worker.alive()
        assert second.pid == first.pid == worker.pid  # the same process, a fresh worker
        assert await worker.stop() == 0
