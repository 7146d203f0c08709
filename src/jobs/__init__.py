"""The jobs service: the arq worker that delivers activity events, and the queue's producer side.

Public names (import only these from another package):

- `WorkerSettings`: what `arq src.jobs.WorkerSettings` and `wolfit worker` run. Resolved on
  first access only (it installs the uvloop policy and reads the environment), so the web
  process, which imports this package for the producer, never does either.
- `WolfitWorker`: the arq `Worker` that `wolfit worker` runs, woken by Redis.
- Producer: `create_pool`, `enqueue_event`, `enqueue_events`, `enqueue_once`, `event_body`,
  `QueueUnavailable`.
- Operators: `DeadLetterStore` (`DeadLetter`, `DeadLetterPage`, `DeadLetterNotFound`);
  `live_workers`, `recent_workers` (`WorkerInfo`); queue inspection (`queue_stats`,
  `list_jobs`, `jobs_in_progress`, `recent_results`, `job_story`, `abort_job`);
  `activity_health` and `minute_series` for the dashboard's health panel and charts;
  `stop_job` (an operator's abort that parks the event), `read_job_log` (the lines a job
  logged), `cron_schedules` / `cron_runs` (the worker's cron jobs and their runs).
"""

from __future__ import annotations

from typing import Any

from .dead_letters import DeadLetter, DeadLetterPage, DeadLetterStore
from .errors import DeadLetterNotFound, EventDeadLettered, JobsError, QueueUnavailable
from .health import HealthCheck, activity_health
from .heartbeat import WorkerInfo, live_workers, recent_workers
from .inspection import (
    JobPage,
    JobSummary,
    QueueStats,
    jobs_in_progress,
    list_jobs,
    queue_stats,
    recent_results,
)
from .job_detail import AbortOutcome, JobStory, abort_job, job_story
from .job_logs import read_job_log
from .operator_abort import StopOutcome, StopReport, stop_job
from .producer import (
    DELIVERY_FUNCTION,
    HEALTH_CHECK_FUNCTION,
    create_pool,
    enqueue_event,
    enqueue_events,
    enqueue_once,
    event_body,
)
from .schedules import CronSchedule, cron_runs, cron_schedules
from .serializer import JobFailed, job_deserializer, job_serializer
from .stats import MinuteCounts, minute_series
from .woken_worker import WolfitWorker

__all__ = [
    "DELIVERY_FUNCTION",
    "HEALTH_CHECK_FUNCTION",
    "AbortOutcome",
    "CronSchedule",
    "DeadLetter",
    "DeadLetterNotFound",
    "DeadLetterPage",
    "DeadLetterStore",
    "EventDeadLettered",
    "HealthCheck",
    "JobFailed",
    "JobPage",
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
    """`WorkerSettings`, built on first access: uvloop policy, environment, or exit 2."""
    if name == "WorkerSettings":
        from .worker import settings_from_environment

        return settings_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
