"""Throughput of one worker: delivered events/s against the limit `WORKER_MAX_JOBS / SLEEP_TIME`
and against arq's own no-op ceiling, measured in the same run on the same machine.

Everything runs as child processes in a temporary directory: a `redis-server`, the activity
service (`python -m src.activity`, SQLite, `SLEEP_TIME`), and for each configuration one
worker in burst mode on a queue filled beforehand. The figure of a configuration is the number
of jobs over the time from the first job's start to the last job's finish, as arq's results
record them, so worker start-up and queue filling do not count.

Configurations: `noop` (stock arq, a job that does nothing: the ceiling, at the shortest poll
delay and the first read limit), and `post_activity` (the real worker, `worker_settings`) at
each `--poll-delay` and `--queue-read-limit`. All use `WORKER_MAX_JOBS` jobs at once, the JSON
serializer and uvloop.

    .venv/bin/python bench/throughput.py                       # 10,000 events, SLEEP_TIME=0.05
    .venv/bin/python bench/throughput.py --events 20000 --poll-delay 0.5 0.05 0.005
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from arq.connections import ArqRedis
from arq.jobs import deserialize_result
from arq.worker import func

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.events import ActivityEvent
from src.common.settings import load_settings
from src.jobs.connection import producer_pool
from src.jobs.producer import enqueue_event
from src.jobs.serializer import job_deserializer
from src.jobs.supervised import run_supervised
from src.jobs.worker import POLL_DELAY, install_uvloop, worker_settings

__all__ = ["Figure", "main", "measure"]

ENQUEUE_BATCH = 200
READ_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Figure:
    """One configuration's result."""

    name: str
    poll_delay: float
    queue_read_limit: int | None  # None: arq's default, max(5 * max_jobs, 100)
    jobs: int
    seconds: float
    per_second: float
    worker_cpu: float  # CPU seconds the worker process used, start-up included
    failed: int


async def noop(ctx: dict[str, Any], event: Any, **options: Any) -> dict[str, Any]:
    """The ceiling's job: takes the same argument as `post_activity`, does nothing."""
    return {"delivered": False}


def _child_worker(kind: str, poll_delay: float, queue_read_limit: int | None) -> int:
    """In a child process: run one worker in burst mode with the settings of the environment."""
    install_uvloop()
    settings = load_settings()
    overrides: dict[str, Any] = {"poll_delay": poll_delay}
    if queue_read_limit:
        overrides["queue_read_limit"] = queue_read_limit
    if kind == "noop":
        overrides.update(functions=[func(noop, name="noop", keep_result=3600)], cron_jobs=[])
    settings_class = worker_settings(settings, **overrides)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return int(runner.run(run_supervised(settings_class, burst=True)))


async def _fill(pool: ArqRedis, count: int, function: str) -> list[str]:
    events = [
        ActivityEvent.new("bench.event", details=f"event {n}", user_id=n, username="bench")
        for n in range(count)
    ]
    for start in range(0, count, ENQUEUE_BATCH):
        batch = events[start : start + ENQUEUE_BATCH]
        if function == "post_activity":
            await asyncio.gather(*(enqueue_event(pool, event) for event in batch))
        else:
            await asyncio.gather(
                *(
                    pool.enqueue_job(function, event.to_json_dict(), _job_id=str(event.id))
                    for event in batch
                )
            )
    return [str(event.id) for event in events]


async def _span(pool: ArqRedis, ids: list[str]) -> tuple[float, int]:
    """Seconds from the first start to the last finish among the jobs' results; failures."""
    first, last, failed = float("inf"), 0.0, 0
    for start in range(0, len(ids), READ_BATCH):
        raws = await pool.mget(
            [f"arq:result:{job_id}" for job_id in ids[start : start + READ_BATCH]]
        )
        for raw in raws:
            if raw is None:
                failed += 1
                continue
            result = deserialize_result(raw, deserializer=job_deserializer)
            failed += not result.success
            first = min(first, result.start_time.timestamp())
            last = max(last, result.finish_time.timestamp())
    return last - first, failed


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _run_one(
    pool: ArqRedis,
    env: dict[str, str],
    log_dir: Path,
    *,
    kind: str,
    events: int,
    poll_delay: float,
    queue_read_limit: int | None,
) -> Figure:
    await pool.flushdb()
    function = "post_activity" if kind == "post_activity" else "noop"
    ids = await _fill(pool, events, function)
    name = f"{kind}-{poll_delay:g}-{queue_read_limit or 'default'}"
    command = [
        sys.executable, "-m", "src.bench.throughput", "_worker", kind, str(poll_delay),
        str(queue_read_limit or 0),
    ]  # fmt: skip
    cpu_before = _children_cpu()
    with (log_dir / f"{name}.log").open("wb") as log:
        child = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
        status = await child.wait()
    if status != 0:
        raise RuntimeError(f"the {name} worker exited with status {status}; see {log_dir}")
    seconds, failed = await _span(pool, ids)
    return Figure(
        name=kind,
        poll_delay=poll_delay,
        queue_read_limit=queue_read_limit,
        jobs=events,
        seconds=round(seconds, 3),
        per_second=round(events / seconds, 1),
        worker_cpu=round(_children_cpu() - cpu_before, 2),
        failed=failed,
    )


