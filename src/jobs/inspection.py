"""Queue inspection for the operator dashboard, on arq's own data and API where arq keeps it.

Every listing reads one page: `ZRANGEBYSCORE ... LIMIT` on arq's queue and a pipelined read
of those jobs only, so the dashboard stays fast with 100,000 jobs queued. (arq's own
`queued_jobs()` and `all_job_results()` read everything; they are not used here.) What arq
does not index (running jobs per worker, recently finished job ids) comes from the
heartbeats and the capped lists the worker writes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from arq.connections import ArqRedis
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import (
    DeserializationError,
    Job,
    JobDef,
    JobResult,
    JobStatus,
    deserialize_job,
    deserialize_result,
)
from arq.utils import ms_to_datetime

from .dead_letters import DeadLetterStore
from .heartbeat import live_workers
from .keys import QUEUE_NAME, RECENT_FAILURES, RECENT_JOBS
from .serializer import JobFailed, job_deserializer
from .story import read_story

__all__ = [
    "AbortOutcome",
    "JobPage",
    "JobStory",
    "JobSummary",
    "QueueStats",
    "abort_job",
    "job_story",
    "jobs_in_progress",
    "list_jobs",
    "queue_stats",
    "recent_results",
]

MAX_PAGE = 200


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def _error(result: Any) -> dict[str, str] | None:
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


@dataclass(frozen=True, slots=True)
class JobStory:
    """Everything known about one job: arguments, tries, times, result or error, and the
    delivery story (each failed try, its delay and error) and dead letter if any."""

    job_id: str
    status: str  # queued, deferred, in_progress, complete, failed, not_found
    function: str | None = None
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    tries: int = 0
    enqueue_time: str | None = None
    next_run: str | None = None
    start_time: str | None = None
    finish_time: str | None = None
    success: bool | None = None
    result: Any = None
    error: dict[str, str] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    dead_letter: dict[str, Any] | None = None
    abort_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise ValueError("offset must be 0 or more")
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")


async def queue_stats(pool: ArqRedis) -> QueueStats:
    """Depth, ready, deferred, running, the oldest wait, dead letters and live workers."""
    now_ms = time.time() * 1000
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
    now_ms = time.time() * 1000
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
                enqueue_time=_iso(job.enqueue_time),
                next_run=_iso(ms_to_datetime(int(score))),
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
    now_ms = time.time() * 1000
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
        enqueue_time=_iso(result.enqueue_time),
        tries=result.job_try,
        finish_time=_iso(result.finish_time),
        error=None if result.success else _error(result.result),
    )


async def recent_results(
    pool: ArqRedis, *, failed_only: bool = False, offset: int = 0, limit: int = 50
) -> JobPage:
    """Finished deliveries, newest first, with their errors (arq keeps results an hour)."""
    _check_page(offset, limit)
    index = RECENT_FAILURES if failed_only else RECENT_JOBS
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


async def job_story(pool: ArqRedis, job_id: str) -> JobStory:
    """One job's full story; `status` is `not_found` when arq and the store know nothing."""
    job = Job(job_id, pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    status = await job.status()
    info = await job.info()
    async with pool.pipeline(transaction=False) as pipe:
        pipe.get(retry_key_prefix + job_id)
        pipe.zscore(abort_jobs_ss, job_id)
        tries, abort = await pipe.execute()
    history = await read_story(pool, job_id)
    dead_letter = await DeadLetterStore(pool).get(job_id)
    story: dict[str, Any] = {
        "job_id": job_id,
        "status": status.value,
        "tries": int(tries or 0),
        "history": history,
        "dead_letter": None if dead_letter is None else dead_letter.to_dict(),
        "abort_requested": abort is not None,
    }
    if info is not None:
        story.update(
            function=info.function,
            args=list(info.args),
            kwargs=dict(info.kwargs),
            enqueue_time=_iso(info.enqueue_time),
            next_run=None if info.score is None else _iso(ms_to_datetime(info.score)),
        )
    if isinstance(info, JobResult):
        story.update(
            status="complete" if info.success else "failed",
            tries=info.job_try,
            start_time=_iso(info.start_time),
            finish_time=_iso(info.finish_time),
            success=info.success,
            result=info.result if info.success else None,
            error=None if info.success else _error(info.result),
        )
    elif status is JobStatus.not_found and dead_letter is not None:
        story.update(status="failed", tries=dead_letter.tries, args=[dead_letter.event])
    return JobStory(**story)


class AbortOutcome(StrEnum):
    """What `abort_job` achieved."""

    aborted = "aborted"  # a worker confirmed: the job will not run (or was cancelled)
    requested = "requested"  # asked; no worker confirmed in time (none running?)
    finished = "finished"  # too late: the job had already finished
    not_found = "not_found"


async def abort_job(pool: ArqRedis, job_id: str, *, wait: float = 2.0) -> AbortOutcome:
    """Abort a queued, deferred or running job (arq's `Job.abort`), waiting `wait` seconds
    for a worker to confirm. A running delivery is cancelled; the event is not delivered."""
    job = Job(job_id, pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    status = await job.status()
    if status is JobStatus.not_found:
        return AbortOutcome.not_found
    if status is JobStatus.complete:
        return AbortOutcome.finished
    try:
        aborted = await job.abort(timeout=wait, poll_delay=0.1)
    except TimeoutError:
        return AbortOutcome.requested
    except JobFailed:  # it failed (or was parked as a dead letter) before the abort landed
        return AbortOutcome.finished
    return AbortOutcome.aborted if aborted else AbortOutcome.finished
