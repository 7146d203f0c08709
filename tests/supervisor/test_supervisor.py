"""The supervisor's machinery on stand-in services (`fake_service.py`), real processes all.

These make the failures happen on demand (a child dying at start, later, ignoring SIGTERM,
holding a grandchild); `test_command.py` runs the real suite through `wolfit up`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.supervisor import Supervisor
from src.supervisor.health import http_probe
from src.supervisor.output import Terminal
from src.supervisor.policy import RestartPolicy
from src.supervisor.services import ServiceSpec
from tests.support.processes import RecordingStream, pid_alive, wait_until_async

FAKE = str(Path(__file__).with_name("fake_service.py"))
WAIT = 30.0  # generous: the machine is shared; every wait ends as soon as its condition holds


def fake(name: str, port: int, *options: str) -> ServiceSpec:
    """A stand-in service on `port`, probed like web and activity are."""
    return ServiceSpec(
        name,
        (sys.executable, FAKE, str(port), *options),
        lambda context: http_probe(context.http, f"http://127.0.0.1:{port}/healthz"),
        url=f"http://127.0.0.1:{port}/",
    )


class Run:
    """A supervisor running in the test's event loop, with its terminal recorded."""

    def __init__(self, supervisor: Supervisor, stream: RecordingStream) -> None:
        self.supervisor = supervisor
        self.stream = stream
        self.task = asyncio.create_task(supervisor.run())

    async def until(self, text: str) -> None:
        await wait_until_async(
            lambda: self.stream.has(text) or self.task.done(), WAIT, f"{text!r} in the output"
        )
        assert self.stream.has(text), f"{text!r} not in:\n{self.stream.getvalue()}"

    def pid(self, name: str) -> int:
        service = next(s for s in self.supervisor.services if s.spec.name == name)
        assert service.child is not None
        return service.child.pid

    async def stop(self) -> int:
        self.task.cancel()
        return await self.task


@pytest.fixture
async def start(tmp_path: Path, redis_url: str) -> AsyncIterator:
    runs: list[Run] = []

    def _start(specs: list[ServiceSpec], **options: object) -> Run:
        stream = RecordingStream()
        options.setdefault("redis_url", redis_url)
        supervisor = Supervisor(
            specs,
            env=dict(os.environ),
            log_dir=tmp_path / "logs",
            terminal=Terminal([spec.name for spec in specs], stream),
            **options,  # type: ignore[arg-type]
        )
        run = Run(supervisor, stream)
        runs.append(run)
        return run

    yield _start
    for run in runs:
        if not run.task.done():
            await run.stop()


async def get_status(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url + "healthz") as response:
        return response.status


async def test_starts_all_prints_urls_and_stops_all_on_a_signal(start, tmp_path: Path) -> None:
    ports = free_port(), free_port()
    run = start([fake("alpha", ports[0]), fake("beta", ports[1])])
    await run.until("Wolfit Async is up:")
    out = run.stream.getvalue()
    assert f"|   alpha  http://127.0.0.1:{ports[0]}/\n" in out
    assert f"|   beta   http://127.0.0.1:{ports[1]}/\n" in out
    assert "|   redis  redis://127.0.0.1:" in out
    assert await get_status(f"http://127.0.0.1:{ports[0]}/") == 200
    pids = [run.pid("alpha"), run.pid("beta")]

    assert await run.stop() == 0
    assert not any(pid_alive(pid) for pid in pids)
    out = run.stream.getvalue()
    # Stopped in the reverse of the starting order, each by SIGTERM within its grace.
    assert out.index("beta: stopped") < out.index("alpha: stopped")
    assert "SIGKILL" not in out
    # Each child's JSON lines reach the terminal prefixed, and its own log file unchanged.
    assert '\nalpha  | {"level": "INFO", "message": "listening"' in out
    alpha_log = (tmp_path / "logs" / "alpha.log").read_text()
    assert alpha_log.startswith('{"level": "INFO", "message": "starting"')
    assert '"message": "stopping on SIGTERM"' in alpha_log
    supervisor_log = (tmp_path / "logs" / "wolfit.log").read_text()
    assert "Wolfit Async is up:" in supervisor_log
    assert supervisor_log.rstrip().endswith("all stopped")


