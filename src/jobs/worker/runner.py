"""`wolfit worker`'s run: one worker, stopped by SIGINT or SIGTERM, closed cleanly.

Nothing here restarts anything. A Redis restart or outage is ridden out below (the patient
connection, `queue.connections.make_patient`, and `WolfitWorker`'s loop, which waits and
tries again); what else ends the worker ends the process, and the process manager (`wolfit
up`, compose, systemd) starts it again. See "Failures and who handles them" in the docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from arq.worker import Worker, get_kwargs

from src.jobs.worker.context import close_context

__all__ = ["close_worker", "run_worker"]

log = logging.getLogger(__name__)

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


async def run_worker(
    settings_class: type, *, worker_class: type[Worker] = Worker, **worker_kwargs: Any
) -> int:
    """Run one worker of `worker_class` (`WolfitWorker` for `wolfit worker`) from
    `settings_class` until SIGINT or SIGTERM (or, in burst mode, an empty queue); answers the
    exit status. A first signal lets running deliveries finish (`job_completion_wait`), a
    second stops at once."""
    stop = _Stop(graceful=bool(getattr(settings_class, "job_completion_wait", 0)))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    options = {**get_kwargs(settings_class), "handle_signals": False, **worker_kwargs}
    worker = worker_class(**options)
    stop.worker = worker
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        if not stop.event.is_set():
            raise
    finally:
        stop.worker = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await close_worker(worker)
    return 0
