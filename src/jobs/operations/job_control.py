"""What operators do to jobs: stop one for sure (an aborted event is parked, not lost), and
queue one by hand (`enqueue_job`).

`abort_job` in `job_detail.py` is arq's own `Job.abort`: it needs a worker to confirm, even
for a job that is only queued, so with no worker alive (when operators abort most) it stays
"requested" and the flag lingers. `stop_job` does better for each state:

- queued or deferred: one Lua script takes the job out of arq's queue unless a worker has
  claimed it (arq's in-progress key), atomically with the claim, so it can never run. No
  worker is needed.
- running: arq's `Job.abort` (the worker cancels the task). If no worker confirms within
  `wait`, the request is withdrawn (`not_confirmed`): the job goes on, nothing is half done.

A job whose payload cannot be decoded (pickled by stock arq during a mixed-version upgrade)
is taken out the same way while it waits, but nothing can be parked (its event cannot be
read: `unreadable` says so); while it runs it is left alone (`unreadable` outcome), since
only the worker that could read it can cancel it.

The event of an aborted `post_activity` job is parked in the dead-letter store with reason
`aborted` and the operator's name, so it can be retried (exactly one copy is stored: the
activity service is idempotent, even if a cancelled POST had already stored it) or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from arq.connections import ArqRedis
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import DeserializationError, Job, JobDef, JobResult, JobStatus

from src.jobs.queue.connections import reply
from src.jobs.queue.dead_letters import DeadLetter, DeadLetterStore
from src.jobs.queue.delivery_story import append_try, try_record
from src.jobs.queue.producer import DELIVERY_FUNCTION
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import JobFailed, job_deserializer

__all__ = ["EnqueueOutcome", "StopOutcome", "StopReport", "enqueue_job", "stop_job"]

# KEYS: queue, in-progress key, job key, retry key. ARGV: job id. 1 if removed.
_REMOVE_IF_WAITING = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[3], KEYS[4])
return 1
"""


class StopOutcome(StrEnum):
    """What `stop_job` did."""

    removed = "removed"  # it was queued or deferred; taken out, it will never run
    aborted = "aborted"  # it was running; the worker cancelled it
    not_confirmed = "not_confirmed"  # running, but no worker confirmed: left running
    unreadable = "unreadable"  # running, with a payload this version cannot decode: left running
    finished = "finished"  # too late: it had finished already
    not_found = "not_found"


@dataclass(frozen=True, slots=True)
class StopReport:
    """The outcome, the job's function, whether its event went to the dead letters, and
    whether its payload could not be decoded (then function is None and nothing is parked)."""

    job_id: str
    outcome: StopOutcome
    function: str | None = None
    parked: bool = False
    unreadable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def stop_job(
    pool: ArqRedis, job_id: str, *, operator: str = "an operator", wait: float = 2.0
) -> StopReport:
    """Stop a queued, deferred or running job (see the module doc)."""
    job = Job(job_id, pool, _queue_name=QUEUE_NAME, _deserializer=job_deserializer)
    try:
        info = await job.info()
    except DeserializationError:
        return await _stop_unreadable(pool, job)
    if info is None:
        return StopReport(job_id, StopOutcome.not_found)
    if isinstance(info, JobResult):
        return StopReport(job_id, StopOutcome.finished, info.function)
    removed = await _remove_if_waiting(pool, job_id)
    if removed:
        return await _parked(pool, info, job_id, StopOutcome.removed, operator)
    if not await pool.exists(in_progress_key_prefix + job_id):
        return StopReport(job_id, StopOutcome.finished, info.function)  # done meanwhile
    try:
        aborted = await job.abort(timeout=wait, poll_delay=0.05)
    except TimeoutError:
        if await pool.zrem(abort_jobs_ss, job_id):  # still ours: no worker took the request
            return StopReport(job_id, StopOutcome.not_confirmed, info.function)
        aborted = True  # a worker took the request just now: it cancels the job
    except JobFailed:  # it failed (or was parked as a dead letter) before the abort landed
        return StopReport(job_id, StopOutcome.finished, info.function)
    if not aborted:
        return StopReport(job_id, StopOutcome.finished, info.function)
    return await _parked(pool, info, job_id, StopOutcome.aborted, operator)


async def _remove_if_waiting(pool: ArqRedis, job_id: str) -> bool:
    """Take the job out of the queue unless a worker has claimed it; True if it was."""
    removed = await reply(
        pool.eval(
            _REMOVE_IF_WAITING,
            4,
            QUEUE_NAME,
            in_progress_key_prefix + job_id,
            job_key_prefix + job_id,
            retry_key_prefix + job_id,
            job_id,
        )
    )
    return bool(removed)


async def _stop_unreadable(pool: ArqRedis, job: Job) -> StopReport:
    """Stop a job whose payload cannot be decoded (see the module doc)."""
    job_id = job.job_id
    status = await job.status()  # reads which keys exist, not the payload
    if status is JobStatus.not_found:
        return StopReport(job_id, StopOutcome.not_found)
    if status is JobStatus.complete:
        return StopReport(job_id, StopOutcome.finished, unreadable=True)
    if await _remove_if_waiting(pool, job_id):
        return StopReport(job_id, StopOutcome.removed, unreadable=True)
    if await pool.exists(in_progress_key_prefix + job_id):
        return StopReport(job_id, StopOutcome.unreadable, unreadable=True)
    return StopReport(job_id, StopOutcome.finished, unreadable=True)  # done meanwhile


async def _parked(
    pool: ArqRedis, info: JobDef, job_id: str, outcome: StopOutcome, operator: str
) -> StopReport:
    if info.function != DELIVERY_FUNCTION or not info.args:
        return StopReport(job_id, outcome, info.function)
    was = "queued" if outcome is StopOutcome.removed else "running"
    error = f"aborted by {operator} while {was}"
    tries = int(await pool.get(retry_key_prefix + job_id) or info.job_try or 0)
    history = await append_try(
        pool, job_id, try_record(tries, "aborted", duration=0.0, error=error), read_back=True
    )
    entry = DeadLetter(
        id=job_id,
        event=info.args[0],
        error=error,
        reason="aborted",
        tries=tries,
        history=history,
        retried=sum(1 for item in history if item.get("outcome") == "requeued"),
    )
    await DeadLetterStore(pool).add(entry)
    return StopReport(job_id, outcome, info.function, parked=True)


class EnqueueOutcome(StrEnum):
    """What `enqueue_job` did."""

    queued = "queued"
    already_queued = "already_queued"  # a job with this id is queued or running
    dead_lettered = "dead_lettered"  # the event is parked: retry it there instead


async def enqueue_job(
    pool: ArqRedis, function: str, args: list[Any], *, job_id: str
) -> EnqueueOutcome:
    """Queue `function(*args)` under `job_id` for an operator (the dashboard's enqueue form).

    Refused while a job with that id is queued or running, and while it is parked in the
    dead-letter store (a retry there keeps its story). A finished job's kept result is
    deleted first, so that the same id can be delivered again: arq would refuse it.
    """
    if await pool.exists(job_key_prefix + job_id, in_progress_key_prefix + job_id):
        return EnqueueOutcome.already_queued
    if await DeadLetterStore(pool).get(job_id) is not None:
        return EnqueueOutcome.dead_lettered
    await pool.delete(result_key_prefix + job_id)
    queued = await pool.enqueue_job(function, *args, _job_id=job_id)
    return EnqueueOutcome.queued if queued is not None else EnqueueOutcome.already_queued