async def test_a_service_that_dies_is_reported_then_restarted(start) -> None:
    port = free_port()
    run = start([fake("alpha", port)], policy=RestartPolicy(first_delay=0.1))
    await run.until("Wolfit Async is up:")
    first = run.pid("alpha")

    os.kill(first, signal.SIGKILL)
    await run.until("alpha: healthy again")
    out = run.stream.getvalue()
    report = out[out.index(f"ERROR alpha (pid {first}) killed by signal SIGKILL after") :]
    assert "its last lines (full log:" in report
    assert '"message": "listening"' in report  # the tail of its output is in the report
    assert "restarting alpha in 0.1 s (restart 1 in a row)" in report
    second = run.pid("alpha")
    assert second != first
    assert await get_status(f"http://127.0.0.1:{port}/") == 200
    assert await run.stop() == 0
    assert not pid_alive(second)


async def test_a_service_that_keeps_dying_makes_it_give_up(start) -> None:
    policy = RestartPolicy(first_delay=0.1, max_restarts=1, stable_after=600)
    run = start([fake("alpha", free_port()), fake("beta", free_port())], policy=policy)
    await run.until("Wolfit Async is up:")
    beta = run.pid("beta")
    os.kill(run.pid("alpha"), signal.SIGKILL)
    await run.until("alpha: healthy again")
    os.kill(run.pid("alpha"), signal.SIGKILL)

    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR alpha died 2 times in a row, each within 600 s of starting: giving up" in out
    assert "beta: stopped" in out
    assert not pid_alive(beta)


async def test_a_service_that_fails_at_start_stops_everything(start) -> None:
    run = start([fake("alpha", free_port()), fake("beta", free_port(), "--exit-at-start", "3")])
    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR beta exited with status 3 at start; its last lines" in out
    assert "RuntimeError: cannot open the store" in out
    assert "stopping everything: the suite cannot start" in out
    assert "Wolfit Async is up" not in out
    assert "alpha: stopped" in out


async def test_a_service_that_never_turns_healthy_times_out(start, tmp_path: Path) -> None:
    down = tmp_path / "down"
    down.touch()
    run = start([fake("alpha", free_port(), "--unhealthy-file", str(down))], start_timeout=1)
    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR alpha not healthy after 1 s: GET http://127.0.0.1:" in out
    assert 'answered 503 {"status": "down"}' in out


async def test_health_changes_are_reported_without_restarting(start, tmp_path: Path) -> None:
    down = tmp_path / "down"
    run = start([fake("alpha", free_port(), "--unhealthy-file", str(down))], health_interval=0.1)
    await run.until("Wolfit Async is up:")
    pid = run.pid("alpha")
    down.touch()
    await run.until("WARNING alpha is unhealthy: GET http://127.0.0.1:")
    down.unlink()
    await run.until("alpha: healthy again")
    assert run.pid("alpha") == pid


