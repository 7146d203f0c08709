"""The producer side of the queue, as the web app uses it: a pool and `enqueue_event`.

An event's job id is the event id, so enqueueing the same event twice (the outbox relay
after a crash, a retried request) gives one job: like arq, the producer refuses a second job
with the id of a queued, running or recently finished one.

`enqueue_once` is arq's `enqueue_job` in one round trip instead of three: one Lua script
(`scripts.ENQUEUE`) checks arq's job and result keys and writes the job key (arq's
serialized job, arq's expiry) and the queue score exactly as arq does, so stock arq workers,
`Job.status()` and `Job.info()` read the job unchanged. The same script leaves a wake token
for `WolfitWorker` (`woken_worker.py`), so an idle worker starts the job about 2 ms (median)
later instead of at its next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_ms
from redis.exceptions import NoScriptError, RedisError

from src.common.events import ActivityEvent, EventInvalid, parse_event
from src.common.redaction import without_password
from src.common.settings import Settings
from src.jobs.queue.connections import producer_pool, redis_url
from src.jobs.queue.errors import QueueUnavailable
from src.jobs.queue.redis_keys import wake_list
from src.jobs.queue.scripts import ENQUEUE, bound

__all__ = [
    "DELIVERY_FUNCTION",
    "HEALTH_CHECK_FUNCTION",
    "WAKE_TOKEN_TTL_MS",
    "create_pool",
    "enqueue_event",
    "enqueue_events",
    "enqueue_once",
    "enqueue_script_call",
    "event_body",
]

DELIVERY_FUNCTION = "post_activity"
HEALTH_CHECK_FUNCTION = "check_activity_health"  # the cron job's check, on demand
# A token nobody takes (no woken worker runs, or all are busy) goes after a minute: the list
# holds one token at most, and a worker that misses one finds the job on its 0.5 s pass.
WAKE_TOKEN_TTL_MS = 60_000


async def create_pool(settings: Settings, *, check: bool = False) -> ArqRedis:
    """An arq pool on `REDIS_URL` with the JSON serializer and timeouts of about 2 s.

    Connecting is lazy, so a web app starts while Redis is down (its outbox holds the
    events); `check=True` pings first and raises `QueueUnavailable` if Redis does not answer.
    A missing `REDIS_URL` is a `SettingsError`.
    """
    url = redis_url(settings)
    pool = producer_pool(url)
    if check:
        try:
            await pool.ping()
        except (TimeoutError, RedisError, OSError) as exc:
            await pool.aclose()
            raise QueueUnavailable(_unreachable(pool, exc)) from exc
    return pool


def _unreachable(pool: ArqRedis, exc: BaseException) -> str:
    kwargs = pool.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    reason = str(exc) or type(exc).__name__
    return f"Redis at {without_password(str(where))} is unreachable ({reason}); try again later"


def event_body(event: ActivityEvent | dict[str, Any]) -> dict[str, Any]:
    """The argument of `post_activity` for `event`; `EventInvalid` naming each bad field of a
    malformed one (a dict from the outbox, say), or when it has no id."""
    if isinstance(event, ActivityEvent):
        return event.to_json_dict()
    parse_event(event)  # raises EventInvalid naming each bad field
    if not event.get("id"):
        raise EventInvalid({"id": "required: it is the job id that makes enqueueing idempotent"})
    return event


async def enqueue_once(
    pool: ArqRedis,
    function: str,
    *args: Any,
    job_id: str,
    defer_by: float | None = None,
    **kwargs: Any,
) -> bool:
    """arq's `pool.enqueue_job(function, *args, _job_id=job_id, _defer_by=defer_by,
    **kwargs)` in one round trip: True if the job was queued, False if a job or a result
    with this id exists (arq's rule). Redis errors propagate as they come.
    """
    keys, script_args = enqueue_script_call(pool, function, args, kwargs, job_id, defer_by)
    return bool(await bound(pool, ENQUEUE)(keys=keys, args=script_args))


def enqueue_script_call(
    pool: ArqRedis,
    function: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    job_id: str,
    defer_by: float | None = None,
) -> tuple[list[str], list[Any]]:
    """The keys and arguments of `scripts.ENQUEUE` for one job, as `enqueue_once` runs it
    (and as a pipeline of several enqueues, `DeadLetterStore.retry_many`, runs it)."""
    queue = pool.default_queue_name
    enqueued = timestamp_ms()
    score = enqueued + (to_ms(defer_by) or 0)
    job = serialize_job(function, args, kwargs, None, enqueued, serializer=pool.job_serializer)
    keys = [job_key_prefix + job_id, result_key_prefix + job_id, queue, wake_list(queue)]
    return keys, [job_id, job, score - enqueued + pool.expires_extra_ms, score, WAKE_TOKEN_TTL_MS]


async def enqueue_event(pool: ArqRedis, event: ActivityEvent | dict[str, Any]) -> bool:
    """Queue `post_activity(event)` under the event's id; False if that job already exists.

    One round trip (`enqueue_once`). Raises `EventInvalid` for a malformed event and
    `QueueUnavailable` when Redis cannot be reached, in which case nothing was enqueued.
    """
    body = event_body(event)
    job_id = str(body["id"])
    try:
        return await enqueue_once(pool, DELIVERY_FUNCTION, body, job_id=job_id)
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(
            f"event {job_id} was not enqueued: {_unreachable(pool, exc)}"
        ) from exc


async def enqueue_events(
    pool: ArqRedis, events: Sequence[ActivityEvent | dict[str, Any]]
) -> list[bool]:
    """`enqueue_event` for each event, in one round trip for all of them (a pipeline of the
    same script): answers, per event, whether its job was queued now.

    Raises `EventInvalid` (before anything is sent) for a malformed event and
    `QueueUnavailable` when Redis cannot be reached; then any of them may have been queued,
    which is harmless: enqueueing again is refused by the job id.
    """
    bodies = [event_body(event) for event in events]
    if not bodies:
        return []
    script = bound(pool, ENQUEUE)
    calls = [
        enqueue_script_call(pool, DELIVERY_FUNCTION, (body,), {}, job_id=str(body["id"]))
        for body in bodies
    ]
    try:
        try:
            answers = await _evalsha_all(pool, script.sha, calls)
        except NoScriptError:  # a Redis that restarted or was flushed: load it, send again
            await pool.script_load(ENQUEUE)
            answers = await _evalsha_all(pool, script.sha, calls)
    except (TimeoutError, RedisError, OSError) as exc:
        shown = bodies[0]["id"] if len(bodies) == 1 else f"batch of {len(bodies)}"
        reason = _unreachable(pool, exc)
        raise QueueUnavailable(f"event {shown} was not enqueued: {reason}") from exc
    return [bool(answer) for answer in answers]


async def _evalsha_all(
    pool: ArqRedis, sha: str, calls: list[tuple[list[str], list[Any]]]
) -> list[Any]:
    # EVALSHA straight into the pipeline: redis-py's script objects would first ask Redis
    # whether the script exists, a second round trip for every batch. Sending a batch twice
    # is harmless: the script refuses a job id it has queued already.
    async with pool.pipeline(transaction=False) as pipe:
        for keys, args in calls:
            pipe.evalsha(sha, len(keys), *keys, *args)
        return list(await pipe.execute())