async def _wait_healthy(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the activity service at {url} did not start")
            await asyncio.sleep(0.1)


async def measure(
    *,
    events: int,
    sleep_time: float,
    max_jobs: int,
    poll_delays: list[float],
    queue_read_limits: list[int | None],
    workdir: Path,
) -> list[Figure]:
    """Start Redis and the activity service in `workdir`, and measure every configuration."""
    token = secrets.token_urlsafe(24)
    port = free_port()
    with EmbeddedRedis(workdir / "redis") as redis_server:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "REDIS_URL": redis_server.url,
            "ACTIVITY_URL": f"http://127.0.0.1:{port}",
            "ACTIVITY_PORT": str(port),
            "ACTIVITY_TOKEN": token,
            "ACTIVITY_DB_URL": f"sqlite:///{workdir / 'activity.sqlite3'}",
            "SLEEP_TIME": str(sleep_time),
            "WORKER_MAX_JOBS": str(max_jobs),
            "WOLFIT_VAR_DIR": str(workdir / "var"),
        }
        with (workdir / "activity.log").open("wb") as log:
            service = subprocess.Popen(  # noqa: ASYNC220 (started once, before any timing)
                [sys.executable, "-m", "src.activity"], env=env, stdout=log, stderr=log
            )
        pool = producer_pool(redis_server.url)
        try:
            await _wait_healthy(env["ACTIVITY_URL"], time.monotonic() + 30)
            figures = [
                await _run_one(
                    pool, env, workdir, kind="noop", events=events,
                    poll_delay=min(poll_delays), queue_read_limit=queue_read_limits[0],
                )
            ]  # fmt: skip
            for poll_delay in poll_delays:
                for queue_read_limit in queue_read_limits:
                    figures.append(
                        await _run_one(
                            pool, env, workdir, kind="post_activity", events=events,
                            poll_delay=poll_delay, queue_read_limit=queue_read_limit,
                        )
                    )  # fmt: skip
            return figures
        finally:
            await pool.aclose()
            service.terminate()
            service.wait(15)


def _table(figures: list[Figure], limit: float) -> str:
    ceiling = figures[0].per_second
    lines = [
        f"{'configuration':<52} {'jobs':>7} {'seconds':>8} {'jobs/s':>8} "
        f"{'of limit':>9} {'of no-op':>9} {'worker CPU s':>13} {'failed':>7}"
    ]
    for figure in figures:
        label = f"{figure.name} poll_delay={figure.poll_delay:g}"
        if figure.queue_read_limit:
            label += f" queue_read_limit={figure.queue_read_limit}"
        lines.append(
            f"{label:<52} {figure.jobs:>7} {figure.seconds:>8.2f} {figure.per_second:>8.0f} "
            f"{figure.per_second / limit:>9.0%} {figure.per_second / ceiling:>9.0%} "
            f"{figure.worker_cpu:>13.1f} {figure.failed:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`bench/throughput.py`: measure, print a table, optionally write JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["_worker"]:
        kind, poll_delay, read_limit = args[1], float(args[2]), int(args[3])
        return _child_worker(kind, poll_delay, read_limit or None)
    parser = argparse.ArgumentParser(
        prog="bench/throughput.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=10_000, help="jobs per configuration")
    parser.add_argument("--sleep-time", type=float, default=0.05, help="SLEEP_TIME of the service")
    parser.add_argument("--max-jobs", type=int, default=100, help="WORKER_MAX_JOBS")
    parser.add_argument(
        "--poll-delay", type=float, nargs="+", default=[0.5, POLL_DELAY],
        help=f"arq poll_delay values to measure (0.5: arq's default; {POLL_DELAY:g}: ours)",
    )  # fmt: skip
    parser.add_argument(
        "--queue-read-limit", type=int, nargs="+", default=[0],
        help="arq queue_read_limit values to measure (0: arq's default, 5 * max_jobs)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(args)
    limit = options.max_jobs / options.sleep_time if options.sleep_time else float("inf")
    with (
        tempfile.TemporaryDirectory(prefix="wolfit-throughput-") as workdir,
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        figures = runner.run(
            measure(
                events=options.events,
                sleep_time=options.sleep_time,
                max_jobs=options.max_jobs,
                poll_delays=options.poll_delay,
                queue_read_limits=[value or None for value in options.queue_read_limit],
                workdir=Path(workdir),
            )
        )
    print(
        f"one worker, WORKER_MAX_JOBS={options.max_jobs}, SLEEP_TIME={options.sleep_time:g}: "
        f"limit {limit:,.0f} events/s; no-op ceiling measured in the same run"
    )
    print(_table(figures, limit))
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "limit": limit,
            "sleep_time": options.sleep_time,
            "max_jobs": options.max_jobs,
            "figures": [asdict(figure) for figure in figures],
        }
        options.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