async def test_sigkill_after_the_grace_period_reaches_grandchildren(start, tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    spec = fake("alpha", free_port(), "--ignore-sigterm", "--grandchild", str(pidfile))
    run = start([spec], grace=0.5)
    await run.until("Wolfit Async is up:")
    grandchild = int(pidfile.read_text())
    assert pid_alive(grandchild)

    assert await run.stop() == 0
    assert "alpha: stopped, killed by signal SIGKILL (SIGKILL after 0.5 s)" in run.stream.getvalue()
    await wait_until_async(lambda: not pid_alive(grandchild), WAIT, "the grandchild to die")


async def test_a_second_signal_kills_at_once(start) -> None:
    run = start([fake("alpha", free_port(), "--ignore-sigterm")], grace=600)
    await run.until("Wolfit Async is up:")
    pid = run.pid("alpha")
    run.task.cancel()
    await run.until("stopping everything (signal received")
    run.task.cancel()
    assert await asyncio.wait_for(run.task, WAIT) == 0
    assert "second signal: killing the services now" in run.stream.getvalue()
    assert "alpha: stopped, killed by signal SIGKILL" in run.stream.getvalue()
    assert not pid_alive(pid)


async def test_a_huge_line_reaches_the_log_file_whole(start, tmp_path: Path) -> None:
    run = start([fake("alpha", free_port(), "--long-line", "300000")])
    await run.until("Wolfit Async is up:")
    await run.stop()
    lines = (tmp_path / "logs" / "alpha.log").read_text().splitlines()
    assert "x" * 300000 in lines


async def test_embedded_redis_is_started_watched_and_stopped_last(start, tmp_path: Path) -> None:
    port = free_port()
    run = start(
        [fake("alpha", free_port())],
        redis_url=None,
        redis_dir=tmp_path / "redis",
        redis_port=port,
        policy=RestartPolicy(first_delay=0.1),
    )
    await run.until("Wolfit Async is up:")
    out = run.stream.getvalue()
    assert f"redis: embedded redis-server on 127.0.0.1:{port}" in out
    assert f"data in {tmp_path / 'redis'} (AOF on)" in out
    # The children are given the embedded server's URL.
    assert f'"redis_url": "redis://127.0.0.1:{port}/0"' in out
    broker = run.supervisor.broker
    assert broker is not None
    assert broker.server is not None
    first = broker.server.pid
    assert first is not None

    os.kill(first, signal.SIGKILL)
    await run.until(f"redis: back on redis://127.0.0.1:{port}/0")
    assert "ERROR redis (embedded) died after" in run.stream.getvalue()
    second = broker.server.pid
    assert second is not None
    assert second != first

    assert await run.stop() == 0
    out = run.stream.getvalue()
    assert out.index("alpha: stopped") < out.index("redis: stopped")
    assert not pid_alive(second)
    assert (tmp_path / "redis" / "appendonlydir").is_dir()


async def test_a_taken_redis_port_falls_back_to_a_free_one(
    start, own_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    run = start(
        [fake("alpha", free_port())],
        redis_url=None,
        redis_dir=tmp_path / "redis",
        redis_port=own_redis.port,
    )
    await run.until("Wolfit Async is up:")
    broker = run.supervisor.broker
    assert broker is not None
    assert broker.server is not None
    assert broker.server.port != own_redis.port
    assert (
        f"redis: port {own_redis.port} is in use, so the embedded Redis takes {broker.server.port}"
    ) in run.stream.getvalue()
    assert await run.stop() == 0
    assert own_redis.running()  # the other Redis is never touched


async def test_embedded_redis_that_cannot_start_is_one_clear_error(start, tmp_path: Path) -> None:
    (tmp_path / "redis").write_text("a file where the data directory should be")
    run = start([fake("alpha", free_port())], redis_url=None, redis_dir=tmp_path / "redis")
    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR redis could not start: [Errno 17] File exists" in out
    assert "alpha: started" not in out  # nothing is started without its Redis


async def test_a_command_that_cannot_be_executed_is_one_clear_error(start, tmp_path: Path) -> None:
    missing = ServiceSpec(
        "alpha",
        (str(tmp_path / "no-such-program"),),
        lambda context: http_probe(context.http, "http://127.0.0.1:1/healthz"),
    )
    run = start([missing])
    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR alpha could not be started: [Errno 2] No such file or directory" in out


async def test_a_redis_url_that_does_not_answer_stops_at_once(start) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    run = start([fake("alpha", free_port())], redis_url=url)
    assert await asyncio.wait_for(run.task, WAIT) == 1
    out = run.stream.getvalue()
    assert "ERROR redis at REDIS_URL=redis://:***@127.0.0.1:" in out
    assert "does not answer:" in out
    assert "unset REDIS_URL to have wolfit up run an embedded one" in out
    assert "s3cret" not in out
    assert "alpha: started" not in out
