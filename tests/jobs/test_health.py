from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from src.jobs import activity_health
from src.jobs.queue.activity_health import HEALTH_HISTORY, record_health


async def test_checks_are_kept_newest_first_and_capped(pool: ArqRedis) -> None:
    for n in range(HEALTH_HISTORY + 5):
        await record_health(pool, ok=n % 2 == 0, latency=n / 1000, error=None, detail={})
    await record_health(
        pool, ok=False, latency=8.0, error="GET /healthz: no answer in time", detail={}
    )
    history = await activity_health(pool)
    assert len(history) == HEALTH_HISTORY
    assert (history[0].ok, history[0].error) == (False, "GET /healthz: no answer in time")
    assert history[1].latency == (HEALTH_HISTORY + 4) / 1000
    assert [check.at for check in history] == sorted((check.at for check in history), reverse=True)
    assert len(await activity_health(pool, limit=3)) == 3
    with pytest.raises(ValueError, match="limit"):
        await activity_health(pool, limit=0)


async def test_the_store_kind_is_kept_when_the_service_names_it(pool: ArqRedis) -> None:
    check = await record_health(pool, ok=True, latency=0.01, error=None, detail={"store": "sqlite"})
    assert check.store == "sqlite"
    assert (await activity_health(pool, limit=1))[0] == check
