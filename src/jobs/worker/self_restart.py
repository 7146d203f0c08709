"""Under the plain `arq` command, a worker that ends on a Redis failure starts itself again.

`arq src.jobs.WorkerSettings` builds and runs one stock `Worker`; when a Redis failure ends
its `main()` (a restart while a job is being claimed raises `WatchError`, whatever the
connection's retry policy), arq closes the worker and the exception leaves the command.
`wolfit worker` rides such failures out in its own loop (`WolfitWorker`); the `arq` command
builds arq's stock `Worker`, which a settings module cannot replace, so this module's
`sys.excepthook` is the one hook left: it logs the failure, waits until Redis answers again
(with the suite's capped backoff), and re-executes the same command in the same process
(same pid, fresh state). Nothing of arq is patched.

Only failures after the worker started count (a worker that cannot reach Redis at start,
or `arq --check`, exits with one line instead); SIGINT or SIGTERM while waiting end it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from types import TracebackType

import redis
from redis.exceptions import RedisError

from src.common.backoff import Backoff

__all__ = ["RESTARTS_ENV", "install", "worker_started"]

log = logging.getLogger(__name__)

RESTARTS_ENV = "WOLFIT_WORKER_RESTARTS"  # quick restarts in a row, for the backoff
RESTART_BACKOFF = Backoff(1.0, 30.0)
HEALTHY_RUN = 60.0  # a worker that ran this long before failing restarts at the first delay
_state: dict[str, object] = {"redis_url": None, "started_at": None}


def install(redis_url: str) -> None:
    """Handle uncaught exceptions of this worker process as described above."""
    _state["redis_url"] = redis_url
    sys.excepthook = _excepthook


def worker_started() -> None:
    """Note that a worker is running: from now on a Redis failure means restart."""
    _state["started_at"] = time.monotonic()


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    redis_trouble = issubclass(exc_type, RedisError | OSError)
    started_at = _state["started_at"]
    if redis_trouble and isinstance(started_at, float):
        _restart(exc_type, exc, tb, ran=time.monotonic() - started_at)
    if redis_trouble:
        print(f"wolfit worker: Redis is unreachable: {exc}", file=sys.stderr)
        return
    sys.__excepthook__(exc_type, exc, tb)


def _wait_for_redis(url: str, restarts: int) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        while True:
            restarts += 1
            time.sleep(RESTART_BACKOFF.ceiling(restarts))
            try:
                client.ping()
                return
            except RedisError:
                continue
    finally:
        client.close()


def _restart(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None, *, ran: float
) -> None:
    restarts = 0 if ran >= HEALTHY_RUN else int(os.environ.get(RESTARTS_ENV) or 0)
    delay = RESTART_BACKOFF.ceiling(restarts + 1)
    log.error(
        "worker stopped on %s: %s; restarting when Redis answers (in %.0fs or later)",
        exc_type.__name__,
        exc,
        delay,
        exc_info=(exc_type, exc, tb),
    )
    # arq's loop no longer runs, so its signal handlers would swallow a stop request.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _wait_for_redis(str(_state["redis_url"]), restarts)
    except KeyboardInterrupt:
        os._exit(128 + signal.SIGINT)
    os.environ[RESTARTS_ENV] = str(restarts + 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606
