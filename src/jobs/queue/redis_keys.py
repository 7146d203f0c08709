"""Names of the Redis keys the jobs service keeps beside arq's own (`arq:*`).

arq keeps the queue, the jobs, their results and in-progress markers; everything arq does not
keep (dead letters, heartbeats, delivery stories, health history, per-minute counters, the
woken workers' wake token) lives under `wolfit:` so an operator can tell the two apart with
`redis-cli --scan`.
"""

from __future__ import annotations

from arq.constants import default_queue_name

__all__ = [
    "ACTIVITY_HEALTH",
    "ACTIVITY_LAST_OK",
    "ACTIVITY_OUTAGE",
    "CRON_LAST_RUNS",
    "CRON_SCHEDULES",
    "DEAD_LETTER_ENTRIES",
    "DEAD_LETTER_INDEX",
    "QUEUE_NAME",
    "RECENT_DELIVERIES",
    "RECENT_FAILURES",
    "RECENT_JOBS",
    "WORKERS_INDEX",
    "WORKERS_LAST_SEEN",
    "cron_history",
    "delivery_story",
    "job_log",
    "minute_counters",
    "wake_list",
    "worker_alive",
]

QUEUE_NAME = default_queue_name  # "arq:queue": stock arq tools see our jobs

DEAD_LETTER_INDEX = "wolfit:dead-letters"  # sorted set: event id -> dead-lettered at (ms)
DEAD_LETTER_ENTRIES = "wolfit:dead-letters:entries"  # hash: event id -> entry as JSON

WORKERS_INDEX = "wolfit:workers"  # sorted set: worker id -> last beat (s); pruned after 1 h
WORKERS_LAST_SEEN = "wolfit:workers:last"  # hash: worker id -> last heartbeat as JSON

ACTIVITY_HEALTH = "wolfit:activity-health"  # list, newest first, capped
ACTIVITY_OUTAGE = "wolfit:activity-outage"  # when the current outage began (ms), if any
ACTIVITY_LAST_OK = "wolfit:activity-last-ok"  # the last good health check (ms)

RECENT_JOBS = "wolfit:jobs:recent"  # list of finished job ids, newest first, capped
RECENT_FAILURES = "wolfit:jobs:recent-failures"  # the same, dead-lettered jobs only
RECENT_DELIVERIES = "wolfit:jobs:recent-done"  # the same, delivered jobs only

CRON_SCHEDULES = "wolfit:cron:schedules"  # hash: cron job name -> its spec as JSON
CRON_LAST_RUNS = "wolfit:cron:last-run"  # hash: cron job name -> its last run as JSON


def worker_alive(worker_id: str) -> str:
    """The heartbeat key of one worker: present (with a short TTL) while it beats."""
    return f"wolfit:worker:{worker_id}"


def delivery_story(job_id: str) -> str:
    """The list of one job's delivery tries (number, delay chosen, error), with a TTL."""
    return f"wolfit:delivery:{job_id}"


def minute_counters(epoch_minute: int) -> str:
    """The hash of delivery counters (done, retried, failed, latency) for one minute."""
    return f"wolfit:stats:{epoch_minute}"


def job_log(job_id: str) -> str:
    """The capped list of log lines one job wrote (JSON each), with the story's TTL."""
    return f"wolfit:job-log:{job_id}"


def cron_history(name: str) -> str:
    """The capped list of one cron job's recent runs, newest first."""
    return f"wolfit:cron:runs:{name}"


def wake_list(queue_name: str) -> str:
    """The list where producers leave one wake token for the woken workers of a queue."""
    return f"wolfit:wake:{queue_name}"
