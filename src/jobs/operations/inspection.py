"""Queue inspection for the operator dashboard, on arq's own data and API where arq keeps it.

Every listing reads one page: `ZRANGEBYSCORE ... LIMIT` on arq's queue and a pipelined read
of those jobs only, so the dashboard stays fast with 100,000 jobs queued. (arq's own
`queued_jobs()` and `all_job_results()` read everything; they are not used here.) What arq
does not index (running jobs per worker, recently finished job ids) comes from the
heartbeats and the capped lists the worker writes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from arq.connections import ArqRedis
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import (
    DeserializationError,
    JobDef,
    JobResult,
    deserialize_job,
    deserialize_result,
)
from arq.utils import ms_to_datetime, timestamp_ms

from src.jobs.queue.dead_letters import DeadLetterStore
from src.jobs.queue.heartbeats import live_workers
from src.jobs.queue.redis_keys import QUEUE_NAME, RECENT_DELIVERIES, RECENT_FAILURES, RECENT_JOBS
from src.jobs.queue.serializer import JobFailed, job_deserializer

__all__ = [
    "JobPage",
    "JobSummary",
    "QueueStats",
    "error_of",
    "iso",
    "jobs_in_progress",
    "list_jobs",
    "queue_stats",
    "recent_results",
]

MAX_PAGE = 200


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 text with milliseconds (None stays None)."""
    return None if value is None else value.isoformat(timespec="milliseconds")


def error_of(result: Any) -> dict[str, str] | None:
    """A failed job's exception as `{"type", "message", "traceback"}`."""
    if isinstance(result, JobFailed):
        return {
            "type": result.type_name,
            "message": result.message,
            "traceback": result.traceback_text,
        }
    if isinstance(result, asyncio.CancelledError):
        return {"type": "CancelledError", "message": "aborted", "traceback": ""}
    if isinstance(result, BaseException):
        return {"type": type(result).__name__, "message": str(result), "traceback": ""}
    return {"type": "Error", "message": str(result), "traceback": ""}


@dataclass(frozen=True, slots=True)
class QueueStats:
    """The queue at a glance."""

    depth: int  # every job in arq's queue: ready, running and deferred
    ready: int  # due now (waiting for a worker, or running)
    deferred: int  # waiting for their time (retries with backoff)
    in_progress: int  # running now, as the live workers' heartbeats report
    oldest_ready_age: float | None  # seconds the longest-waiting due job has waited
    dead_letters: int
    live_workers: int

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One job as a list shows it."""

    job_id: str
    function: str
    args: list[Any]
    status: str  # queued, deferred, in_progress, complete, failed
    enqueue_time: str | None
    next_run: str | None = None  # when it runs (queued and deferred jobs)
    tries: int = 0  # runs started so far
    finish_time: str | None = None
    error: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of jobs and how many there are in all."""

    items: list[JobSummary]
    total: int
    offset: int
    limit: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [item.to_dict() for item in self.items],
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
        }


def _check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise ValueError("offset must be 0 or more")
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")


async def queue_stats(pool: ArqRedis) -> QueueStats:
    """Depth, ready, deferred, running, the oldest wait, dead letters and live workers."""
    now_ms = timestamp_ms()  # arq rounds its scores the same way
    async with pool.pipeline(transaction=False) as pipe:
        pipe.zcard(QUEUE_NAME)
        pipe.zcount(QUEUE_NAME, "-inf", now_ms)
        pipe.zrange(QUEUE_NAME, 0, 0, withscores=True)
        depth, ready, oldest = await pipe.execute()
    workers = await live_workers(pool)
    oldest_age = max(0.0, (now_ms - oldest[0][1]) / 1000) if oldest and ready else None
    return QueueStats(
        depth=int(depth),
        ready=int(ready),
        deferred=int(depth) - int(ready),
        in_progress=sum(worker.running for worker in workers),
        oldest_ready_age=oldest_age,
        dead_letters=await DeadLetterStore(pool).count(),
        live_workers=len(workers),
    )


