"""Waiting for a worker to go idle before a test stops it: arq's `close()` can be cut short
by a job still writing its outcome (the startup health check, say), which leaves the
worker's heartbeat and client session behind."""

from __future__ import annotations

from tests.support.waiting import eventually
from tests.web.ops.conftest import Ops


async def queue_drained(ops: Ops) -> None:
    """Wait until nothing is queued or running and the schedule's first run is recorded."""
    await eventually(
        lambda: ops.api("GET", "/api/ops/queue"),
        lambda queue: queue["depth"] == 0 and queue["in_progress"] == 0,
        what="the queue to drain",
    )
    await eventually(
        lambda: ops.api("GET", "/api/ops/schedules"),
        lambda body: all(item["last_run"] for item in body["items"]),
        what="the schedules' first runs",
    )
