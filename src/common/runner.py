"""Run a service on uvloop, stopping cleanly on SIGINT and SIGTERM.

Processes started in the background of a non-interactive shell ignore SIGINT, so both
signals get explicit handlers (`web.run_app` installs them; `run` does the same). An
address that cannot be listened on (a port in use, a host that is not this machine's) ends
the process with one line naming the setting to change, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Coroutine
from typing import Any

import uvloop
from aiohttp import web

__all__ = ["cannot_listen", "loop_name", "run", "run_app"]

log = logging.getLogger(__name__)

# What a failed bind says: the port is taken or privileged, or the address is not ours.
_PORT_ERRORS = frozenset({errno.EADDRINUSE, errno.EACCES})
_HOST_ERRORS = frozenset({errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT})


def run_app(
    app: web.Application,
    *,
    host: str,
    port: int,
    name: str,
    program: str | None = None,
    port_variable: str | None = None,
) -> None:
    """Serve an aiohttp app on uvloop until SIGINT or SIGTERM, then run its cleanups.

    When the address cannot be listened on, print one line (`program`: cannot listen on
    host:port (`port_variable` or HOST): why) and exit with status 1.
    """
    try:
        web.run_app(
            app,
            host=host,
            port=port,
            loop=uvloop.new_event_loop(),
            access_log=None,
            shutdown_timeout=10,
            print=lambda _: log.info(
                "%s listening on http://%s:%d on %s", name, host, port, loop_name()
            ),
        )
    except OSError as exc:
        line = cannot_listen(exc, host=host, port=port, port_variable=port_variable)
        if line is None:
            raise
        print(f"{program or 'wolfit ' + name}: {line}", file=sys.stderr)
        raise SystemExit(1) from None


def cannot_listen(
    exc: OSError, *, host: str, port: int, port_variable: str | None = None
) -> str | None:
    """Why `host:port` cannot be listened on, naming the setting to change; None when
    `exc` is not a failure to listen."""
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        reason, variable = (exc.strerror or str(exc)).lower(), "HOST"
    elif exc.errno in _PORT_ERRORS | _HOST_ERRORS:
        reason = os.strerror(exc.errno).lower()
        variable = "HOST" if exc.errno in _HOST_ERRORS else port_variable or "the port"
    else:
        return None
    return f"cannot listen on {address} ({variable}): {reason}"


def loop_name() -> str:
    """The running event loop's kind, "uvloop" or "asyncio", so that a service can show
    (in its log and /healthz) that it really runs on uvloop."""
    loop = asyncio.get_running_loop()
    return "uvloop" if isinstance(loop, uvloop.Loop) else type(loop).__module__.split(".")[0]


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on uvloop; SIGINT or SIGTERM cancel it so its `finally` blocks run."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        loop = runner.get_loop()
        task = loop.create_task(main)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return runner.run(_wait(task))
        except asyncio.CancelledError:
            return None


async def _wait(task: asyncio.Task[Any]) -> Any:
    return await task
