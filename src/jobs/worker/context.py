"""What the worker's jobs share, opened in arq's `on_startup` and closed in `on_shutdown`."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from arq.connections import ArqRedis

from src.common.activity_client import ActivityClient
from src.common.logging import configure_logging
from src.common.settings import Settings
from src.jobs.queue.connections import make_patient
from src.jobs.queue.dead_letters import DeadLetterStore
from src.jobs.queue.delivery_counts import WorkerStats
from src.jobs.queue.heartbeats import Heartbeat, worker_identity
from src.jobs.worker.arq_logging import quiet_job_lines
from src.jobs.worker.job_log_capture import JobLogCapture

__all__ = [
    "CLIENT_TIMEOUT",
    "CONTEXT_KEY",
    "WorkerContext",
    "after_job_end",
    "close_context",
    "on_job_start",
    "open_context",
]

CONTEXT_KEY = "wolfit"
_JOB_LOG_CONTEXT = "_wolfit_job_log_context"
CLIENT_TIMEOUT = 8.0  # one POST; the job's own timeout (arq) is set above the whole delivery


@dataclass
class WorkerContext:
    """The shared HTTP client, Redis, dead-letter store, counters and heartbeat of a worker."""

    settings: Settings
    redis: ArqRedis
    session: aiohttp.ClientSession
    client: ActivityClient
    dead_letters: DeadLetterStore
    stats: WorkerStats
    heartbeat: Heartbeat
    rng: random.Random = field(default_factory=random.Random)
    job_logs: JobLogCapture | None = None  # each job's log lines, for the dashboard


def _log_as_json() -> None:
    """JSON lines for our loggers and arq's: `arq` installs a text handler of its own.
    arq's two lines per job are left out unless asked for (`job_lines.py`)."""
    configure_logging("worker")
    arq_logger = logging.getLogger("arq")
    arq_logger.handlers.clear()
    arq_logger.propagate = True
    quiet_job_lines()


async def open_context(ctx: dict[str, Any], settings: Settings, token: str) -> WorkerContext:
    """Open the worker's resources into `ctx` (arq's `on_startup`)."""
    _log_as_json()
    redis: ArqRedis = ctx["redis"]
    make_patient(redis)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(100, settings.worker_max_jobs + 10))
    )
    client = ActivityClient(session, settings.activity_url, token, timeout=CLIENT_TIMEOUT)
    stats = WorkerStats()
    heartbeat = Heartbeat(redis, stats, worker_identity(max_jobs=settings.worker_max_jobs))
    context = WorkerContext(
        settings=settings,
        redis=redis,
        session=session,
        client=client,
        dead_letters=DeadLetterStore(redis),
        stats=stats,
        heartbeat=heartbeat,
    )
    ctx[CONTEXT_KEY] = context
    context.job_logs = JobLogCapture(redis)
    context.job_logs.start()  # after _log_as_json, which replaces the root's handlers
    await heartbeat.start()
    logging.getLogger(__name__).info(
        "worker %s delivering to %s", heartbeat.worker_id, settings.activity_url
    )
    return context


async def close_context(ctx: dict[str, Any]) -> None:
    """Close what `open_context` opened (arq's `on_shutdown`)."""
    context: WorkerContext | None = ctx.pop(CONTEXT_KEY, None)
    if context is None:
        return
    await context.heartbeat.stop()
    if context.job_logs is not None:
        await context.job_logs.stop()
    await context.session.close()


def _capture(ctx: dict[str, Any]) -> JobLogCapture | None:
    context = ctx.get(CONTEXT_KEY)
    return getattr(context, "job_logs", None)


async def on_job_start(ctx: dict[str, Any]) -> None:
    """arq hook: from here on, what this job's task logs is captured under its id."""
    capture = _capture(ctx)
    if capture is not None:
        ctx[_JOB_LOG_CONTEXT] = capture.begin(ctx["job_id"])


async def after_job_end(ctx: dict[str, Any]) -> None:
    """arq hook: the job is over; its lines go out with the next batch."""
    capture, token = _capture(ctx), ctx.pop(_JOB_LOG_CONTEXT, None)
    if capture is not None and token is not None:
        capture.end(token)
