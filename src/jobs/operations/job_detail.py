"""One job in full, for the dashboard's job page, and aborting it (arq's `Job` API).

A job's story joins what arq keeps (status, arguments, tries, times, result or error with
its traceback) with what the worker adds (each failed try and its delay, the dead letter).
A job whose payload cannot be decoded (pickled by stock arq during a mixed-version upgrade)
is still shown: `unreadable`, with what Redis knows without the payload (status, next run,
tries) and an error that says so, instead of failing the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from arq.connections import ArqRedis
from arq.constants import abort_jobs_ss, retry_key_prefix
from arq.jobs import DeserializationError, Job, JobDef, JobResult, JobStatus
from arq.utils import ms_to_datetime

from src.jobs.operations.inspection import error_of, iso
from src.jobs.queue.dead_letters import DeadLetterStore
from src.jobs.queue.delivery_story import read_story
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import JobFailed, job_deserializer

__all__ = ["AbortOutcome", "JobStory", "abort_job", "job_story", "unreadable_error"]


def unreadable_error(exc: Exception) -> dict[str, str]:
    """The error shown for a job whose payload cannot be decoded."""
    return {
        "type": "DeserializationError",
        "message": "the job's payload cannot be decoded (written by another version of arq, "
        f"e.g. pickled instead of JSON?): {exc}",
        "traceback": "",
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
    unreadable: bool = False  # its payload cannot be decoded: only what Redis knows is shown

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def job_story(pool: ArqRedis, job_id: str) -> JobStory:
    """One job's full story; `status` is `not_found` when arq and the store know nothing."""
    job = Job(job_id, pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    status = await job.status()
    unreadable: Exception | None = None
    try:
        info: JobDef | None = await job.info()
    except DeserializationError as exc:
        info, unreadable = None, exc
    async with pool.pipeline(transaction=False) as pipe:
        pipe.get(retry_key_prefix + job_id)
        pipe.zscore(abort_jobs_ss, job_id)
        pipe.zscore(QUEUE_NAME, job_id)
        tries, abort, score = await pipe.execute()
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
    if unreadable is not None:
        next_run = None if score is None else iso(ms_to_datetime(int(score)))
        story.update(unreadable=True, error=unreadable_error(unreadable), next_run=next_run)
    if info is not None:
        story.update(
            function=info.function,
            args=list(info.args),
            kwargs=dict(info.kwargs),
            enqueue_time=iso(info.enqueue_time),
            next_run=None if info.score is None else iso(ms_to_datetime(info.score)),
        )
    if isinstance(info, JobResult):
        story.update(
            status="complete" if info.success else "failed",
            tries=info.job_try,
            start_time=iso(info.start_time),
            finish_time=iso(info.finish_time),
            success=info.success,
            result=info.result if info.success else None,
            error=None if info.success else error_of(info.result),
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
    for a worker to confirm. A running delivery is cancelled and tries no more, but the
    event may be stored all the same: the activity service may have stored it before the
    cancel landed (only its answer was lost). `stop_job` parks such an event for a retry,
    which stores no second copy."""
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
