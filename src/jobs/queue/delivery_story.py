"""The delivery story of one event: each try's number, outcome, HTTP status, error and the
delay chosen before the next, kept in Redis for the dashboard's job page and for tests.

A first try that succeeds writes nothing here (the job result says it all, and the hot path
stays at arq's own round trips); every failed try, and the success that ends a series of
failures, is appended. The list expires a week after its last write, like the job itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from src.jobs.queue.connections import reply
from src.jobs.queue.redis_keys import delivery_story

__all__ = [
    "STORY_MAX_TRIES",
    "STORY_TTL",
    "append_try",
    "queue_append",
    "read_story",
    "try_record",
]

STORY_TTL = 7 * 24 * 3600
STORY_MAX_TRIES = 200  # newest kept; DELIVERY_MAX_TRIES may be up to 1,000


def try_record(
    job_try: int,
    outcome: str,
    *,
    duration: float,
    status: int | None = None,
    error: str | None = None,
    delay: float | None = None,
    ceiling: float | None = None,
    delay_source: str | None = None,
    retry_after: float | None = None,
) -> dict[str, Any]:
    """One entry of the story, JSON-safe; fields that do not apply are left out."""
    record: dict[str, Any] = {
        "try": job_try,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "outcome": outcome,
        "duration": round(duration, 4),
    }
    optional = {
        "status": status,
        "error": error,
        "delay": None if delay is None else round(delay, 4),
        "ceiling": ceiling,
        "delay_source": delay_source,
        "retry_after": retry_after,
    }
    record.update({key: value for key, value in optional.items() if value is not None})
    return record


async def append_try(
    redis: Redis, job_id: str, record: dict[str, Any], *, read_back: bool = False
) -> list[dict[str, Any]]:
    """Append `record` to the job's story in one round trip; the whole story if `read_back`."""
    async with redis.pipeline(transaction=True) as pipe:
        queue_append(pipe, job_id, record)
        if read_back:
            pipe.lrange(delivery_story(job_id), 0, -1)
        results = await pipe.execute()
    return [json.loads(item) for item in results[3]] if read_back else [record]


def queue_append(pipe: Pipeline, job_id: str, record: dict[str, Any]) -> None:
    """Queue on `pipe` the three commands that append `record` to the job's story."""
    key = delivery_story(job_id)
    pipe.rpush(key, json.dumps(record, separators=(",", ":")))
    pipe.ltrim(key, -STORY_MAX_TRIES, -1)
    pipe.expire(key, STORY_TTL)


async def read_story(redis: Redis, job_id: str) -> list[dict[str, Any]]:
    """The recorded tries of a job, oldest first; empty if none failed (or it expired)."""
    return [json.loads(item) for item in await reply(redis.lrange(delivery_story(job_id), 0, -1))]
