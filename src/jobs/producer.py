"""The producer side of the queue, as the web app uses it: a pool and `enqueue_event`.

An event's job id is the event id, so enqueueing the same event twice (the outbox relay
after a crash, a retried request) gives one job: arq refuses a second job with the id of a
queued, running or recently finished one.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from redis.exceptions import RedisError

from ..common.events import ActivityEvent, EventInvalid, parse_event
from ..common.settings import Settings
from .connection import producer_pool, redacted, redis_url
from .errors import QueueUnavailable

__all__ = ["DELIVERY_FUNCTION", "HEALTH_CHECK_FUNCTION", "create_pool", "enqueue_event"]

DELIVERY_FUNCTION = "post_activity"
HEALTH_CHECK_FUNCTION = "check_activity_health"  # the cron job's check, on demand


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
    return f"Redis at {redacted(str(where))} is unreachable ({reason}); try again later"


def _event_dict(event: ActivityEvent | dict[str, Any]) -> dict[str, Any]:
    if isinstance(event, ActivityEvent):
        return event.to_json_dict()
    parse_event(event)  # raises EventInvalid naming each bad field
    if not event.get("id"):
        raise EventInvalid({"id": "required: it is the job id that makes enqueueing idempotent"})
    return event


async def enqueue_event(pool: ArqRedis, event: ActivityEvent | dict[str, Any]) -> bool:
    """Queue `post_activity(event)` under the event's id; False if that job already exists.

    Raises `EventInvalid` for a malformed event and `QueueUnavailable` when Redis cannot be
    reached, in which case nothing was enqueued.
    """
    body = _event_dict(event)
    job_id = str(body["id"])
    try:
        job = await pool.enqueue_job(DELIVERY_FUNCTION, body, _job_id=job_id)
        if job is not None:
            return True
        # arq also answers None when the connection died during EXEC (redis-py reports a
        # WatchError): only a job, a running marker or a result proves the event is queued.
        present = await pool.exists(
            job_key_prefix + job_id, in_progress_key_prefix + job_id, result_key_prefix + job_id
        )
    except (TimeoutError, RedisError, OSError) as exc:
        raise QueueUnavailable(
            f"event {job_id} was not enqueued: {_unreachable(pool, exc)}"
        ) from exc
    if not present:
        raise QueueUnavailable(f"event {job_id} was not enqueued: the connection to Redis dropped")
    return False
