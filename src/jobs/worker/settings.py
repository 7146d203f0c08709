"""The arq worker's settings class, as `arq src.jobs.WorkerSettings` and `wolfit worker` use it.

`worker_settings(settings)` builds the class from explicit settings (tests pass their own);
`settings_from_environment()` is what `src.jobs.WorkerSettings` resolves to: it installs the
uvloop event loop policy first, because the `arq` command line builds its loop with
`asyncio.get_event_loop()`, then reads the environment, stopping with one line and status 2
on a bad value. The web process imports `src.jobs` for the producer and never triggers this.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import uvloop
from arq.cron import cron
from arq.worker import func

from src.common.logging import configure_logging
from src.common.secrets import activity_token
from src.common.settings import (
    Settings,
    SettingsError,
    exit_with_setting_error,
    load_settings_or_exit,
)
from src.jobs.queue.activity_health import record_health
from src.jobs.queue.connections import JOB_EXPIRY_MS, redis_url, worker_redis_settings
from src.jobs.queue.cron_runs import publish_schedules, recorded
from src.jobs.queue.producer import DELIVERY_FUNCTION, HEALTH_CHECK_FUNCTION
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import job_deserializer, job_serializer
from src.jobs.worker import self_restart
from src.jobs.worker.context import (
    CLIENT_TIMEOUT,
    CONTEXT_KEY,
    WorkerContext,
    after_job_end,
    close_context,
    on_job_start,
    open_context,
)
from src.jobs.worker.delivery import ARQ_MAX_TRIES, JOB_TIMEOUT, post_activity
from src.jobs.worker.outage import note_health

__all__ = [
    "POLL_DELAY",
    "check_activity_health",
    "install_uvloop",
    "settings_from_environment",
    "worker_settings",
]

POLL_DELAY = 0.05  # seconds between queue reads when idle: start latency vs idle Redis load
RESULT_TTL = 3600  # delivered and failed jobs stay visible to the dashboard for an hour
HEALTH_CHECK_SECONDS = set(range(0, 60, 10))
JOB_COMPLETION_WAIT = 5  # on SIGTERM, in-flight deliveries get this long before cancelling


async def check_activity_health(ctx: dict[str, Any]) -> dict[str, Any]:
    """Cron job: look at the activity service's `/healthz`, record the answer, and re-drive
    the dead letters an outage parked once the service is back (`outage.py`)."""
    context: WorkerContext = ctx[CONTEXT_KEY]
    health = await context.client.health()
    check = await record_health(
        context.redis,
        ok=health.ok,
        latency=health.latency,
        error=health.error,
        detail=health.detail,
    )
    redriven = await note_health(context.dead_letters, ok=health.ok)
    return {**check.to_dict(), "redriven": redriven}


def worker_settings(settings: Settings, **overrides: Any) -> type:
    """arq's settings class for these settings (a new class each call; tests override fields).

    Raises `SettingsError` when `REDIS_URL` or the activity token is missing.
    """
    url = redis_url(settings)
    token = activity_token(settings)

    cron_jobs = overrides.get("cron_jobs") or [
        recorded(
            cron(
                check_activity_health,
                second=HEALTH_CHECK_SECONDS,
                run_at_startup=True,
                timeout=CLIENT_TIMEOUT + 2,
                keep_result=0,
                max_tries=1,
            )
        )
    ]

    async def on_startup(ctx: dict[str, Any]) -> None:
        await open_context(ctx, settings, token)
        try:
            await publish_schedules(ctx["redis"], cron_jobs)
        except Exception as exc:  # the dashboard's schedule page waits for the next start
            logging.getLogger(__name__).warning("could not publish the cron schedules: %s", exc)
        self_restart.worker_started()

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await close_context(ctx)

    fields: dict[str, Any] = {
        "__doc__": "arq worker settings of Wolfit's jobs service (docs/worker.md).",
        "functions": [
            func(
                post_activity,
                name=DELIVERY_FUNCTION,
                timeout=JOB_TIMEOUT,
                keep_result=RESULT_TTL,
                max_tries=ARQ_MAX_TRIES,
            ),
            # The health check on demand (the ops API's allow-list), with a result to show.
            func(
                check_activity_health,
                name=HEALTH_CHECK_FUNCTION,
                timeout=CLIENT_TIMEOUT + 2,
                keep_result=RESULT_TTL,
                max_tries=1,
            ),
        ],
        "cron_jobs": cron_jobs,
        "on_job_start": on_job_start,
        "after_job_end": after_job_end,
        "redis_settings": worker_redis_settings(url),
        "queue_name": QUEUE_NAME,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": JOB_TIMEOUT,
        "keep_result": RESULT_TTL,
        "poll_delay": POLL_DELAY,
        "max_tries": ARQ_MAX_TRIES,
        "allow_abort_jobs": True,
        "health_check_interval": 10,
        "job_completion_wait": JOB_COMPLETION_WAIT,
        "job_serializer": job_serializer,
        "job_deserializer": job_deserializer,
        "expires_extra_ms": JOB_EXPIRY_MS,
        **overrides,
    }
    return type("WorkerSettings", (), fields)


def install_uvloop() -> None:
    """Make every new event loop a uvloop, including the one the `arq` command builds."""
    if not isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy):
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


@functools.cache
def settings_from_environment() -> type:
    """`src.jobs.WorkerSettings`: uvloop installed, settings read and checked, or exit 2."""
    install_uvloop()
    settings = load_settings_or_exit()
    try:
        settings_class = worker_settings(settings)
    except SettingsError as exc:
        exit_with_setting_error(exc)
    self_restart.install(redis_url(settings))
    _log_until_startup()
    return settings_class


def _log_until_startup() -> None:
    """JSON lines from the start; the `arq` command then gives arq's logger a text handler
    of its own, which `on_startup` removes. `propagate` off so no line is written twice."""
    configure_logging("worker")
    arq_logger = logging.getLogger("arq")
    arq_logger.handlers = list(logging.getLogger().handlers)
    arq_logger.propagate = False
