"""Delivery counters: per worker (for its heartbeat) and per minute (for the dashboard charts).

The worker counts in memory and the heartbeat writes the counts out every few seconds in the
same round trip as the beat, so counting costs a delivery nothing. Per-minute counters live
in one hash per minute (`wolfit:stats:<epoch minute>`) that expires after two hours; the
recently finished job ids go to two capped lists, the dashboard's index into arq's results.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from src.jobs.queue.redis_keys import (
    RECENT_DELIVERIES,
    RECENT_FAILURES,
    RECENT_JOBS,
    minute_counters,
)

__all__ = ["MinuteCounts", "WorkerStats", "minute_series"]

MINUTE_TTL = 2 * 3600
RECENT_MAX = 1000


def _epoch_minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 60)


@dataclass
class WorkerStats:
    """What one worker has done since it started, plus what its next beat must write out."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    running: set[str] = field(default_factory=set)
    _minutes: defaultdict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    _finished: list[str] = field(default_factory=list)
    _failed_ids: list[str] = field(default_factory=list)
    _done_ids: list[str] = field(default_factory=list)

    def started(self, job_id: str) -> None:
        self.running.add(job_id)

    def finished(self, job_id: str) -> None:
        self.running.discard(job_id)

    def delivered(self, job_id: str, latency: float) -> None:
        """Count a delivery; `latency` is seconds from enqueue to stored."""
        self.done += 1
        bucket = self._minutes[_epoch_minute()]
        bucket["done"] += 1
        bucket["latency_ms"] += max(0, round(latency * 1000))
        self._finished.append(job_id)
        self._done_ids.append(job_id)

    def retrying(self, job_id: str) -> None:
        self.retried += 1
        self._minutes[_epoch_minute()]["retried"] += 1

    def dead_lettered(self, job_id: str) -> None:
        self.failed += 1
        self._minutes[_epoch_minute()]["failed"] += 1
        self._finished.append(job_id)
        self._failed_ids.append(job_id)

    def snapshot(self) -> dict[str, Any]:
        """The counters as the heartbeat publishes them."""
        return {
            "done": self.done,
            "retried": self.retried,
            "failed": self.failed,
            "running": len(self.running),
            "running_jobs": sorted(self.running),
        }

    def flush_into(self, pipe: Pipeline) -> Callable[[], None]:
        """Queue the pending per-minute counts and finished ids on `pipe`, and forget them;
        the answer puts them back, for when the pipeline fails (Redis away)."""
        minutes, finished, failed_ids = self._minutes, self._finished, self._failed_ids
        done_ids = self._done_ids
        for minute, counts in minutes.items():
            key = minute_counters(minute)
            for name, value in counts.items():
                pipe.hincrby(key, name, value)
            pipe.expire(key, MINUTE_TTL)
        lists = (
            (RECENT_JOBS, finished),
            (RECENT_FAILURES, failed_ids),
            (RECENT_DELIVERIES, done_ids),
        )
        for key, ids in lists:
            if ids:
                pipe.lpush(key, *ids[-RECENT_MAX:])
                pipe.ltrim(key, 0, RECENT_MAX - 1)
        self._minutes = defaultdict(Counter)
        self._finished = []
        self._failed_ids = []
        self._done_ids = []

        def undo() -> None:
            for minute, counts in minutes.items():
                self._minutes[minute].update(counts)
            self._finished = finished + self._finished
            self._failed_ids = failed_ids + self._failed_ids
            self._done_ids = done_ids + self._done_ids

        return undo


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """Deliveries of one minute: done, retried and dead-lettered, and mean latency."""

    minute: int  # seconds since the epoch at the start of the minute
    done: int
    retried: int
    failed: int
    mean_latency: float | None  # seconds from enqueue to stored; None if nothing was done

    def to_dict(self) -> dict[str, Any]:
        return {
            "minute": self.minute,
            "done": self.done,
            "retried": self.retried,
            "failed": self.failed,
            "mean_latency": self.mean_latency,
        }


async def minute_series(redis: Redis, minutes: int = 60) -> list[MinuteCounts]:
    """The last `minutes` minutes (1..120), oldest first, zeros where nothing happened."""
    if not 1 <= minutes <= MINUTE_TTL // 60:
        raise ValueError(f"minutes must be between 1 and {MINUTE_TTL // 60}")
    last = _epoch_minute()
    span = range(last - minutes + 1, last + 1)
    async with redis.pipeline(transaction=False) as pipe:
        for minute in span:
            pipe.hgetall(minute_counters(minute))
        hashes = await pipe.execute()
    series = []
    for minute, raw in zip(span, hashes, strict=True):
        counts = {key.decode(): int(value) for key, value in raw.items()}
        done = counts.get("done", 0)
        mean = counts.get("latency_ms", 0) / done / 1000 if done else None
        series.append(
            MinuteCounts(minute * 60, done, counts.get("retried", 0), counts.get("failed", 0), mean)
        )
    return series
