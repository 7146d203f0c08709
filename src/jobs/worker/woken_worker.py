"""`WolfitWorker`: arq's worker, woken by Redis when work arrives instead of only polling.

Stock arq polls: every `poll_delay` it reads due job ids and claims each one with three or
four round trips (WATCH, EXISTS, ZSCORE, MULTI/PSETEX/EXEC), and once `max_jobs` run it
sleeps a whole `poll_delay` before looking again. This subclass keeps arq's jobs, keys, TTLs,
`run_job` and `finish_job`, and changes only how jobs are found and claimed:

- **Woken.** The producer's script (`producer.enqueue_once`) leaves one token in
  `wolfit:wake:<queue>`; a listener blocks on it (BLPOP) while the worker has room, so an
  idle worker starts a job about 2 ms (median) after it was enqueued. A finished job, a
  retry (its new due time) and the earliest deferred job's due time wake the loop too.
- **One Lua claim per batch** (`scripts.CLAIM`): arq's check (in-progress key absent, score
  present and due, then PSETEX the in-progress key with arq's TTL) for up to
  `CLAIMS_PER_TURN` jobs in one round trip; more after the started jobs took their first step.
- **One finish per batch** (`finish_batch.py`): jobs that end in the same moment write
  arq's finish commands in one MULTI/EXEC. With arq's own `run_job` in between, a delivery
  costs about 1.2 Redis round trips instead of stock arq's 6 or more.
- **Waits for Redis.** A turn that Redis fails (a restart, an outage that outlasts the
  connection's retries, a refused write: out of memory, a read-only replica) is tried again
  after a capped backoff; the worker never ends on a Redis failure (stock arq's does).
- **arq's full pass on a timer.** Every `FULL_PASS_INTERVAL` (0.5 s), whatever the signals
  did, it claims from the whole due range, sees abort requests, records health and enqueues
  cron jobs, as arq's poll does. A token that is lost (a worker killed after taking it,
  a stock `enqueue_job`, a Redis restart) delays a job by that much at most, never more.

Stock arq workers (`arq src.jobs.WorkerSettings`) can run beside it on the same queue: both
claim through the same in-progress keys, so a job runs once. Not Redis Cluster safe, like
arq itself. It relies on arq 0.28's `Worker` internals (`run_job`, `finish_job`, `tasks`,
`job_counter`, `heart_beat`, `_cancel_aborted_jobs`); setup.cfg pins arq accordingly, and the
tests run every reliability scenario with both kinds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.exceptions import RedisError

from src.common.backoff import Backoff
from src.jobs.queue.connections import reply
from src.jobs.queue.redis_keys import wake_list
from src.jobs.queue.scripts import CLAIM, bound
from src.jobs.worker.finish_batch import Finish, FinishBatch

__all__ = ["CLAIMS_PER_TURN", "FULL_PASS_INTERVAL", "WAKE_BLOCK", "WolfitWorker"]

log = logging.getLogger(__name__)

FULL_PASS_INTERVAL = 0.5  # seconds: claims, aborts, health and cron, whatever the signals did
CLAIMS_PER_TURN = 10  # starting 100 jobs in lockstep made their HTTP calls finish in lockstep
WAKE_BLOCK = 5  # seconds one BLPOP waits for a token before asking again
WAKE_GUARD = 10.0  # a BLPOP with no answer this long is on a dead connection: give up on it
LISTEN_RETRY = 1.0  # seconds before listening again after an error (Redis away)
REDIS_BACKOFF = Backoff(0.05, 5.0)  # between turns that Redis failed
REDIS_TROUBLE = (RedisError, OSError, TimeoutError)


class WolfitWorker(Worker):
    """arq's `Worker`, woken by Redis and claiming in batches; see the module doc.

    Takes arq's `Worker` arguments; `poll_delay` is not used (the loop waits for a wake, a
    freed slot, a deferred job's due time or the next full pass).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake = asyncio.Event()  # something to do: a token, a finished job, a retry
        self._room = asyncio.Event()  # fewer than max_jobs running: the listener may listen
        self._room.set()
        self._claim_wanted = True  # a claim pass may find work
        self._next_full_pass = 0.0  # loop time
        self._next_due = math.inf  # loop time the earliest deferred job is due
        self._finished: list[tuple[str, asyncio.Task[Any]]] = []
        self._listener: asyncio.Task[None] | None = None
        self._finishes: FinishBatch | None = None

    async def main(self) -> None:
        """arq's start-up (pool, `on_startup`), then the woken loop until stopped."""
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        log.info(
            "Starting woken worker for %d functions: %s",
            len(self.functions),
            ", ".join(self.functions),
        )
        await log_redis_info(self.pool, log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        self._listener = asyncio.create_task(self._listen(), name="wolfit wake listener")
        try:
            await self._loop()
        finally:
            await self._stop_listener()

    async def close(self) -> None:
        await self._stop_listener()
        await super().close()

    async def finish_job(
        self,
        job_id: str,
        finish: bool,
        result_data: bytes | None,
        result_timeout_s: float | None,
        keep_result_forever: bool,
        incr_score: int | None,
        keep_in_progress: float | None,
    ) -> None:
        """arq's `finish_job`, batched with the other jobs that end in the same moment."""
        if self._finishes is None:
            self._finishes = FinishBatch(self.pool, self.queue_name)
        job = Finish(
            job_id,
            finish,
            result_data,
            result_timeout_s,
            keep_result_forever,
            incr_score,
            keep_in_progress,
        )
        await self._finishes.finish(job)
        if not finish:  # back in the queue (a retry): the next claim learns when it is due
            self._claim_wanted = True

    async def _loop(self) -> None:
        """Turn until stopped (or, in burst mode, done). A turn that Redis fails (a restart,
        an outage past the connection's patience, a refused write) is tried again after the
        suite's capped backoff: the worker waits for Redis instead of ending."""
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            try:
                done = await self._turn(loop)
            except REDIS_TROUBLE as exc:
                failures += 1
                delay = REDIS_BACKOFF.ceiling(failures)
                if failures == 1:
                    log.warning("Redis failed the worker (%r); trying again until it answers", exc)
                await asyncio.sleep(delay)
                self._claim_wanted = True
                continue
            if failures:
                log.info("Redis answers again, after %d failed turns", failures)
                failures = 0
            if done:
                return

    async def _turn(self, loop: asyncio.AbstractEventLoop) -> bool:
        """One turn: wait for work, reap, the timed full pass, claim; True when a burst is done."""
        await self._wait_for_work(loop)
        self._reap()
        now = loop.time()
        if now >= self._next_full_pass:  # forced on the clock, not only on a quiet wait
            self._next_full_pass = now + FULL_PASS_INTERVAL
            self._claim_wanted = True
            if self.allow_abort_jobs:
                await self._cancel_aborted_jobs()
            await self.heart_beat()
        if now >= self._next_due:
            self._next_due = math.inf
            self._claim_wanted = True
        if self._may_claim():
            await self._claim(loop)
        return self.burst and await self._burst_done()

    def _may_claim(self) -> bool:
        return self._claim_wanted and self.allow_pick_jobs and self.job_counter < self.max_jobs

    async def _wait_for_work(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._may_claim():  # more due jobs than one turn claims: go on after a step
            await asyncio.sleep(0)
        elif not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(min(self._next_full_pass, self._next_due)):
                    await self._wake.wait()
        self._wake.clear()

    async def _claim(self, loop: asyncio.AbstractEventLoop) -> None:
        """One claim pass: arq's check for a batch of due jobs, then start them."""
        limit = min(self.max_jobs - self.job_counter, CLAIMS_PER_TURN)
        if self.burst and self.max_burst_jobs >= 0:
            limit = min(limit, self.max_burst_jobs - self._jobs_started())
        if limit < 1:
            self._claim_wanted = False
            return
        now_ms = timestamp_ms()
        answer = await bound(self.pool, CLAIM)(
            keys=[self.queue_name],
            args=[
                now_ms,
                limit,
                self.queue_read_limit,
                int(self.in_progress_timeout_s * 1000),
                in_progress_key_prefix,
            ],
        )
        more, later = int(answer[0]), int(float(answer[1]))
        self._claim_wanted = bool(more)
        if later >= 0:  # wake when it is due (1 ms late, so that it is)
            self._next_due = loop.time() + max(0, later - now_ms + 1) / 1000
        for index in range(3, len(answer), 2):
            self._start(answer[index].decode(), int(float(answer[index + 1])))
        if self.job_counter >= self.max_jobs:
            self._room.clear()

    def _start(self, job_id: str, score: int) -> None:
        """Run a claimed job as arq's `start_jobs` would."""
        self.job_counter += 1
        task = asyncio.create_task(self.run_job(job_id, score))
        task.add_done_callback(lambda done: self._job_done(job_id, done))
        self.tasks[job_id] = task

    def _job_done(self, job_id: str, task: asyncio.Task[Any]) -> None:
        self.job_counter -= 1
        self._finished.append((job_id, task))
        self._room.set()
        self._wake.set()

    def _reap(self) -> None:
        """Forget finished jobs. arq's `run_job` fails only when Redis does (the job's own
        errors are its result): the job runs again once its in-progress key expires, and the
        first such error goes to the loop, which waits for Redis. Any other error ends the
        worker, as in arq."""
        finished, self._finished = self._finished, []
        failed: BaseException | None = None
        for job_id, task in finished:
            if self.tasks.get(job_id) is task:
                del self.tasks[job_id]
            if not task.cancelled() and task.exception() is not None:
                failed = failed or task.exception()
        if failed is not None:
            raise failed

    async def _burst_done(self) -> bool:
        """arq's burst rule: stop after `max_burst_jobs`, or once the queue is empty."""
        if 0 <= self.max_burst_jobs <= self._jobs_started():
            done = True
        elif self.tasks:  # a running job is still in the queue
            return False
        else:
            done = await self.pool.zcard(self.queue_name) == 0
        if done:
            await asyncio.gather(*self.tasks.values())
        return done

    async def _listen(self) -> None:
        """Take wake tokens while there is room; a failure only slows the worker to its
        full pass, so it is logged once and retried."""
        key = wake_list(self.queue_name)
        failing = False
        while True:
            await self._room.wait()
            if not self.allow_pick_jobs:  # shutting down: leave tokens to other workers
                return
            try:
                async with asyncio.timeout(WAKE_BLOCK + WAKE_GUARD):
                    token = await reply(self.pool.blpop([key], timeout=WAKE_BLOCK))
            except Exception as exc:
                if not failing:
                    log.warning(
                        "wake listener: %s; finding jobs every %.1fs", exc, FULL_PASS_INTERVAL
                    )
                failing = True
                await asyncio.sleep(LISTEN_RETRY)
                continue
            failing = False
            if token is not None:
                self._claim_wanted = True
                self._wake.set()

    async def _stop_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
