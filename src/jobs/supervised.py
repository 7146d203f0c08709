"""A worker that comes back by itself: `wolfit worker` runs its worker in a restart loop.

Redis restarts are absorbed by the patient connection (`connection.make_patient`); this loop
is the second line, for whatever still ends `Worker.main()` (a `WatchError` when a connection
dies between WATCH and EXEC, an out-of-memory answer from Redis, a Redis that stays away
past start-up): the worker is closed, then started again after a capped backoff. SIGINT and
SIGTERM stop it for good, letting in-flight deliveries finish first (`job_completion_wait`).

The plain `arq` command cannot run this loop (it builds and runs one stock `Worker`); there,
the patient connection is what keeps the worker alive, and a process manager restarts it if
it ever exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import Any

from arq.worker import Worker, get_kwargs

from .context import close_context

__all__ = ["RESTART_MAX_DELAY", "RESTART_MIN_DELAY", "close_worker", "run_supervised"]

log = logging.getLogger(__name__)

RESTART_MIN_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
HEALTHY_RUN = 60.0  # a worker that ran this long before failing restarts at the minimum delay
CLOSE_TIMEOUT = 15.0  # closing waits for cancelled jobs to write back; Redis may be away


class _Stop:
    """The signal that stops the loop, and the worker it has to stop."""

    def __init__(self, *, graceful: bool) -> None:
        self.event = asyncio.Event()
        self.worker: Worker | None = None
        self.graceful = graceful

    def __call__(self, signum: signal.Signals) -> None:
        first = not self.event.is_set()
        self.event.set()
        if self.worker is None:
            return
        if first and self.graceful:
            self.worker.handle_sig_wait_for_completion(signum)
        else:  # a second signal: stop now
            self.worker.handle_sig(signum)


async def close_worker(worker: Worker) -> None:
    """Close a worker (stopping it first); if arq's `close()` gives up half-way, finish its
    work: `on_shutdown` (the HTTP session, heartbeat, job logs) and the Redis pool."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await worker.close()
        return
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # arq's close() re-raises the cancellation of a job it cancelled while that job
        # was writing its outcome; the job itself runs again later.
    except Exception:
        log.warning("the stopped worker did not close cleanly", exc_info=True)
    with contextlib.suppress(Exception):
        await close_context(worker.ctx)
    pool = worker.pool
    if pool is not None:
        with contextlib.suppress(Exception):
            await pool.aclose()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def run_supervised(
    settings_class: type, *, worker_class: type[Worker] = Worker, **worker_kwargs: Any
) -> int:
    """Run workers of `worker_class` (arq's `Worker` or a subclass such as `WolfitWorker`)
    from `settings_class` until a signal (or, in burst mode, an empty queue); restart after
    a crash. Answers the exit status."""
    stop = _Stop(graceful=bool(getattr(settings_class, "job_completion_wait", 0)))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    delay = RESTART_MIN_DELAY
    try:
        while not stop.event.is_set():
            options = {**get_kwargs(settings_class), "handle_signals": False, **worker_kwargs}
            worker = worker_class(**options)
            stop.worker = worker
            started = time.monotonic()
            try:
                await worker.async_run()
            except asyncio.CancelledError:
                if not stop.event.is_set():
                    raise
            except Exception as exc:
                ran = time.monotonic() - started
                delay = RESTART_MIN_DELAY if ran >= HEALTHY_RUN else delay
                log.error(
                    "worker stopped on %s: %s; restarting in %.0fs",
                    type(exc).__name__,
                    exc,
                    delay,
                    exc_info=True,
                )
            else:
                await close_worker(worker)
                return 0  # burst mode: the queue is empty
            finally:
                stop.worker = None
            await close_worker(worker)
            await _sleep_unless(stop.event, delay)
            delay = min(delay * 2, RESTART_MAX_DELAY)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
