"""`wolfit web` with WEB_PROCESSES=2, as real processes on a real Redis and a real SQLite file.

Both processes serve the one port (each answer of `/healthz` names its pid), and the work
that must be done once is done once whichever process does it (issue 12):

- outbox rows left behind by a web process that died between commit and enqueue are each
  relayed once (the relay lease; without it both relays hand over the same rows);
- 5 failed logins spread over both processes raise one `login_failures` alert, and a
  forbidden scan over both raises one `forbidden` alert per subject;
- a worker's deliveries appear once in the dashboard's minute counters, read through
  either process, and `/metrics` of either process shows the sum over both.

A web process killed with SIGKILL is replaced by the master, and the port keeps answering.
Each test pins a client to one process by keeping one keep-alive connection per client.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from src.common.embedded_redis import free_port
from src.jobs import queue_stats
from tests.conftest import TEST_TOKEN
from tests.support.outbox import outbox_count, put_leftovers
from tests.support.processes import pid_alive, wait_until
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
START = 60.0  # generous: processes importing at once on a shared 2-core machine
OPS_TOKEN = "ops-token-0123456789abcdef"
CSRF_INPUT = 'name="csrf_token" value="'
LEFTOVERS = 1000  # five of the relay's batches of 200: two relays would overlap


class Service:
    """A `wolfit` command running in the background, its output kept."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "src.cli", command],
            cwd=ROOT,
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

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=30)
        finally:
            self._reader.join(timeout=10)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in reversed(started):
        try:
            service.stop()
        except subprocess.TimeoutExpired:
            service.kill()


@pytest.fixture
def web_env(tmp_path: Path, sqlite_url: str) -> dict[str, str]:
    """`wolfit web` with 2 processes on a migrated SQLite file; SECRET_KEY is left unset, so
    the master generates `var/secret-key` and both processes must use that one key."""
    return {
        **os.environ,
        "WOLFIT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": sqlite_url,
        "ACTIVITY_TOKEN": TEST_TOKEN,
        "ACTIVITY_MODE": "off",
        "WEB_PORT": str(free_port()),
        "WEB_PROCESSES": "2",
        "OPS_TOKEN": OPS_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }


def base_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['WEB_PORT']}"


class Visitor:
    """A browser on one keep-alive connection: every request reaches the same web process."""

    def __init__(self, base: str, cookies: aiohttp.CookieJar | None = None) -> None:
        self.session = aiohttp.ClientSession(
            base,
            connector=aiohttp.TCPConnector(limit=1),
            # unsafe=True: keep the cookies of an IP-address host, as browsers do.
            cookie_jar=cookies or aiohttp.CookieJar(unsafe=True),
        )

    async def pid(self) -> int:
        async with self.session.get("/healthz") as response:
            assert response.status == 200
            return int((await response.json())["pid"])

    async def csrf(self, page: str) -> str:
        async with self.session.get(page, allow_redirects=False) as response:
            text = await response.text()
        assert CSRF_INPUT in text, f"no csrf_token on {page}"
        return text.split(CSRF_INPUT, 1)[1].split('"', 1)[0]

    async def post_form(self, path: str, data: dict[str, str], *, page: str | None = None) -> int:
        form = {**data, "csrf_token": await self.csrf(page or path)}
        async with self.session.post(path, data=form, allow_redirects=False) as response:
            await response.read()
            return response.status

    async def status(self, path: str, **headers: str) -> int:
        async with self.session.get(path, allow_redirects=False, headers=headers) as response:
            await response.read()
            return response.status

    async def json(self, path: str) -> Any:
        headers = {"Authorization": f"Bearer {OPS_TOKEN}"}
        async with self.session.get(path, headers=headers) as response:
            assert response.status == 200, (path, response.status)
            return await response.json()

    async def close(self) -> None:
        await self.session.close()


