"""The background evaluator: one web process evaluates at a time, another takes over."""

from __future__ import annotations

from pathlib import Path

from src.common.settings import Settings
from src.jobs import create_pool
from src.web.ops.alerts.engine import LOCK, AlertEngine
from src.web.ops.alerts.notify import AlertLog
from tests.support.waiting import eventually


async def test_one_evaluator_at_a_time_and_a_takeover(
    settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    quick = settings.model_copy(update={"redis_url": redis_url, "alert_interval": 0.02})
    pool = await create_pool(quick)
    # A lock that cannot lapse during the test, however slow a loaded machine is.
    log = AlertLog(tmp_path / "alerts.log")
    first = AlertEngine(pool, quick, alert_log=log, lock_ttl=300)
    second = AlertEngine(pool, quick, alert_log=log, lock_ttl=300)
    try:
        await first.start()
        await eventually(lambda: _count(first), lambda n: n >= 3, what="first to evaluate")
        await second.start()
        target = first.evaluations + 3
        await eventually(lambda: _count(first), lambda n: n >= target)
        assert second.evaluations == 0  # the lock is first's
        await first.stop()  # gives the lock back
        await eventually(lambda: _count(second), lambda n: n >= 2, what="second to take over")
        await second.stop()
        assert await pool.get(LOCK) is None
    finally:
        await first.stop()
        await second.stop()
        await pool.aclose()


async def _count(engine: AlertEngine) -> int:
    return engine.evaluations
