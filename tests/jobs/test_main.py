"""`wolfit worker`: arq's options, one-line errors, burst mode."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from src.common.embedded_redis import free_port
from src.common.settings import Settings
from src.jobs import DeadLetterStore, WorkerInfo, live_workers, recent_workers
from tests.jobs.helpers import REPO, WOLFIT_WORKER, settings_env, wait_for, worker_process


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WOLFIT_WORKER, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_help_names_arqs_options(jobs_settings: Settings) -> None:
    done = _run(["--help"], settings_env(jobs_settings))
    assert done.returncode == 0
    for option in ("--burst", "--check", "--watch DIR", "--verbose"):
        assert option in done.stdout


def test_check_without_redis_is_one_line_and_status_1(settings: Settings) -> None:
    env = settings_env(settings, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    done = _run(["--check"], env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("wolfit worker: Redis is unreachable")
    assert "Traceback" not in done.stdout + done.stderr


def test_watch_wants_a_directory(jobs_settings: Settings) -> None:
    done = _run(["--watch", "/no/such/dir"], settings_env(jobs_settings))
    assert done.returncode == 2
    assert "--watch: '/no/such/dir' is not a directory" in done.stderr


def test_a_bad_setting_is_one_line_and_status_2(jobs_settings: Settings) -> None:
    done = _run([], settings_env(jobs_settings, DELIVERY_MAX_TRIES="many"))
    assert done.returncode == 2
    assert done.stderr.startswith("wolfit: bad setting DELIVERY_MAX_TRIES='many'")
    assert done.stderr.count("\n") == 1


async def test_burst_mode_empties_the_queue_and_exits(
    jobs_settings: Settings, pool: ArqRedis
) -> None:
    # A malformed job argument needs no activity service: it becomes a dead letter at once.
    await pool.enqueue_job("post_activity", {"not": "an event"}, _job_id="malformed")
    env = settings_env(jobs_settings, ACTIVITY_URL="http://127.0.0.1:9")
    done = _run(["--burst"], env)
    assert done.returncode == 0, done.stderr
    entry = await DeadLetterStore(pool).get("malformed")
    assert entry is not None
    assert (entry.reason, entry.tries, entry.event) == ("invalid", 1, {"not": "an event"})
    assert "the job's argument is not a valid event" in entry.error
    assert "details: Field required" in entry.error
    assert await pool.zcard("arq:queue") == 0
    assert await live_workers(pool) == []
    assert [worker.state for worker in await recent_workers(pool)] == ["stopped"]


@pytest.mark.slow
async def test_watch_reloads_the_worker_when_a_file_changes(
    jobs_settings: Settings, pool: ArqRedis, tmp_path: Path
) -> None:
    watched = tmp_path / "code"
    watched.mkdir()
    env = settings_env(jobs_settings, ACTIVITY_URL="http://127.0.0.1:9")
    command = [*WOLFIT_WORKER, "--watch", str(watched)]
    with worker_process(command, env, tmp_path / "worker.log") as worker:
        [first] = await wait_for(lambda: live_workers(pool), timeout=20, what="the worker")
        (watched / "module.py").write_text("changed = True\n")

        async def reloaded() -> list[WorkerInfo]:
            return [w for w in await live_workers(pool) if w.id != first.id]

        [second] = await wait_for(reloaded, timeout=20, what="the reloaded worker")
        assert second.pid == worker.pid
        assert await worker.stop() == 0
