"""One child process of `wolfit up`: started, its output pumped line by line, stopped politely.

Each child runs in a session of its own, so the terminal's Ctrl-C reaches the supervisor only
and the supervisor decides the stopping order (web, worker, activity, then Redis). Signals go
to the child's whole process group, so a grandchild (`arq --watch` reloads) cannot be orphaned,
and on Linux a child gets SIGTERM if the supervisor itself dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence

from src.supervisor.output import ServiceOutput

__all__ = ["ChildProcess", "describe_exit"]

_READ_SIZE = 64 * 1024
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _dies_with(parent: int) -> Callable[[], None] | None:
    """Run in the child before exec: SIGTERM it when the supervisor dies, even by SIGKILL.

    Children live in sessions of their own, so nothing else would stop them if `wolfit up`
    were killed. Linux only; elsewhere a killed supervisor leaves its children running.
    """
    if _LIBC is None:
        return None
    libc = _LIBC

    def set_parent_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the line above
            os._exit(1)

    return set_parent_death_signal


def describe_exit(returncode: int) -> str:
    """`exited with status 1` or `killed by signal SIGKILL`, as an operator reads it."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"killed by signal {name}"
    return f"exited with status {returncode}"


class ChildProcess:
    """A service process whose output goes to a `ServiceOutput`; one instance per start."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        output: ServiceOutput,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.output = output
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self._pump: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        """The process id (the child must have been started)."""
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process was started and has not been reaped yet."""
        return self.process is not None and self.process.returncode is None

    def uptime(self) -> float:
        """Seconds since the child was started."""
        return asyncio.get_running_loop().time() - self.started_at

    async def start(self) -> None:
        """Start the process; its stdout and stderr are read as one stream of lines."""
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
            preexec_fn=_dies_with(os.getpid()),  # one prctl() between fork and exec, no locks
        )
        self.started_at = asyncio.get_running_loop().time()
        self._pump = asyncio.create_task(self._pump_output(self.process.stdout))

    async def _pump_output(self, stream: asyncio.StreamReader | None) -> None:
        """Split the output into lines by hand: a traceback line may exceed any readline limit."""
        if stream is None:
            return
        pending = b""
        while chunk := await stream.read(_READ_SIZE):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self.output.line(raw.decode("utf-8", "replace").rstrip("\r"))
        if pending:
            self.output.line(pending.decode("utf-8", "replace"))

    async def wait(self) -> int:
        """Wait for the process to end and its output to be read; the return code."""
        assert self.process is not None, "not started"
        returncode = await self.process.wait()
        if self._pump is not None:
            # A grandchild holding the pipe open must not keep us waiting forever.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._pump), 5)
        return returncode

    def signal(self, signum: int) -> None:
        """Send a signal to the child's process group (nothing if it is already gone)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    async def stop(self, grace: float) -> tuple[int, bool]:
        """SIGTERM, up to `grace` seconds to exit, then SIGKILL: (return code, was killed).

        The group gets SIGKILL in the end even when the leader exited in time, so nothing
        the child started outlives it.
        """
        assert self.process is not None, "not started"
        killed = False
        if self.process.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.process.wait()), grace)
            except TimeoutError:
                killed = True
        self.signal(signal.SIGKILL)
        return await self.wait(), killed
