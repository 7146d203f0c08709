"""The jobs service: the arq worker that delivers activity events, the queue it shares with
the web app, and what operators read of it. Three sub-packages, imports going one way:

- `src.jobs.queue`: the queue's contract, what lives in Redis and how (key names, the job
  serializer, the Lua scripts, the producer, dead letters, delivery stories, heartbeats,
  counters, job logs, health and cron records). It imports neither of the others.
- `src.jobs.worker`: the worker runtime (`WorkerSettings`, `WolfitWorker`, delivery,
  retries, restarts). It imports `queue` only.
- `src.jobs.operations`: the operators' read model and actions (queue inspection, one job's
  story, stopping or enqueueing a job). It imports `queue` only.

Public names (import only these from another package):

- `WorkerSettings`: what `arq src.jobs.WorkerSettings` and `wolfit worker` run, and
  `WolfitWorker`, the arq `Worker` that `wolfit worker` runs, woken by Redis. Both are
  resolved on first access only (the settings install the uvloop policy and read the
  environment), so the web process, which imports this package for the producer and the
  read model, loads no part of the worker runtime.
- Producer: `create_pool`, `enqueue_event`, `enqueue_events`, `enqueue_once`, `event_body`,
  `QueueUnavailable`.
- Operators: `DeadLetterStore` (`DeadLetter`, `DeadLetterPage`, `DeadLetterNotFound`);
  `live_workers`, `recent_workers` (`WorkerInfo`); queue inspection (`queue_stats`,
  `list_jobs`, `jobs_in_progress`, `recent_results`, `job_story`, `abort_job`);
  `activity_health` and `minute_series` for the dashboard's health panel and charts;
  `stop_job` (an operator's abort that parks the event), `enqueue_job` (an operator's
  enqueue), `read_job_log` (the lines a job
  logged), `cron_schedules` / `cron_runs` (the worker's cron jobs and their runs).
"""

from __future__ import annotations

from typing import Any

from arq.jobs import DeserializationError

from src.jobs.operations.inspection import (
    JobPage,
    JobSummary,
    QueueStats,
    jobs_in_progress,
    list_jobs,
    queue_stats,
    recent_results,
)
from src.jobs.operations.job_control import (
    EnqueueOutcome,
    StopOutcome,
    StopReport,
    enqueue_job,
    stop_job,
)
from src.jobs.operations.job_detail import AbortOutcome, JobStory, abort_job, job_story
from src.jobs.queue.activity_health import HealthCheck, activity_health
from src.jobs.queue.cron_runs import CronSchedule, cron_runs, cron_schedules
from src.jobs.queue.dead_letters import DeadLetter, DeadLetterPage, DeadLetterStore
from src.jobs.queue.delivery_counts import MinuteCounts, minute_series
from src.jobs.queue.errors import DeadLetterNotFound, EventDeadLettered, JobsError, QueueUnavailable
from src.jobs.queue.heartbeats import WorkerInfo, live_workers, recent_workers
from src.jobs.queue.job_logs import read_job_log
from src.jobs.queue.producer import (
    DELIVERY_FUNCTION,
    HEALTH_CHECK_FUNCTION,
    create_pool,
    enqueue_event,
    enqueue_events,
    enqueue_once,
    event_body,
)
from src.jobs.queue.serializer import JobFailed, job_deserializer, job_serializer

# arq's error for a job payload it cannot decode (pickled by another arq version, say).
JobPayloadUnreadable = DeserializationError

__all__ = [
    "DELIVERY_FUNCTION",
    "HEALTH_CHECK_FUNCTION",
    "AbortOutcome",
    "CronSchedule",
    "DeadLetter",
    "DeadLetterNotFound",
    "DeadLetterPage",
    "DeadLetterStore",
    "EnqueueOutcome",
    "EventDeadLettered",
    "HealthCheck",
    "JobFailed",
    "JobPage",
    "JobPayloadUnreadable",
    "JobStory",
    "JobSummary",
    "JobsError",
    "MinuteCounts",
    "QueueStats",
    "QueueUnavailable",
    "StopOutcome",
    "StopReport",
    "WolfitWorker",
    "WorkerInfo",
    "WorkerSettings",
    "abort_job",
    "activity_health",
    "create_pool",
    "cron_runs",
    "cron_schedules",
    "enqueue_event",
    "enqueue_events",
    "enqueue_job",
    "enqueue_once",
    "event_body",
    "job_deserializer",
    "job_serializer",
    "job_story",
    "jobs_in_progress",
    "list_jobs",
    "live_workers",
    "minute_series",
    "queue_stats",
    "read_job_log",
    "recent_results",
    "recent_workers",
    "stop_job",
]


def __getattr__(name: str) -> Any:
    """The worker runtime's names, loaded on first access (PEP 562): `WorkerSettings` is built
    then (uvloop policy, environment, or exit 2)."""
    if name == "WorkerSettings":
        from src.jobs.worker.settings import settings_from_environment

        return settings_from_environment()
    if name == "WolfitWorker":
        from src.jobs.worker.woken_worker import WolfitWorker

        return WolfitWorker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
