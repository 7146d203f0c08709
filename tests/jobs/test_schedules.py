"""Cron schedules: described in words, next run from arq's own cron arithmetic, runs recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.cron import cron

from src.jobs import cron_runs, cron_schedules
from src.jobs.queue.cron_runs import describe_schedule, publish_schedules, recorded


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"second": [0, 10, 20, 30, 40, 50]}, "every 10 seconds"),
        ({"second": [0], "minute": list(range(0, 60, 5))}, "every 5 minutes"),
        ({"second": [0], "minute": [0], "hour": list(range(24))}, "every hour"),
        ({"second": [0], "minute": [30], "hour": [3]}, "at hour 3; minute 30; second 0"),
        ({"second": [5, 7]}, "at second 5, 7"),
    ],
)
def test_a_schedule_in_words(spec: dict[str, Any], words: str) -> None:
    assert describe_schedule(spec) == words


async def _tick(ctx: dict[str, Any]) -> str:
    return "ticked"


async def _broken(ctx: dict[str, Any]) -> None:
    raise RuntimeError("no luck")


async def test_runs_are_recorded_and_the_next_run_computed(pool: ArqRedis) -> None:
    tick = recorded(cron(_tick, second={0, 30}))
    broken = recorded(cron(_broken, minute={0}, second={0}))
    await publish_schedules(pool, [tick, broken])
    ctx = {"redis": pool, "job_id": "cron:_tick:1"}
    assert await tick.coroutine(ctx) == "ticked"
    with pytest.raises(RuntimeError):
        await broken.coroutine({"redis": pool})

    now = datetime(2026, 11, 23, 10, 0, 12, tzinfo=UTC)
    by_name = {schedule.name: schedule for schedule in await cron_schedules(pool, now)}
    assert by_name["cron:_tick"].schedule == "every 30 seconds"
    assert by_name["cron:_tick"].next_run == "2026-11-23T10:00:30+00:00"
    assert by_name["cron:_broken"].next_run == "2026-11-23T11:00:00+00:00"
    last = by_name["cron:_tick"].last_run
    assert last is not None
    assert (last["outcome"], last["job_id"], last["error"]) == ("ok", "cron:_tick:1", None)
    [run] = await cron_runs(pool, "cron:_broken")
    assert (run["outcome"], run["error"]) == ("failed", "RuntimeError: no luck")