async def _summaries(pool: ArqRedis, scored: list[tuple[bytes, float]]) -> list[JobSummary]:
    """Summaries of queued jobs (id, score) in one pipelined read."""
    if not scored:
        return []
    async with pool.pipeline(transaction=False) as pipe:
        for raw_id, _ in scored:
            job_id = raw_id.decode()
            pipe.get(job_key_prefix + job_id)
            pipe.exists(in_progress_key_prefix + job_id)
            pipe.get(retry_key_prefix + job_id)
        values = await pipe.execute()
    now_ms = timestamp_ms()  # arq rounds its scores the same way
    summaries = []
    for index, (raw_id, score) in enumerate(scored):
        raw_job, running, tries = values[3 * index : 3 * index + 3]
        if raw_job is None:  # finished between the two reads
            continue
        try:
            job: JobDef = deserialize_job(raw_job, deserializer=job_deserializer)
        except DeserializationError:
            continue
        status = "in_progress" if running else ("deferred" if score > now_ms else "queued")
        summaries.append(
            JobSummary(
                job_id=raw_id.decode(),
                function=job.function,
                args=list(job.args),
                status=status,
                enqueue_time=iso(job.enqueue_time),
                next_run=iso(ms_to_datetime(int(score))),
                tries=int(tries or 0),
            )
        )
    return summaries


async def list_jobs(
    pool: ArqRedis,
    status: Literal["queued", "deferred"] = "queued",
    *,
    offset: int = 0,
    limit: int = 50,
) -> JobPage:
    """Queued (due, in the order they run) or deferred (by next run) jobs, one page."""
    _check_page(offset, limit)
    now_ms = timestamp_ms()  # arq rounds its scores the same way
    low, high = ("-inf", now_ms) if status == "queued" else (f"({now_ms}", "+inf")
    async with pool.pipeline(transaction=False) as pipe:
        pipe.zrangebyscore(QUEUE_NAME, low, high, start=offset, num=limit, withscores=True)
        pipe.zcount(QUEUE_NAME, low, high)
        scored, total = await pipe.execute()
    return JobPage(await _summaries(pool, scored), int(total), offset, limit)


async def jobs_in_progress(pool: ArqRedis) -> list[JobSummary]:
    """Jobs running now on live workers (as of their last heartbeat, at most ~5 s old)."""
    ids = sorted({job_id for worker in await live_workers(pool) for job_id in worker.running_jobs})
    if not ids:
        return []
    scores = await pool.zmscore(QUEUE_NAME, ids)
    scored = [
        (job_id.encode(), score)
        for job_id, score in zip(ids, scores, strict=True)
        if score is not None
    ]
    return [job for job in await _summaries(pool, scored) if job.status == "in_progress"]


def _result_summary(job_id: str, result: JobResult) -> JobSummary:
    return JobSummary(
        job_id=job_id,
        function=result.function,
        args=list(result.args),
        status="complete" if result.success else "failed",
        enqueue_time=iso(result.enqueue_time),
        tries=result.job_try,
        finish_time=iso(result.finish_time),
        error=None if result.success else error_of(result.result),
    )


async def recent_results(
    pool: ArqRedis,
    *,
    failed_only: bool = False,
    offset: int = 0,
    limit: int = 50,
    delivered_only: bool = False,
) -> JobPage:
    """Finished deliveries, newest first, with their errors (arq keeps results an hour);
    only the dead-lettered ones with `failed_only`, only the delivered with `delivered_only`."""
    _check_page(offset, limit)
    index = RECENT_FAILURES if failed_only else RECENT_JOBS
    if delivered_only:
        index = RECENT_DELIVERIES
    async with pool.pipeline(transaction=False) as pipe:
        pipe.lrange(index, offset, offset + limit - 1)
        pipe.llen(index)
        raw_ids, total = await pipe.execute()
    ids = list(dict.fromkeys(raw.decode() for raw in raw_ids))
    raws = await pool.mget([result_key_prefix + job_id for job_id in ids]) if ids else []
    items = []
    for job_id, raw in zip(ids, raws, strict=True):
        if raw is None:  # expired, or the job was retried from the dead letters
            continue
        try:
            result = deserialize_result(raw, deserializer=job_deserializer)
        except DeserializationError:
            continue
        items.append(_result_summary(job_id, result))
    return JobPage(items, int(total), offset, limit)
