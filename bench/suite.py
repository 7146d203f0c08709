"""The suite as child processes for benchmarks: Redis, the activity service, one worker,
and any number of web processes, each named (by its ACTIVITY_MODE, say).

Everything lives in a temporary directory (databases, Redis data, logs); ports are free
ones; the processes are the same `wolfit` commands operators run, each started on its
place of the `Placement` (web: the subject; Redis: with the client; activity service and
worker: background). Only the processes started here are ever stopped here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Self

import aiohttp

from bench.placement import Place, Placement, place_running, placed_command
from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.settings import Settings, env_name

__all__ = [
    "WOLFIT",
    "LocalSuite",
    "ServiceFailed",
    "cpu_seconds",
    "process_tree",
    "tree_cpu_seconds",
]

START_TIMEOUT = 30.0
# The `wolfit` command of this checkout, as this interpreter runs it.
WOLFIT = (sys.executable, "-m", "src.cli")


class ServiceFailed(RuntimeError):
    """A service did not become healthy; the message names its log file."""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a live process used so far (Linux `/proc`; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, float]]:
    """Every live process: its parent's id and the CPU seconds it and its waited-for
    children used (Linux `/proc`; empty elsewhere)."""
    table: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # a process that just ended
            used = sum(int(value) for value in fields[11:15]) / tick
            table[int(entry.name)] = (int(fields[1]), used)
    return table


def process_tree(pid: int, table: dict[int, tuple[int, float]] | None = None) -> list[int]:
    """`pid` and its live descendants (a web that forks `WEB_PROCESSES` workers)."""
    table = _process_table() if table is None else table
    if pid not in table:
        return []
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    tree: list[int] = []
    waiting = [pid]
    while waiting:
        current = waiting.pop()
        tree.append(current)
        waiting.extend(children.get(current, ()))
    return tree


def tree_cpu_seconds(pid: int, table: dict[int, tuple[int, float]] | None = None) -> float | None:
    """CPU seconds of `pid` and all its descendants, live or ended (an ended child counts in
    its parent once waited for); None if `pid` is not running."""
    table = _process_table() if table is None else table
    tree = process_tree(pid, table)
    return sum(table[member][1] for member in tree) if tree else None


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (the load generator), all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Child:
    def __init__(self, name: str, process: asyncio.subprocess.Process, log: IO[bytes], path: Path):
        self.name = name
        self.process = process
        self.log = log
        self.log_path = path

    def cpu(self, table: dict[int, tuple[int, float]] | None = None) -> float | None:
        return tree_cpu_seconds(self.process.pid, table)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.log.close()


class LocalSuite:
    """Redis, the activity service and one worker, plus named web processes on demand."""

    def __init__(
        self,
        workdir: Path,
        *,
        sleep_time: float = 0.0,
        worker_max_jobs: int = 100,
        placement: Placement | None = None,
    ) -> None:
        self.workdir = workdir
        self.placement = placement or Placement("shared")
        self.token = secrets.token_urlsafe(24)
        self.secret = secrets.token_urlsafe(24)
        self.activity_port = free_port()
        self.database_url = f"sqlite+aiosqlite:///{workdir / 'web.sqlite3'}"
        self.sleep_time = sleep_time
        self.worker_max_jobs = worker_max_jobs
        self.redis = EmbeddedRedis(workdir / "redis")
        self._children: list[_Child] = []
        self._webs: dict[str, _Child] = {}
        self._serving: dict[str, int] = {}

    @property
    def activity_url(self) -> str:
        return f"http://127.0.0.1:{self.activity_port}"

    def environment(self, **extra: str) -> dict[str, str]:
        """The settings every child gets (the names of docs/settings.md)."""
        ours = {env_name(field) for field in Settings.model_fields}
        env = {name: value for name, value in os.environ.items() if name not in ours}
        env.update(
            REDIS_URL=self.redis.url,
            ACTIVITY_URL=self.activity_url,
            ACTIVITY_PORT=str(self.activity_port),
            ACTIVITY_TOKEN=self.token,
            ACTIVITY_DB_URL=f"sqlite:///{self.workdir / 'activity.sqlite3'}",
            SECRET_KEY=self.secret,
            DATABASE_URL=self.database_url,
            SLEEP_TIME=str(self.sleep_time),
            FAIL_RATE="0",
            WORKER_MAX_JOBS=str(self.worker_max_jobs),
            WOLFIT_VAR_DIR=str(self.workdir / "var"),
            HOST="127.0.0.1",
        )
        env.update(extra)
        return env

    async def _spawn(
        self,
        name: str,
        *args: str,
        place: Place,
        program: Sequence[str] = WOLFIT,
        cwd: Path | None = None,
        **env: str,
    ) -> _Child:
        """Start `program ARGS...` (this checkout's `wolfit` by default) in `cwd`."""
        path = self.workdir / f"{name}.log"
        log = path.open("ab")
        command = placed_command([*program, *args], place)
        process = await asyncio.create_subprocess_exec(
            *command, stdout=log, stderr=log, env=self.environment(**env), cwd=cwd
        )
        child = _Child(name, process, log, path)
        self._children.append(child)
        return child

    async def _wait_healthy(self, child: _Child, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if child.process.returncode is not None:
                    raise ServiceFailed(f"{child.name} exited; see {child.log_path}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise ServiceFailed(
            f"{child.name} not healthy after {START_TIMEOUT} s; see {child.log_path}"
        )

    async def start(self) -> None:
        """Start Redis, migrate the web database, start the activity service and a worker."""
        await asyncio.to_thread(self.redis.start)
        if self.redis.pid is not None:
            place_running(self.redis.pid, self.placement.client)
        await self.migrate()
        background = self.placement.background
        activity = await self._spawn("activity", "activity", place=background)
        await self._wait_healthy(activity, f"{self.activity_url}/healthz")
        await self._spawn("worker", "worker", place=background)

    async def migrate(
        self,
        name: str = "migrate",
        *,
        program: Sequence[str] = WOLFIT,
        cwd: Path | None = None,
        **settings: str,
    ) -> None:
        """Run `program migrate` (this checkout's by default) on the web database, or on the
        `DATABASE_URL` of `settings`, and wait for it to succeed."""
        migrate = await self._spawn(
            name, "migrate", place=Place(), program=program, cwd=cwd, **settings
        )
        if await migrate.process.wait() != 0:  # left to `stop`, which closes its log
            raise ServiceFailed(f"wolfit migrate failed; see {migrate.log_path}")
        self._children.remove(migrate)
        migrate.log.close()

    async def start_web(
        self,
        name: str = "web",
        *,
        program: Sequence[str] = WOLFIT,
        args: Sequence[str] = ("web",),
        cwd: Path | None = None,
        **settings: str,
    ) -> str:
        """Start a web process called `name` (replacing one of that name) with these extra
        settings; answers its base URL. Webs share the database and the secret key unless
        `settings` say otherwise. `program ARGS` (this checkout's `wolfit web` by default)
        must serve `/healthz` on `WEB_PORT`: another checkout's `wolfit`, or a stand-in."""
        await self.stop_web(name)
        port = free_port()
        settings.setdefault("WEB_PROCESSES", "1")
        web = await self._spawn(
            f"web-{name}", *args, place=self.placement.subject, program=program, cwd=cwd,
            WEB_PORT=str(port), **settings,
        )  # fmt: skip
        self._webs[name] = web
        url = f"http://127.0.0.1:{port}"
        await self._wait_healthy(web, f"{url}/healthz")
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as answer:
            # A build without several processes names no pid: the process started serves.
            serving = (await answer.json()).get("pid")
        self._serving[name] = int(serving) if serving is not None else web.process.pid
        return url

    def web_processes(self, name: str = "web") -> int:
        """How many processes serve the web called `name` now: the processes a master forked
        (gunicorn's, with `WEB_PROCESSES`), or the one process of a build without one."""
        web = self._webs.get(name)
        if web is None or web.process.returncode is not None:
            return 0
        tree = process_tree(web.process.pid)
        return len(tree) - 1 if len(tree) > 1 else len(tree)

    def web_pid(self, name: str = "web") -> int | None:
        """The process id of the web process serving `name` (with WEB_PROCESSES=1, the one
        process the master forked), while it runs: the one whose memory grows with its work."""
        web = self._webs.get(name)
        if web is None or web.process.returncode is not None:
            return None
        return self._serving.get(name)

    async def set_chaos(self, *, sleep_time: float, fail_rate: float = 0.0) -> None:
        """Change the activity service's latency and failure rate at run time (PUT /api/chaos)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        body = {"sleep_time": sleep_time, "fail_rate": fail_rate}
        async with (
            aiohttp.ClientSession(self.activity_url, headers=headers) as session,
            session.put("/api/chaos", json=body) as response,
        ):
            if response.status != 200:
                text = await response.text()
                raise ServiceFailed(f"PUT /api/chaos answered {response.status}: {text[:200]}")
        self.sleep_time = sleep_time

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by process (with the processes it started): `web-NAME` for
        each web, `activity`, `worker`, `redis`, and `client` (this process, the load
        generator)."""
        used: dict[str, float] = {"client": own_cpu_seconds()}
        table = _process_table()
        for child in self._children:
            seconds = child.cpu(table)
            if seconds is not None:
                used[child.name] = seconds
        redis = tree_cpu_seconds(self.redis.pid, table) if self.redis.pid is not None else None
        if redis is not None:
            used["redis"] = redis
        return used

    async def stop_web(self, name: str = "web") -> None:
        """Stop the web process called `name`, if it runs."""
        web = self._webs.pop(name, None)
        self._serving.pop(name, None)
        if web is not None:
            await web.stop()
            self._children.remove(web)

    async def stop(self) -> None:
        """Stop every child started here (newest first), then Redis."""
        for child in reversed(self._children):
            await child.stop()
        self._children.clear()
        if self.redis.running():
            await asyncio.to_thread(self.redis.stop)

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