class Pinned:
    """Makes visitors, each pinned to a web process, and closes them all at the end."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.visitors: list[Visitor] = []

    async def one_per_process(
        self, processes: int = 2, cookies: aiohttp.CookieJar | None = None
    ) -> dict[int, Visitor]:
        """A visitor on each of `processes` web processes: new connections until each
        process has taken one (the kernel hands each to whichever process accepts first)."""
        found: dict[int, Visitor] = {}
        for _ in range(200):
            visitor = Visitor(self.base, cookies)
            self.visitors.append(visitor)
            pid = await visitor.pid()
            found.setdefault(pid, visitor)
            if len(found) == processes:
                return found
        raise AssertionError(f"200 connections reached only the web processes {sorted(found)}")

    async def close(self) -> None:
        for visitor in self.visitors:
            await visitor.close()


@pytest.fixture
async def pinned() -> AsyncIterator[list[Pinned]]:
    made: list[Pinned] = []
    yield made
    for pins in made:
        await pins.close()


async def start_web(env: dict[str, str], services: list[Service]) -> Service:
    web = Service("web", env)
    services.append(web)

    async def healthy() -> bool:
        assert web.process.poll() is None, "\n".join(web.lines)
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{base_url(env)}/healthz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await eventually(healthy, bool, timeout=START, what="wolfit web to answer")
    return web


def metric(text: str, sample: str) -> float:
    """The value of one sample line (`name{labels}`) of a Prometheus text page; 0 if absent."""
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def raised_alerts(var_dir: Path) -> Counter[tuple[str, str]]:
    """How often each (kind, subject) was raised, from `var/alerts.log`: every process that
    raises an alert writes there, so a double raise would show as 2."""
    path = var_dir / "alerts.log"
    lines = path.read_text().splitlines() if path.exists() else []
    payloads = [json.loads(line) for line in lines]
    return Counter(
        (p["alert"]["kind"], p["alert"]["subject"])
        for p in payloads
        if p["event"] == "alert.raised"
    )


async def test_two_web_processes_do_once_what_must_be_done_once(
    tmp_path: Path,
    web_env: dict[str, str],
    redis_url: str,
    sqlite_url: str,
    services: list[Service],
    pinned: list[Pinned],
) -> None:
    # Rows a web process left when it died between commit and enqueue, waiting for a relay.
    await put_leftovers(sqlite_url, LEFTOVERS)
    activity_port = free_port()
    env = {
        **web_env,
        "REDIS_URL": redis_url,
        "ACTIVITY_MODE": "async",
        "ACTIVITY_URL": f"http://127.0.0.1:{activity_port}",
    }
    web = await start_web(env, services)
    pins = Pinned(base_url(env))
    pinned.append(pins)
    first, second = (await pins.one_per_process()).values()

    # (a) Every leftover is relayed once: by one relay, the lease holder.
    await eventually(lambda: outbox_count(sqlite_url), lambda n: n == 0, what="an empty outbox")
    redis = aioredis.from_url(redis_url)
    try:
        assert (await queue_stats(redis)).depth == LEFTOVERS
    finally:
        await redis.aclose()
    relayed = 'wolfit_web_events_total{outcome="relayed",type="post.vote"}'
    for visitor in (first, second):  # either process shows the sum over both
        async with visitor.session.get("/metrics") as response:
            assert metric(await response.text(), relayed) == LEFTOVERS

    # (b) Failed logins for one name, 3 on one process and 2 on the other: one alert.
    for visitor in (first, second, first, second, first):
        data = {"username": "carol", "password": "not her password"}
        assert await visitor.post_form("/login", data) == 401
    # A forbidden scan over both processes: one alert per subject (bob, and the visitor).
    password = "correct horse battery"
    registration = {
        "username": "bob",
        "email": "bob@example.org",
        "password": password,
        "password2": password,
    }
    assert await first.post_form("/register", registration) == 303
    bob = await pins.one_per_process(cookies=first.session.cookie_jar)
    for as_bob in bob.values():  # one session key: the other process knows bob too
        assert await as_bob.status("/submit") == 200
        for path in ("/admin", "/admin/jobs", "/api/ops/queue"):
            assert await as_bob.status(path) == 403
    strangers = await pins.one_per_process()
    for stranger in strangers.values():
        for path in ("/admin", "/admin/dead-letters"):
            assert await stranger.status(path) == 403
    assert {await v.pid() for v in (first, second)} == set(bob) == set(strangers)

    alerts = await first.json("/api/ops/alerts?state=open&limit=200")
    opened = Counter((alert["kind"], alert["subject"]) for alert in alerts["items"])
    once = {("login_failures", "carol"): 1, ("forbidden", "bob"): 1}
    once[("forbidden", "visitor@127.0.0.1")] = 1
    assert {key: opened[key] for key in once} == once
    assert {key: raised_alerts(tmp_path / "var")[key] for key in once} == once

    # Every event either process handed to the queue, summed over both by /metrics: the
    # leftovers, 5 failed logins, bob's registration and 10 refusals.
    async with second.session.get("/metrics") as response:
        text = await response.text()
    handed_over = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("wolfit_web_events_total{")
        and ('outcome="enqueued"' in line or 'outcome="relayed"' in line)
    )
    assert handed_over == LEFTOVERS + 16

    # (c) A worker delivers them all; the minute counters count each delivery once, read
    # through either process.
    activity_env = {
        **env,
        "ACTIVITY_PORT": str(activity_port),
        "ACTIVITY_DB_URL": f"sqlite:///{tmp_path / 'activity.sqlite3'}",
    }
    services.append(Service("activity", activity_env))
    services.append(Service("worker", env))

    async def delivered() -> int:
        return int((await first.json("/api/ops/overview"))["last_hour"]["done"])

    await eventually(delivered, lambda n: n >= handed_over, timeout=START, what="the deliveries")
    for visitor in (first, second):
        overview = await visitor.json("/api/ops/overview")
        assert overview["last_hour"]["done"] == handed_over
        assert sum(minute["done"] for minute in overview["series"]) == handed_over
    assert {await first.pid(), await second.pid()} == set(bob)  # still one client each

    assert web.stop() == 0


async def test_a_killed_web_process_is_replaced_and_the_port_keeps_answering(
    web_env: dict[str, str], services: list[Service], pinned: list[Pinned]
) -> None:
    web = await start_web(web_env, services)
    pins = Pinned(base_url(web_env))
    pinned.append(pins)
    pids = set(await pins.one_per_process())
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: not pid_alive(victim), 10, "the killed web process to be gone")

    # Fresh connections keep being answered, and a new process joins the survivor.
    after = Pinned(base_url(web_env))
    pinned.append(after)
    serving = set(await after.one_per_process())
    assert victim not in serving
    assert pids - {victim} < serving

    # SIGTERM stops the master and every web process; every line of output is JSON.
    assert web.stop(signal.SIGTERM) == 0
    for pid in pids | serving:
        assert not pid_alive(pid), f"web process {pid} outlived the master"
    records = [json.loads(line) for line in web.lines]
    assert {record["service"] for record in records} == {"web"}
    assert any(f"(pid:{victim}) was sent SIGKILL" in record["message"] for record in records)
