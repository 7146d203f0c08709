"""Run a service on uvloop, stopping cleanly on SIGINT and SIGTERM.

Processes started in the background of a non-interactive shell ignore SIGINT, so both
signals get explicit handlers (`web.run_app` installs them; `run` does the same).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any

import uvloop
from aiohttp import web

__all__ = ["run", "run_app"]

log = logging.getLogger(__name__)


def run_app(app: web.Application, *, host: str, port: int, name: str) -> None:
    """Serve an aiohttp app on uvloop until SIGINT or SIGTERM, then run its cleanups."""
    web.run_app(
        app,
        host=host,
        port=port,
        loop=uvloop.new_event_loop(),
        access_log=None,
        shutdown_timeout=10,
        print=lambda _: log.info("%s listening on http://%s:%d", name, host, port),
    )


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
