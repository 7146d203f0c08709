from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from src.common.settings import DEFAULT_WEB_PROCESSES, Settings
from src.supervisor.child import ChildProcess
from src.supervisor.health import wait_healthy
from src.supervisor.output import ServiceOutput, Terminal
from src.supervisor.services import ProbeContext, display_host, suite_services, worker_probe
from tests.conftest import TEST_TOKEN
from tests.support.processes import RecordingStream


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "127.0.0.1"),  # noqa: S104
        ("", "127.0.0.1"),
        ("::", "[::1]"),
        ("::1", "[::1]"),
        ("10.1.2.3", "10.1.2.3"),
        ("wolfit.example", "wolfit.example"),
    ],
)
def test_the_address_shown_is_one_a_browser_can_reach(host: str, shown: str) -> None:
    assert display_host(host) == shown


def test_the_suite_is_the_three_wolfit_commands_in_starting_order() -> None:
    specs = suite_services(Settings(host="0.0.0.0", web_port=9080, activity_port=9081))  # noqa: S104
    assert [spec.name for spec in specs] == ["activity", "worker", "web"]
    for spec in specs:
        assert spec.argv == (sys.executable, "-m", "src.cli", spec.name)
        assert spec.shown_command() == f"wolfit {spec.name}"
    assert [spec.url for spec in specs] == [
        "http://127.0.0.1:9081/",
        None,
        "http://127.0.0.1:9080/",
    ]
    assert [spec.shown_where(pid=7) for spec in specs] == [
        "http://127.0.0.1:9081/",
        "pid 7",
        f"http://127.0.0.1:9080/ ({DEFAULT_WEB_PROCESSES} processes, WEB_PROCESSES)",
    ]


def test_the_table_shows_how_many_web_processes_serve() -> None:
    (web,) = [spec for spec in suite_services(Settings(web_processes=1)) if spec.name == "web"]
    assert web.shown_where(pid=7) == "http://127.0.0.1:8080/ (1 process, WEB_PROCESSES)"


async def test_the_worker_probe_knows_its_own_worker_by_pid(redis_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "ACTIVITY_TOKEN": TEST_TOKEN,
        "ACTIVITY_URL": "http://127.0.0.1:9",  # nothing there: the worker starts anyway
        "WOLFIT_VAR_DIR": str(tmp_path / "var"),
    }
    output = ServiceOutput("worker", Terminal(["worker"], RecordingStream()), tmp_path)
    worker = ChildProcess("worker", [sys.executable, "-m", "src.cli", "worker"], env, output)
    stranger = ChildProcess(
        "other", [sys.executable, "-c", "import time; time.sleep(600)"], env, output
    )
    async with aiohttp.ClientSession() as http:
        client = aioredis.from_url(redis_url)
        probe = worker_probe(ProbeContext(http, client))
        try:
            await worker.start()
            await stranger.start()
            await wait_healthy(worker, probe, within=60)
            # A live worker on the same Redis does not make another process look healthy.
            assert await probe(stranger) == (
                f"no live heartbeat from worker pid {stranger.pid} on {socket.gethostname()}"
            )
        finally:
            await worker.stop(grace=15)
            await stranger.stop(grace=15)
            await client.aclose()
            output.close()
    assert await probe_after_stop(redis_url, worker)


async def probe_after_stop(redis_url: str, worker: ChildProcess) -> bool:
    """A worker that stopped cleanly signs off: its heartbeat is gone at once."""
    async with aiohttp.ClientSession() as http:
        client = aioredis.from_url(redis_url)
        try:
            reason = await worker_probe(ProbeContext(http, client))(worker)
        finally:
            await client.aclose()
    return reason is not None and reason.startswith("no live heartbeat from worker pid")
