"""The worker process of the throughput benchmark: one arq worker in burst mode.

    python -m src.bench.throughput_worker KIND POLL_DELAY QUEUE_READ_LIMIT

`KIND` is `post_activity` (the real worker, `worker_settings` from the environment) or
`noop` (stock arq running `noop`, the ceiling); a `QUEUE_READ_LIMIT` of 0 keeps arq's default.
The worker drains the queue the benchmark filled, then exits.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvloop
from arq.worker import func

from src.common.settings import load_settings
from src.jobs.supervised import run_supervised
from src.jobs.worker import install_uvloop, worker_settings

__all__ = ["noop", "run_worker"]


async def noop(ctx: dict[str, Any], event: Any, **options: Any) -> dict[str, Any]:
    """The ceiling's job: takes the same argument as `post_activity`, does nothing."""
    return {"delivered": False}


def run_worker(kind: str, poll_delay: float, queue_read_limit: int | None) -> int:
    """Run one worker in burst mode with the settings of the environment; its exit status."""
    install_uvloop()
    settings = load_settings()
    overrides: dict[str, Any] = {"poll_delay": poll_delay}
    if queue_read_limit:
        overrides["queue_read_limit"] = queue_read_limit
    if kind == "noop":
        overrides.update(functions=[func(noop, name="noop", keep_result=3600)], cron_jobs=[])
    settings_class = worker_settings(settings, **overrides)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return int(runner.run(run_supervised(settings_class, burst=True)))


if __name__ == "__main__":
    kind, poll_delay, read_limit = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    raise SystemExit(run_worker(kind, poll_delay, read_limit or None))
