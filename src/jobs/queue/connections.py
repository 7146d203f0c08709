"""Redis connections for the two sides of the queue, each with the failure policy it needs.

- The **producer** (web process) must fail fast: a dead Redis has to raise within about two
  seconds so the web request answers and the event waits in the outbox. One quick retry
  absorbs a pooled connection that a Redis restart has closed.
- The **worker** must outlast Redis: once it runs, every command retries with capped
  exponential backoff, without limit, so a Redis restart pauses the worker instead of killing
  it (stock arq lets a `ConnectionError` end `Worker.main()`: python-arq/arq issues 435, 498).
  Before that (arq's start-up ping, `arq --check`) it gives up after a few seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError, TimeoutError

from src.common.settings import Settings, SettingsError
from src.jobs.queue.redis_keys import QUEUE_NAME
from src.jobs.queue.serializer import job_deserializer, job_serializer

__all__ = [
    "JOB_EXPIRY_MS",
    "make_patient",
    "producer_pool",
    "redis_url",
    "reply",
    "worker_redis_settings",
]

T = TypeVar("T")

# arq drops a job whose key expired before it ran ("job expired"), without a dead letter.
# A day (arq's default) is shorter than a long outage plus a full backoff schedule: a week.
JOB_EXPIRY_MS = 7 * 24 * 3600 * 1000

PRODUCER_CONNECT_TIMEOUT = 2.0
PRODUCER_COMMAND_TIMEOUT = 2.0
WORKER_CONNECT_TIMEOUT = 2.0
STARTUP_RETRIES = 2  # arq's connection attempts at start (1 s apart), also for `arq --check`
_RETRYABLE = [ConnectionError, TimeoutError]  # BusyLoadingError (AOF loading) is a ConnectionError


def redis_url(settings: Settings) -> str:
    """`REDIS_URL`; outside `wolfit up` (which starts Redis and sets it) it is required."""
    if settings.redis_url:
        return settings.redis_url
    raise SettingsError(
        "REDIS_URL is not set: set it to your Redis (redis://host:6379/0), "
        "or run the whole suite with `wolfit up`, which starts one"
    )


def _arq_redis(pool: ConnectionPool) -> ArqRedis:
    redis = cast(ArqRedis, ArqRedis.from_pool(pool))
    redis.job_serializer = job_serializer
    redis.job_deserializer = job_deserializer
    redis.default_queue_name = QUEUE_NAME
    redis.expires_extra_ms = JOB_EXPIRY_MS
    return redis


def producer_pool(url: str, **overrides: Any) -> ArqRedis:
    """An arq pool that fails fast: short timeouts, one immediate retry on a dead connection."""
    options: dict[str, Any] = {
        "socket_connect_timeout": PRODUCER_CONNECT_TIMEOUT,
        "socket_timeout": PRODUCER_COMMAND_TIMEOUT,
        "retry": Retry(NoBackoff(), 1),
        "retry_on_error": [ConnectionError],
        **overrides,
    }
    return _arq_redis(ConnectionPool.from_url(url, **options))


def worker_redis_settings(url: str) -> RedisSettings:
    """arq's connection settings for the worker and `arq --check`: a short start-up patience.

    arq builds the worker's pool from these, and `--check` uses them too, so they must not
    wait forever for a dead Redis; `make_patient` lifts the limit once the worker runs.
    """
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = int(WORKER_CONNECT_TIMEOUT)
    settings.conn_retries = STARTUP_RETRIES
    settings.conn_retry_delay = 1
    settings.retry = Retry(NoBackoff(), 1)
    settings.retry_on_error = list(_RETRYABLE)
    return settings


def make_patient(redis: Redis) -> None:
    """From now on, every command of `redis` retries until Redis answers again.

    Capped exponential backoff (50 ms doubling to 1 s), no limit: through a Redis restart the
    worker pauses instead of ending `Worker.main()` with a `ConnectionError`.
    """
    retry = Retry(ExponentialBackoff(cap=1.0, base=0.05), -1, tuple(_RETRYABLE))
    # Opening a connection fails with the socket's own OSError (connection refused while
    # Redis restarts), which redis-py retries only if told to.
    retry.update_supported_errors([OSError])
    redis.set_retry(retry)


async def reply(command: Awaitable[T] | T) -> T:
    """Await an asyncio redis-py command with the type its signature promises: redis-py types
    its commands as "awaitable or not" (one signature for its sync and asyncio clients)."""
    return await cast(Awaitable[T], command)
