"""The worker process of the throughput benchmark: one worker of the kind measured.

    python -m bench.throughput_worker FUNCTION KIND POLL_DELAY READ_LIMIT BURST REPORT

`FUNCTION` is `post_activity` (the real worker, `worker_settings` from the environment),
`noop` (a job that does nothing: the kind's ceiling) or `probe` (the real worker plus the
start-latency probe job). `KIND` is one of `WORKER_KINDS`; a `READ_LIMIT` of 0 keeps arq's
default; `BURST` 1 drains the queue and exits, 0 runs until SIGTERM. On exit the worker
writes its CPU seconds (imports excluded) and its Redis round trips to `REPORT` (JSON).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import uvloop
from arq.worker import Worker, func

from bench.enqueue_cost import CountingConnection
from src.common.settings import load_settings
from src.jobs.queue.connections import producer_pool
from src.jobs.worker.arq_logging import JOB_LINES
from src.jobs.worker.runner import run_worker
from src.jobs.worker.settings import install_uvloop, worker_settings
from src.jobs.worker.woken_worker import WolfitWorker

__all__ = ["WORKER_KINDS", "child_worker", "noop", "probe"]

# arq: stock arq as `arq src.jobs.WorkerSettings` runs it; arq-joblog: the same with arq's
# two INFO lines per job; wolfit: `WolfitWorker`, as `wolfit worker` runs it.
WORKER_KINDS = ("arq", "arq-joblog", "wolfit")


async def noop(ctx: dict[str, Any], event: Any, **options: Any) -> dict[str, Any]:
    """The ceiling's job: takes the same argument as `post_activity`, does nothing."""
    return {"delivered": False}


async def probe(ctx: dict[str, Any], sent_at: float) -> float:
    """The latency job: seconds since the producer was called (same machine, same clock)."""
    return time.time() - sent_at


def child_worker(argv: list[str]) -> int:
    """Run one worker with the settings of the environment and write its CPU and round
    trips to the report file; its exit status."""
    function, worker, poll_delay, read_limit, burst, report = argv
    install_uvloop()
    settings = load_settings()
    overrides: dict[str, Any] = {"poll_delay": float(poll_delay)}
    if int(read_limit):
        overrides["queue_read_limit"] = int(read_limit)
    if function == "noop":
        overrides.update(functions=[func(noop, name="noop", keep_result=3600)], cron_jobs=[])
    elif function == "probe":
        delivery = vars(worker_settings(settings))["functions"]
        overrides["functions"] = [*delivery, func(probe, name="probe", keep_result=3600)]
    settings_class = worker_settings(settings, **overrides)
    JOB_LINES.show = worker == "arq-joblog"
    worker_class = WolfitWorker if worker == "wolfit" else Worker
    # The worker's pool, as arq would make it (no command timeout), counting round trips.
    assert settings.redis_url is not None
    pool = producer_pool(
        settings.redis_url, socket_timeout=None, connection_class=CountingConnection
    )
    started = resource.getrusage(resource.RUSAGE_SELF)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        supervised = run_worker(
            settings_class, worker_class=worker_class, burst=burst == "1", redis_pool=pool
        )
        status = int(runner.run(supervised))
    ended = resource.getrusage(resource.RUSAGE_SELF)
    cpu = ended.ru_utime + ended.ru_stime - started.ru_utime - started.ru_stime
    Path(report).write_text(json.dumps({"cpu": cpu, "round_trips": CountingConnection.writes}))
    return status


if __name__ == "__main__":
    raise SystemExit(child_worker(sys.argv[1:]))
