"""Serve an aiohttp app from several processes on one port, with gunicorn as the pre-fork master.

`wolfit web` runs `WEB_PROCESSES` workers, each an aiohttp server on its own uvloop
(`aiohttp.GunicornUVLoopWebWorker`), all accepting on one listening socket that the master
holds: the kernel hands each new connection to whichever worker accepts it first, so busy
workers take fewer and no process balances by hand. The master is gunicorn's arbiter, run in
this process through `gunicorn.app.base.BaseApplication`, so `wolfit web` stays one command:

- a worker that dies (even by SIGKILL) is replaced at once, and the port keeps answering,
  since the master, not the worker, holds the socket;
- SIGTERM stops gracefully (workers finish their requests, up to `GRACEFUL_TIMEOUT`),
  SIGINT and SIGQUIT quickly; a worker whose master died stops within a second;
- the caller binds the sockets itself (`listen`) and hands them over as `fd://N`, so a port
  in use is one line from the caller before anything forks, never gunicorn's retries;
- gunicorn's own lines (worker booted, worker died) go through the process's logging (the
  JSON lines of `src.common.logging`), and its access log stays off, as with `run_app`;
- each worker builds its app after the fork (`app_factory`), so no connection, pool or
  task is shared between processes; Prometheus values go to files in a directory of the
  run's own (`src.common.metrics.use_multiprocess_dir`), so `/metrics` of any worker shows
  the sum over all of them.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from src.common.metrics import forget_process, use_multiprocess_dir

__all__ = ["BOOT_FAILED", "GRACEFUL_TIMEOUT", "listen", "serve"]

log = logging.getLogger(__name__)

WORKER_CLASS = "aiohttp.GunicornUVLoopWebWorker"
GRACEFUL_TIMEOUT = 10  # seconds a worker has to finish its requests on SIGTERM
KEEPALIVE = 75  # aiohttp's own default, which `wolfit web` had before it forked
BACKLOG = 2048  # gunicorn's default: connections the kernel queues while workers are busy
BOOT_FAILED = 3  # gunicorn's exit status when a worker could not start its app

AppFactory = Callable[[], Awaitable[web.Application]]


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for `host:port`, bound as asyncio would bind them (every address the
    name resolves to, SO_REUSEADDR, IPv6 sockets IPv6 only); `OSError` if one cannot be."""
    infos = socket.getaddrinfo(
        host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _not_a_double_close(record: logging.LogRecord) -> bool:
    """aiohttp closes a worker's listening socket at shutdown, then gunicorn tries again and
    says so at INFO on every stop: noise, not news."""
    return not record.getMessage().startswith("Error while closing socket")


class _LoggingThroughRoot(Logger):
    """gunicorn's logger, its lines handed to the root logger (our JSON lines) instead of
    gunicorn's own text handler on stderr."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True
        if _not_a_double_close not in self.error_log.filters:
            self.error_log.addFilter(_not_a_double_close)


class _Master(BaseApplication):
    """gunicorn configured in code, not from its command line or a config file."""

    def __init__(self, name: str, app_factory: AppFactory, options: dict[str, Any]) -> None:
        self._app_factory = app_factory
        self._options = options
        super().__init__(prog=f"wolfit {name}")

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # a setting an older gunicorn lacks is not needed there
                self.cfg.set(key, value)

    def load(self) -> AppFactory:
        return self._app_factory


def serve(
    app_factory: AppFactory,
    *,
    sockets: Sequence[socket.socket],
    processes: int,
    name: str,
) -> int:
    """Run the master until SIGTERM or SIGINT; the exit status (`BOOT_FAILED` when a worker
    could not start its app). The sockets are handed over to gunicorn and closed by it.

    The workers' Prometheus values live in a directory of this run's own (made empty now,
    removed at the end), so `/metrics` of any worker shows the sum over all of them.
    """
    master_pid = os.getpid()
    metrics_dir = Path(tempfile.mkdtemp(prefix=f"wolfit-{name}-metrics-"))
    use_multiprocess_dir(metrics_dir)

    def worker_exited(arbiter: Any, worker: Any) -> None:
        forget_process(worker.pid, metrics_dir)

    def ready(arbiter: Any) -> None:
        where = ", ".join(str(listener) for listener in arbiter.LISTENERS)
        count = f"{processes} process{'' if processes == 1 else 'es'}"
        log.info("%s listening on %s with %s", name, where, count)

    options: dict[str, Any] = {
        "bind": [f"fd://{sock.detach()}" for sock in sockets],
        "workers": processes,
        "worker_class": WORKER_CLASS,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": KEEPALIVE,
        "backlog": BACKLOG,
        "logger_class": _LoggingThroughRoot,
        "accesslog": None,
        "proc_name": f"wolfit-{name}",
        "child_exit": worker_exited,
        "when_ready": ready,
        # gunicorn 24+ opens a control socket at one path per user by default: two masters
        # (two `wolfit web`, or tests) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }
    try:
        _Master(name, app_factory, options).run()
    except SystemExit as exc:  # the arbiter, and each worker it forked, end with sys.exit
        if os.getpid() != master_pid:
            raise  # a worker leaving: its exit status is its own, its files are the master's
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        if os.getpid() == master_pid:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0
