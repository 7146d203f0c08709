"""Jobs as stock arq writes them (pickled), as a web or worker of an older version would
during a mixed-version upgrade: our JSON deserializer cannot read them."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job, serialize_result
from arq.utils import timestamp_ms

from src.jobs.queue.redis_keys import QUEUE_NAME

EVENT = {"id": "e-pickled", "type": "vote.cast"}


async def queue_pickled(
    pool: ArqRedis, job_id: str, *, defer_ms: int = 0, running: bool = False
) -> int:
    """Queue a pickled `post_activity` job (deferred by `defer_ms`, claimed by a worker if
    `running`); its score."""
    now = timestamp_ms()
    raw = serialize_job("post_activity", (EVENT,), {}, 1, now)  # arq's default: pickle
    await pool.set(job_key_prefix + job_id, raw)
    await pool.zadd(QUEUE_NAME, {job_id: now + defer_ms})
    if running:
        await pool.set(in_progress_key_prefix + job_id, b"1", px=60_000)
    return now + defer_ms


async def pickled_result(pool: ArqRedis, job_id: str) -> None:
    """A finished job's pickled result."""
    now = timestamp_ms()
    raw = serialize_result(
        "post_activity", (EVENT,), {}, 1, now, True, {"ok": 1}, now, now, "ref", QUEUE_NAME, job_id
    )
    assert raw is not None
    await pool.set(result_key_prefix + job_id, raw)
