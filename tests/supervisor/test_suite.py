"""The whole suite through `wolfit up`, as a real process: the `make run` path end to end.

`scripts/start` (what `make run` runs after installing) migrates, then execs `wolfit up`,
which starts Redis and the real activity service, worker and web app. A visitor registers,
posts and votes over HTTP; the events reach the activity service once each; a killed worker
is reported and comes back; Ctrl-C stops everything and leaves no process behind.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.settings import DEFAULT_WEB_PROCESSES
from tests.support.processes import pid_alive, wait_until, wait_until_async

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
START = 120.0  # generous: three Python services importing at once on a shared machine
WAIT = 60.0
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.slow


class Suite:
    """`scripts/start` or `wolfit up` running in the background, its output collected."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = WAIT) -> None:
        wait_until(
            lambda: text in self.output or self.process.poll() is not None,
            timeout,
            f"{text!r} in the output of wolfit up",
        )
        assert text in self.output, f"{text!r} not in:\n{self.output[-5000:]}"

    def pid(self, marker: str) -> int:
        """The pid of the last line with `marker` and `(pid N)`."""
        for line in reversed(self.lines):
            if marker in line and "(pid " in line:
                return int(line.split("(pid ", 1)[1].split(")", 1)[0])
        raise AssertionError(f"no {marker!r} with a pid in:\n{self.output[-5000:]}")

    def stop(self, signum: int = signal.SIGINT) -> int:
        self.process.send_signal(signum)
        returncode = self.process.wait(timeout=WAIT)
        self._reader.join(timeout=10)
        return returncode


@pytest.fixture
def suite_env(tmp_path: Path) -> dict[str, str]:
    """Everything of the suite in the test's tmp dir, on free ports."""
    return {
        **os.environ,
        "VENV": str(VENV),
        "WOLFIT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}",
        "ACTIVITY_DB_URL": f"sqlite:///{tmp_path / 'activity.sqlite3'}",
        "WEB_PORT": str(free_port()),
        "ACTIVITY_PORT": str(free_port()),
        "NO_COLOR": "1",
    }


@pytest.fixture
def suites() -> Iterator[list[Suite]]:
    started: list[Suite] = []
    yield started
    for suite in started:
        if suite.process.poll() is None:
            suite.process.kill()
            suite.process.wait()
        suite._reader.join(timeout=10)


class Visitor:
    """A browser's worth of the site: a cookie jar, and the CSRF token sent back."""

    def __init__(self, base: str) -> None:
        # unsafe=True: keep cookies of an IP-address host (127.0.0.1), as browsers do.
        self.session = aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def form(self, path: str, page: str, data: dict[str, str]) -> aiohttp.ClientResponse:
        async with self.session.get(page) as response:
            assert response.status == 200, (page, response.status)
            match = CSRF_INPUT.search(await response.text())
        assert match, f"no csrf_token on {page}"
        response = await self.session.post(
            path, data={**data, "csrf_token": match.group(1)}, allow_redirects=False
        )
        await response.read()
        assert response.status == 303, (path, response.status, await response.text())
        return response

    async def close(self) -> None:
        await self.session.close()


async def events_of(activity: str, token: str, username: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{activity}/api/activities", params={"username": username}, headers=headers
        ) as response,
    ):
        assert response.status == 200
        return list((await response.json())["items"])


async def serving_pids(web: str, processes: int) -> set[int]:
    """The pids of the web processes, from `/healthz` over new connections until each of
    `processes` has answered one."""
    pids: set[int] = set()
    for _ in range(200):
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{web}/healthz") as response,
        ):
            pids.add(int((await response.json())["pid"]))
        if len(pids) == processes:
            return pids
    raise AssertionError(f"200 connections reached only the web processes {sorted(pids)}")


