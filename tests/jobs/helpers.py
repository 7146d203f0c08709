"""Helpers of the jobs tests: waiting on conditions with deadlines, worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from arq.worker import Worker, get_kwargs
from redis.asyncio import Connection

from src.common.settings import Settings, env_name
from src.jobs.worker.runner import close_worker
from src.jobs.worker.settings import worker_settings

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WOLFIT_WORKER = [str(BIN / "wolfit"), "worker"]
ARQ_WORKER = [str(BIN / "arq"), "src.jobs.WorkerSettings"]


async def wait_for(
    condition: Callable[[], Awaitable[T]],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> T:
    """Poll `condition` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


class CountingConnection(Connection):
    """A redis-py connection that counts its writes (one per round trip: a pipeline is one)
    and the bytes Redis sent back, so a test can tell a bounded read from a whole-key one."""

    writes = 0
    bytes_read = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)

    async def _connect(self) -> None:
        await super()._connect()
        # Every parser reads the socket through these StreamReader methods.
        for name in ("read", "readexactly", "readline"):
            setattr(self._reader, name, _counted(getattr(self._reader, name)))


def _counted(read: Callable[..., Awaitable[bytes]]) -> Callable[..., Awaitable[bytes]]:
    async def counting_read(*args: Any) -> bytes:
        data = await read(*args)
        CountingConnection.bytes_read += len(data)
        return data

    return counting_read


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process these settings (and nothing of ours)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    for field, value in settings.model_dump().items():
        if value is not None:
            env[env_name(field)] = str(value)
    env.update(extra)
    return env


class WorkerProcess:
    """A worker command running in the background, its output in a log file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Signal the worker and wait for its exit status, keeping this event loop running
        (an in-process activity service must answer the deliveries it finishes)."""
        if self.alive():
            self.process.send_signal(sig)
        try:
            await wait_for(self._exited, timeout=timeout, what="the worker to exit")
        finally:
            self._log.close()
        return int(self.process.returncode)

    async def _exited(self) -> bool:
        return self.process.poll() is not None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self._log.close()


@contextmanager
def worker_process(command: list[str], env: dict[str, str], log: Path) -> Iterator[WorkerProcess]:
    """Run a worker for the block; killed at the end if still running."""
    worker = WorkerProcess(command, env, log)
    try:
        yield worker
    finally:
        if worker.alive():
            worker.kill()


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    """Run `worker` in this event loop for the block, then close it as `wolfit worker` does."""
    task = asyncio.create_task(worker.async_run())
    try:
        yield worker
    finally:
        await close_worker(worker)
        # The run task ends with the cancellation close() sent it.
        with suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def running_worker(
    settings: Settings, worker_class: type[Worker] = Worker, **overrides: Any
) -> AsyncIterator[Worker]:
    """A real worker (arq's `Worker` or `WolfitWorker`) from `worker_settings(settings)` in
    this event loop, for the block."""
    options = {"handle_signals": False, "poll_delay": 0.01, **overrides}
    worker = worker_class(**{**get_kwargs(worker_settings(settings)), **options})
    async with running(worker):
        yield worker
