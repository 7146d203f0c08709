"""The worker's cron jobs as the dashboard shows them: schedule, next run, last run, outcome.

The worker publishes each cron job's spec at start (`publish_schedules`) and records every
run (`recorded` wraps the cron job's coroutine: start, duration, outcome, error) in Redis;
`cron_schedules` reads them back and computes the next run from the spec with arq's own
`next_cron`, so a web process needs neither the worker's settings nor its code.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from arq.cron import CronJob, next_cron
from redis.asyncio import Redis

from src.jobs.queue.connections import reply
from src.jobs.queue.redis_keys import CRON_LAST_RUNS, CRON_SCHEDULES, cron_history

__all__ = [
    "CronSchedule",
    "cron_runs",
    "cron_schedules",
    "describe_schedule",
    "publish_schedules",
    "recorded",
]

log = logging.getLogger(__name__)

HISTORY = 50
_FIELDS = ("month", "day", "weekday", "hour", "minute", "second")
_RANGES = {"month": 12, "day": 31, "weekday": 7, "hour": 24, "minute": 60, "second": 60}
_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours"}


def _spec(job: CronJob) -> dict[str, Any]:
    """The cron fields as JSON: None (any), or a sorted list of values."""
    spec: dict[str, Any] = {"name": job.name, "run_at_startup": job.run_at_startup}
    for name in _FIELDS:
        value = getattr(job, name)
        if isinstance(value, str):  # weekday names ("mon") -> arq's numbers
            value = ["mon", "tues", "wed", "thurs", "fri", "sat", "sun"].index(value)
        spec[name] = None if value is None else sorted({value} if isinstance(value, int) else value)
    spec["timeout"] = job.timeout_s
    return spec


def _step(values: list[int], span: int) -> int | None:
    """The step of values evenly spread from 0 over the whole range (0, 10, ..., 50)."""
    if len(values) < 2 or values[0] != 0:
        return None
    step = values[1] - values[0]
    return step if values == list(range(0, span, step)) else None


def describe_schedule(spec: dict[str, Any]) -> str:
    """The schedule in words: "every 10 seconds", "every 5 minutes", or the fields it
    fires on ("at hour 3; minute 0; second 0")."""
    fields = {name: spec.get(name) for name in _FIELDS}
    for index, unit in enumerate(_UNITS):
        values = fields[unit]
        larger_free = all(fields[name] is None for name in _FIELDS[: _FIELDS.index(unit)])
        smaller_zero = all(fields[name] == [0] for name in list(_UNITS)[:index])
        step = None if values is None else _step(values, _RANGES[unit])
        if larger_free and smaller_zero and step is not None:
            return f"every {step} {_UNITS[unit]}" if step > 1 else f"every {unit}"
    parts = [
        f"{name} {', '.join(map(str, values))}"
        for name, values in fields.items()
        if values is not None
    ]
    return "at " + "; ".join(parts) if parts else "every second"


def recorded(job: CronJob) -> CronJob:
    """`job` with its coroutine wrapped to record each run's time, duration and outcome."""
    coroutine = job.coroutine

    @functools.wraps(coroutine)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started = time.time()
        outcome, error = "ok", None
        try:
            return await coroutine(ctx, *args, **kwargs)
        except BaseException as exc:
            outcome, error = (
                ("cancelled" if not isinstance(exc, Exception) else "failed"),
                (f"{type(exc).__name__}: {exc}"),
            )
            raise
        finally:
            await _record_run(ctx["redis"], job.name, started, outcome, error, ctx.get("job_id"))

    job.coroutine = run
    return job


async def _record_run(
    redis: Redis, name: str, started: float, outcome: str, error: str | None, job_id: Any
) -> None:
    finished = time.time()
    run = json.dumps(
        {
            "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds"),
            "duration": round(finished - started, 4),
            "outcome": outcome,
            "error": error,
            "job_id": job_id,
        },
        separators=(",", ":"),
    )
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hset(CRON_LAST_RUNS, name, run)
            pipe.lpush(cron_history(name), run)
            pipe.ltrim(cron_history(name), 0, HISTORY - 1)
            await pipe.execute()
    except Exception as exc:  # the run itself happened; only its record is lost
        log.warning("could not record the run of cron job %s: %s", name, exc)


async def publish_schedules(redis: Redis, jobs: Iterable[CronJob]) -> None:
    """Tell the dashboard which cron jobs this worker runs, and when (at worker start)."""
    specs = {job.name: json.dumps(_spec(job), separators=(",", ":")) for job in jobs}
    if specs:
        await reply(redis.hset(CRON_SCHEDULES, mapping=specs))


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """One cron job: its schedule (spec and words), next run, and last run if any."""

    name: str
    schedule: str
    spec: dict[str, Any]
    next_run: str
    last_run: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _next_run(spec: dict[str, Any], now: datetime) -> datetime:
    fields = {
        name: (None if spec.get(name) is None else set(spec[name]))
        for name in _FIELDS
        if name in spec
    }
    naive = now.astimezone(UTC).replace(tzinfo=None)  # arq's cron runs on naive UTC
    return next_cron(naive, microsecond=0, **fields).replace(tzinfo=UTC)


async def cron_schedules(redis: Redis, now: datetime | None = None) -> list[CronSchedule]:
    """Every published cron job, by name, with its next run after `now` and its last run."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(CRON_SCHEDULES)
        pipe.hgetall(CRON_LAST_RUNS)
        specs, runs = await pipe.execute()
    moment = now or datetime.now(UTC)
    schedules = []
    for raw_name, raw_spec in sorted(specs.items()):
        spec = json.loads(raw_spec)
        last = runs.get(raw_name)
        schedules.append(
            CronSchedule(
                name=raw_name.decode(),
                schedule=describe_schedule(spec),
                spec=spec,
                next_run=_next_run(spec, moment).isoformat(timespec="seconds"),
                last_run=None if last is None else json.loads(last),
            )
        )
    return schedules


async def cron_runs(redis: Redis, name: str, limit: int = HISTORY) -> list[dict[str, Any]]:
    """One cron job's recent runs, newest first."""
    raws = await reply(redis.lrange(cron_history(name), 0, limit - 1))
    return [json.loads(raw) for raw in raws]