async def test_make_run_path_end_to_end(
    tmp_path: Path, suite_env: dict[str, str], suites: list[Suite]
) -> None:
    # `make run` minus the install: scripts/start migrates, then execs `wolfit up`.
    suite = Suite([str(ROOT / "scripts" / "start"), "--redis-port", "0"], suite_env, ROOT)
    suites.append(suite)
    suite.wait_for("Wolfit Async is up:", START)
    web = f"http://127.0.0.1:{suite_env['WEB_PORT']}"
    activity = f"http://127.0.0.1:{suite_env['ACTIVITY_PORT']}"
    assert f"web       {web}/ ({DEFAULT_WEB_PROCESSES} processes, WEB_PROCESSES)" in suite.output
    assert "redis: embedded redis-server on 127.0.0.1:" in suite.output
    var = tmp_path / "var"
    token_file = var / "activity-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((var / "secret-key").stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    pids = {name: suite.pid(f"{name}: started") for name in ("activity", "worker", "web")}
    redis_pid = suite.pid("redis: embedded redis-server")
    web_processes = await serving_pids(web, DEFAULT_WEB_PROCESSES)
    assert pids["web"] not in web_processes  # the master forked them

    visitor = Visitor(web)
    try:
        await visitor.form(
            "/register",
            "/register",
            {
                "username": "alice",
                "email": "alice@example.org",
                "password": PASSWORD,
                "password2": PASSWORD,
            },
        )
        submitted = await visitor.form(
            "/submit", "/submit", {"title": "Hello", "body": "First *post*", "category": "general"}
        )
        post = submitted.headers["Location"].rsplit("/", 1)[1]
        await visitor.form(f"/p/{post}/vote", f"/p/{post}", {"direction": "up"})

        wanted = ["post.create", "post.vote", "user.register"]
        found: list[dict[str, Any]] = []

        async def delivered(types: list[str]) -> bool:
            found[:] = await events_of(activity, token, "alice")
            return sorted(event["type"] for event in found) == types

        await wait_until_async(lambda: delivered(wanted), WAIT, "the three events", 0.2)
        assert {event["username"] for event in found} == {"alice"}

        # A worker killed mid-run is reported with its exit status, restarted, and delivers.
        os.kill(pids["worker"], signal.SIGKILL)
        suite.wait_for(f"ERROR worker (pid {pids['worker']}) killed by signal SIGKILL")
        suite.wait_for("worker: healthy again")
        restarted = suite.pid("worker: started")
        assert restarted != pids["worker"]
        pids["worker"] = restarted
        await visitor.form(f"/p/{post}/vote", f"/p/{post}", {"direction": "down"})
        await wait_until_async(
            lambda: delivered(sorted([*wanted, "post.vote"])), WAIT, "the second vote's event", 0.2
        )
    finally:
        await visitor.close()

    # Ctrl-C: everything stops in order, nothing is left running, the ports are free again.
    assert suite.stop(signal.SIGINT) == 0
    output = suite.output
    assert output.index("web: stopped") < output.index("worker: stopped")
    assert output.index("worker: stopped") < output.index("activity: stopped")
    assert output.index("activity: stopped") < output.index("redis: stopped")
    assert output.rstrip().endswith("all stopped")
    for pid in [*pids.values(), *web_processes, redis_pid]:
        assert not pid_alive(pid), f"pid {pid} outlived wolfit up"
    for name in ("activity", "worker", "web", "wolfit"):
        assert (var / "logs" / f"{name}.log").stat().st_size > 0


async def test_wolfit_up_uses_redis_url_and_leaves_it_running(
    own_redis: EmbeddedRedis, suite_env: dict[str, str], suites: list[Suite], tmp_path: Path
) -> None:
    env = {**suite_env, "REDIS_URL": own_redis.url}
    up = [sys.executable, "-m", "src.cli", "up"]

    # Not migrated yet: the web app's own one-line reason is shown, and nothing keeps running.
    unmigrated = Suite(up, env, tmp_path)
    suites.append(unmigrated)
    assert unmigrated.process.wait(timeout=START) == 1
    unmigrated._reader.join(timeout=10)
    assert "ERROR web exited with status 2 at start; its last lines" in unmigrated.output
    assert "wolfit web: the web database has no schema: run `wolfit migrate` first" in (
        unmigrated.output
    )
    assert "stopping everything: the suite cannot start" in unmigrated.output
    for name in ("activity", "worker"):
        assert not pid_alive(unmigrated.pid(f"{name}: started"))

    subprocess.run([*up[:-1], "migrate"], env=env, cwd=tmp_path, check=True, timeout=START)
    suite = Suite(up, env, tmp_path)
    suites.append(suite)
    suite.wait_for("Wolfit Async is up:", START)
    assert f"redis: {own_redis.url} (REDIS_URL; wolfit up neither starts nor stops it)" in (
        suite.output
    )
    assert "embedded" not in suite.output
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{suite_env['WEB_PORT']}/healthz") as response,
    ):
        assert response.status == 200
    # A closed terminal (SIGHUP) stops the suite as Ctrl-C does, not just the supervisor.
    pids = [suite.pid(f"{name}: started") for name in ("activity", "worker", "web")]
    assert suite.stop(signal.SIGHUP) == 0
    assert suite.output.rstrip().endswith("all stopped")
    assert not any(pid_alive(pid) for pid in pids)
    assert own_redis.running()
    assert "redis: stopped" not in suite.output


async def test_a_killed_wolfit_up_leaves_nothing_a_restart_cannot_handle(
    suite_env: dict[str, str], suites: list[Suite], tmp_path: Path
) -> None:
    up = [sys.executable, "-m", "src.cli", "up", "--redis-port", "0"]
    subprocess.run([*up[:3], "migrate"], env=suite_env, cwd=tmp_path, check=True, timeout=START)
    first = Suite(up, suite_env, tmp_path)
    suites.append(first)
    first.wait_for("Wolfit Async is up:", START)
    services = [first.pid(f"{name}: started") for name in ("activity", "worker", "web")]
    redis = first.pid("redis: embedded redis-server")

    # SIGKILL: no cleanup at all. The services get SIGTERM from the kernel (parent death
    # signal); the embedded Redis survives, and is stopped by the next `wolfit up`.
    first.process.kill()
    first.process.wait()
    wait_until(lambda: not any(pid_alive(pid) for pid in services), WAIT, "orphans to stop")
    assert pid_alive(redis)

    second = Suite(up, suite_env, tmp_path)
    suites.append(second)
    second.wait_for("Wolfit Async is up:", START)
    assert (
        f"redis: stopped the embedded redis-server (pid {redis}) that an earlier wolfit up "
        "left running on"
    ) in second.output
    assert not pid_alive(redis)
    assert second.stop(signal.SIGINT) == 0
