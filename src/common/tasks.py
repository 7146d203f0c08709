"""Stopping a background task so that it really stops.

`task.cancel(); await task` hangs for good if the task absorbs its one cancellation and goes
on looping. That happens here: on Python 3.11, a cancel that lands while redis-py checks a
pooled connection (a read under a zero-second `asyncio.timeout`) can be lost, the command
returns normally, and the alert evaluator went on evaluating while `stop()` waited on it
forever (seen about once in 15 loaded runs of its takeover test). `stop_task` re-sends the
cancel until the task ends, and gives up (logged) after a grace period rather than hang a
shutdown.

It re-sends at once only when the cancel was absorbed (`asyncio.timeout` calls `uncancel()`,
so `task.cancelling()` falls back to 0). While the cancel is still on its way out, cleanup
such as a redis-py pipeline handing its connection back to the pool runs undisturbed; a second
cancel there leaks the connection. A task deaf to cancels without `uncancel()` gets one again
every RESEND_AFTER seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

__all__ = ["stop_task"]

log = logging.getLogger(__name__)

CHECK_EVERY = 0.05
RESEND_AFTER = 2.0


async def stop_task(task: asyncio.Task[Any] | None, *, grace: float = 10.0) -> bool:
    """Cancel `task` and wait until it ends; True if it did within `grace` seconds.

    Its result or exception is consumed (a background task's failure was logged by itself).
    If the caller is cancelled meanwhile, the caller's cancellation goes on as usual.
    """
    if task is None:
        return True
    deadline = time.monotonic() + grace
    sent = -float("inf")
    while not task.done():
        now = time.monotonic()
        if now >= deadline:
            log.warning("task %r did not stop within %.0f s; left running", task.get_name(), grace)
            return False
        if task.cancelling() == 0 or now - sent >= RESEND_AFTER:
            task.cancel()
            sent = now
        await asyncio.wait([task], timeout=CHECK_EVERY)
    if not task.cancelled() and task.exception() is not None:
        log.debug("task %r ended with %r", task.get_name(), task.exception())
    return True
