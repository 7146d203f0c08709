"""One `wolfit up` per var directory: two would share SQLite files and the embedded Redis's AOF.

The lock is an `flock` on `var/wolfit-up.lock`, held for the life of the process: the kernel
releases it however the process ends (even SIGKILL), so a stale lock never blocks a restart.
The file also names the pid of the holder, for the error message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["AlreadyRunning", "RunLock"]

LOCK_FILE = "wolfit-up.lock"


class AlreadyRunning(RuntimeError):
    """Another process holds the lock of this var directory."""


class RunLock:
    """The exclusive lock of `var_dir`; `acquire()` once, kept until the process exits."""

    def __init__(self, var_dir: Path) -> None:
        self.path = var_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `AlreadyRunning` naming the pid that has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (the process exiting does the same)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
