"""arq's `finish_job` for every job that ends in the same moment, in one round trip.

arq ends each job with its own MULTI/EXEC (result, in-progress, retry and job keys, the
queue entry, the abort mark). `FinishBatch.finish` queues exactly those commands and one
flusher sends everything queued so far as one MULTI/EXEC: all of it applies atomically, as
each job's part did before. While a flush is on its way, new finishes queue for the next.
An error fails every job of that batch, as it would have failed each alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.utils import to_ms
from redis.asyncio.client import Pipeline

__all__ = ["Finish", "FinishBatch"]


@dataclass(frozen=True, slots=True)
class Finish:
    """The arguments of arq 0.28's `Worker.finish_job`."""

    job_id: str
    finish: bool
    result_data: bytes | None
    result_timeout_s: float | None
    keep_result_forever: bool
    incr_score: int | None
    keep_in_progress: float | None

    def queue_on(self, tr: Pipeline, queue_name: str) -> None:
        """The commands arq's `finish_job` sends for this job, in its order."""
        delete_keys = []
        in_progress_key = in_progress_key_prefix + self.job_id
        if self.keep_in_progress is None:
            delete_keys.append(in_progress_key)
        else:
            tr.pexpire(in_progress_key, to_ms(self.keep_in_progress))
        if self.finish:
            if self.result_data:
                expire = None if self.keep_result_forever else self.result_timeout_s
                tr.set(result_key_prefix + self.job_id, self.result_data, px=to_ms(expire))
            delete_keys += [retry_key_prefix + self.job_id, job_key_prefix + self.job_id]
            tr.zrem(abort_jobs_ss, self.job_id)
            tr.zrem(queue_name, self.job_id)
        elif self.incr_score:
            tr.zincrby(queue_name, self.incr_score, self.job_id)
        if delete_keys:
            tr.delete(*delete_keys)


class FinishBatch:
    """Finishes jobs of one queue in batches; see the module doc."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name
        self._waiting: list[tuple[Finish, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def finish(self, job: Finish) -> None:
        """Return once this job's finish is written (or raise what writing it raised)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((job, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="finish batch")
        await done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    async with self.redis.pipeline(transaction=True) as tr:
                        for job, _ in batch:
                            job.queue_on(tr, self.queue_name)
                        await tr.execute()
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                except BaseException:
                    self._waiting = batch + self._waiting
                    raise
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._flusher = None
            leftover, self._waiting = self._waiting, []
            for _, done in leftover:  # only when the flusher itself was cancelled
                done.cancel()
