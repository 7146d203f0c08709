"""Helpers for tests that run real processes: is a pid alive, wait for a condition."""

from __future__ import annotations

import asyncio
import inspect
import io
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["RecordingStream", "pid_alive", "wait_until", "wait_until_async"]


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state letter follows the command name, which is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `condition` until it is true; fail the test naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


async def wait_until_async(
    condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """`wait_until` for async tests; `condition` may also be async (an HTTP call)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


class RecordingStream(io.StringIO):
    """A text stream that keeps everything written, for asserting on a terminal's output."""

    def isatty(self) -> bool:
        return False

    def has(self, text: str) -> bool:
        return text in self.getvalue()

    def pid_of(self, marker: str) -> int:
        """The pid in the last line containing `marker` and `(pid N)`."""
        for line in reversed(self.getvalue().splitlines()):
            if marker in line and "(pid " in line:
                return int(line.split("(pid ", 1)[1].split(")", 1)[0])
        raise AssertionError(f"no line with {marker!r} and a pid in:\n{self.getvalue()}")
