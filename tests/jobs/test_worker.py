"""The worker's settings class, and the `arq` command line running it for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker, create_worker, get_kwargs

from src.common.settings import Settings, SettingsError
from src.jobs import live_workers, recent_workers
from src.jobs.queue.serializer import job_deserializer, job_serializer
from src.jobs.worker.delivery import ATTEMPT_TIMEOUT, BOOKKEEPING_TIMEOUT, JOB_TIMEOUT
from src.jobs.worker.settings import worker_settings
from tests.jobs.helpers import (
    ARQ_WORKER,
    REPO,
    WOLFIT_WORKER,
    settings_env,
    wait_for,
    worker_process,
)


def test_the_settings_class_has_what_the_worker_page_promises(jobs_settings: Settings) -> None:
    cls = worker_settings(jobs_settings.model_copy(update={"worker_max_jobs": 42}))
    function, on_demand_health_check = cls.functions
    assert (function.name, function.timeout_s) == ("post_activity", JOB_TIMEOUT)
    assert on_demand_health_check.name == "check_activity_health"  # the ops API's allow-list
    [health] = cls.cron_jobs
    assert health.name == "cron:check_activity_health"
    assert health.second == {0, 10, 20, 30, 40, 50}
    assert health.run_at_startup is True
    assert cls.allow_abort_jobs is True
    assert cls.max_jobs == 42
    assert (cls.job_serializer, cls.job_deserializer) == (job_serializer, job_deserializer)
    assert cls.redis_settings.port == int(jobs_settings.redis_url.rsplit(":", 1)[1].split("/")[0])


def _as_the_command_builds_it(settings_class: type, worker_class: type[Worker]) -> Worker:
    """The worker `arq` (`create_worker`) or `wolfit worker` (`run_worker`) would run."""
    if worker_class is Worker:
        return create_worker(settings_class, handle_signals=False)
    return worker_class(**{**get_kwargs(settings_class), "handle_signals": False})


async def test_a_job_killed_mid_delivery_comes_back_within_a_minute(
    jobs_settings: Settings, worker_class: type[Worker]
) -> None:
    worker = _as_the_command_builds_it(worker_settings(jobs_settings), worker_class)
    assert type(worker) is worker_class
    # A killed worker's job runs again once its in-progress key expires: arq sets that TTL
    # (both kinds claim with it) to the longest timeout of any function or cron job + 10 s.
    assert worker.in_progress_timeout_s <= 60
    assert {"post_activity", "cron:check_activity_health"} <= set(worker.functions)
    for name, function in worker.functions.items():
        timeout = function.timeout_s or worker.job_timeout_s
        assert timeout is not None, name
        assert timeout + 10 <= 60, name
    # The delivery's own deadlines end before arq's timeout, which would drop the event.
    assert worker.functions["post_activity"].timeout_s == JOB_TIMEOUT
    assert JOB_TIMEOUT > ATTEMPT_TIMEOUT + 2 * BOOKKEEPING_TIMEOUT


def test_a_worker_needs_the_activity_token(settings: Settings, redis_url: str) -> None:
    no_token = settings.model_copy(update={"redis_url": redis_url, "activity_token": None})
    with pytest.raises(SettingsError, match="ACTIVITY_TOKEN is not set"):
        worker_settings(no_token)


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_the_package_neither_installs_uvloop_nor_reads_settings(
    settings: Settings,
) -> None:
    code = (
        "import asyncio, src.jobs; from src.jobs import create_pool, enqueue_event; "
        "print(type(asyncio.get_event_loop_policy()).__module__)"
    )
    env = {"PATH": "/usr/bin:/bin", "SLEEP_TIME": "not a number"}
    done = _run([sys.executable, "-c", code], env)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "asyncio.unix_events", "")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SLEEP_TIME", "abc", "wolfit: bad setting SLEEP_TIME='abc'"),
        ("WORKER_MAX_JOBS", "0", "wolfit: bad setting WORKER_MAX_JOBS='0'"),
        ("ACTIVITY_TOKEN", "", "wolfit: bad setting ACTIVITY_TOKEN is not set"),
    ],
)
def test_a_bad_setting_under_arq_is_one_line_and_status_2(
    jobs_settings: Settings, variable: str, value: str, message: str
) -> None:
    done = _run(ARQ_WORKER, settings_env(jobs_settings, **{variable: value}))
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [ARQ_WORKER, WOLFIT_WORKER], ids=["arq", "wolfit-worker"])
async def test_both_commands_run_the_worker_on_uvloop_and_check_sees_it(
    jobs_settings: Settings, pool: ArqRedis, tmp_path: Path, command: list[str]
) -> None:
    env = settings_env(jobs_settings, ACTIVITY_URL="http://127.0.0.1:9")
    check = [*ARQ_WORKER, "--check"]
    assert _run(check, env).returncode == 1  # no worker yet
    with worker_process(command, env, tmp_path / "worker.log") as worker:
        [live] = await wait_for(lambda: live_workers(pool), timeout=20, what="the worker's beat")
        assert (live.pid, live.loop) == (worker.pid, "uvloop")
        # arq records its health on its first poll, just after start-up.
        await wait_for(
            lambda: pool.exists("arq:queue:health-check"), timeout=10, what="arq's health key"
        )
        assert _run(check, env).returncode == 0
        assert await worker.stop() == 0
    assert _run(check, env).returncode == 1
    assert await live_workers(pool) == []
    assert [(gone.pid, gone.state) for gone in await recent_workers(pool)] == [
        (worker.pid, "stopped")
    ]
    assert "Traceback" not in worker.output()
