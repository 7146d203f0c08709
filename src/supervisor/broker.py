"""The Redis of `wolfit up`: the operator's (`REDIS_URL`) or an embedded `redis-server`.

The embedded server keeps its data in `var/redis/` with AOF on, so queued jobs and dead
letters survive a restart of the suite. It takes 6379 when that port is free, else any free
port, and says which: a second Redis on 6379 (another project's) is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.supervisor.output import file_tail
from src.supervisor.policy import RestartPolicy

__all__ = ["DEFAULT_REDIS_PORT", "Broker", "choose_port", "port_in_use", "stop_leftover"]

DEFAULT_REDIS_PORT = 6379
PID_FILE = "wolfit-up.pid"
PING_TIMEOUT = 5.0


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on (or holds) `host:port`, found by trying to bind it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # The servers set SO_REUSEADDR too, so a port in TIME_WAIT counts as free, as for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def choose_port(preferred: int) -> int:
    """`preferred` if it is free on 127.0.0.1 (0: no preference), else a free port."""
    if preferred and not port_in_use("127.0.0.1", preferred):
        return preferred
    return free_port()


@dataclass
class Broker:
    """The Redis the children use: its URL and, when embedded, the server we run."""

    url: str
    server: EmbeddedRedis | None = None

    @staticmethod
    async def ping(url: str) -> None:
        """Raise unless the Redis at `url` answers PING within `PING_TIMEOUT` s."""
        client = aioredis.from_url(
            url, socket_connect_timeout=PING_TIMEOUT, socket_timeout=PING_TIMEOUT
        )
        try:
            await client.ping()
        finally:
            await client.aclose()

    @classmethod
    def external(cls, url: str) -> Broker:
        """The operator's Redis: used as is, never started or stopped by us."""
        return cls(url)

    @classmethod
    async def embedded(cls, data_dir: Path, port: int) -> Broker:
        """Start a `redis-server` with AOF on in `data_dir` and wait until it answers.

        Its pid goes to `data_dir/wolfit-up.pid`, so that a server left running by a
        `wolfit up` that was killed can be found and stopped (`stop_leftover`).
        """
        server = EmbeddedRedis(data_dir, port)
        await asyncio.to_thread(server.start)
        (data_dir / PID_FILE).write_text(f"{server.pid}\n")
        return cls(server.url, server)

    @property
    def log_path(self) -> Path | None:
        """The embedded server's own log file."""
        return None if self.server is None else self.server.data_dir / "redis.log"

    async def restart(self) -> None:
        """Start the embedded server again, same port and data."""
        if self.server is not None:
            # kill() also forgets the dead process, without which start() would do nothing.
            await asyncio.to_thread(self.server.kill)
            await asyncio.to_thread(self.server.start)

    async def keep_alive(self, policy: RestartPolicy, say: Callable[[str], None]) -> None:
        """Restart the embedded server whenever it dies; return once `policy` gives up."""
        if self.server is None:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            await asyncio.sleep(1.0)
            if self.server.running():
                continue
            lived = loop.time() - started
            say(f"ERROR redis (embedded) died after {lived:.1f} s{file_tail(self.log_path)}")
            delay = policy.after_exit(lived)
            if delay is None:
                say("ERROR redis keeps dying: giving up")
                return
            say(f"restarting redis in {delay:g} s, same port and data")
            await asyncio.sleep(delay)
            started = loop.time()
            try:
                await self.restart()
            except Exception as exc:
                say(f"ERROR redis did not come back: {exc}")
                continue
            say(f"redis: back on {self.url} (pid {self.server.pid})")

    async def stop(self) -> None:
        """Shut the embedded server down cleanly: SIGTERM, Redis flushes its AOF first."""
        if self.server is not None and self.server.running():
            await asyncio.to_thread(self.server.stop)
        if self.server is not None:
            (self.server.data_dir / PID_FILE).unlink(missing_ok=True)


def stop_leftover(data_dir: Path, grace: float = 15.0) -> int | None:
    """Stop a `redis-server` that a killed `wolfit up` left on `data_dir`; its pid, if any.

    Two servers on one AOF would corrupt it, so the leftover gets SIGTERM (it flushes the AOF
    and exits) before a new one starts. A pid that is gone, or is not a redis-server any
    more, is only forgotten.
    """
    pid_file = data_dir / PID_FILE
    try:
        pid = int(pid_file.read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        _forget(pid_file)
        return None
    if b"redis-server" not in command:
        _forget(pid_file)
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # it ignored SIGTERM for `grace` s
    _forget(pid_file)
    return pid


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to reap it does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _forget(pid_file: Path) -> None:
    with contextlib.suppress(OSError):
        pid_file.unlink()
