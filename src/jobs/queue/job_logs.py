"""The log lines each job wrote, kept per job id for the dashboard's job page.

Each job's lines (JSON: `at`, `level`, `logger`, `message`, `traceback`) go to a capped list
`wolfit:job-log:<id>` that expires with the delivery story. The worker captures them
(`src.jobs.worker.job_log_capture`); operators read them (`read_job_log`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from src.jobs.queue.connections import reply
from src.jobs.queue.delivery_story import STORY_TTL
from src.jobs.queue.redis_keys import job_log

__all__ = ["JOB_LOG_MAX_LINES", "append_job_lines", "read_job_log"]

JOB_LOG_MAX_LINES = 200  # newest kept per job


def append_job_lines(
    pipe: Pipeline, job_id: str, lines: Sequence[str], max_lines: int = JOB_LOG_MAX_LINES
) -> None:
    """Queue on `pipe` the commands that add `lines` (JSON text) to the job's list."""
    key = job_log(job_id)
    pipe.rpush(key, *lines[-max_lines:])
    pipe.ltrim(key, -max_lines, -1)
    pipe.expire(key, STORY_TTL)


async def read_job_log(redis: Redis, job_id: str, limit: int = JOB_LOG_MAX_LINES) -> list[Any]:
    """The newest `limit` lines one job wrote, oldest first; empty if it wrote none."""
    raws = await reply(redis.lrange(job_log(job_id), -limit, -1))
    return [json.loads(raw) for raw in raws]
