"""Throughput of one worker: delivered events/s against the limit `WORKER_MAX_JOBS / SLEEP_TIME`
and against that worker's own no-op ceiling, what each delivery costs in CPU and Redis, how
soon an idle worker starts a job and what it asks of Redis while idle; and what one enqueue
costs the producer. Everything shares one machine, measured in the same run.

A `redis-server`, the activity service (`python -m src.activity`, SQLite, `SLEEP_TIME`) and
one worker per measurement run as child processes in a temporary directory.

Worker kinds (`--worker`): `arq` is stock arq's `Worker` as `arq src.jobs.WorkerSettings`
runs it; `arq-joblog` the same with arq's two INFO lines per job (as before they were made
quiet); `wolfit` is `WolfitWorker`, as `wolfit worker` runs it (woken by Redis; no poll
delay). For each kind: a `noop` drain (the kind's ceiling, at the shortest `--poll-delay`),
then for each `--poll-delay` and `--queue-read-limit` a `post_activity` drain, followed by
the same worker idle (Redis commands/s) and the start latency of probe jobs enqueued one
at a time (see `throughput_runs.py`). With `--repeat N` the tables show medians.

    .venv/bin/python bench/throughput.py                      # 10,000 events, SLEEP_TIME=0.05
    .venv/bin/python bench/throughput.py --worker arq-joblog arq wolfit --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.jobs.connection import producer_pool
from src.jobs.producer import DELIVERY_FUNCTION
from src.jobs.worker import POLL_DELAY

from .enqueue_cost import EnqueueCost, cost_table, measure_enqueue_cost
from .throughput_runs import WORKER_KINDS, Drain, Run, child_worker

__all__ = ["WORKER_KINDS", "Figure", "main", "measure"]

START_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Figure:
    """One configuration's result; the costs are per job."""

    name: str  # "noop" or "post_activity"
    poll_delay: float  # arq's; the woken worker has none
    queue_read_limit: int | None  # None: arq's default, max(5 * max_jobs, 100)
    jobs: int
    seconds: float
    per_second: float
    worker_cpu: float  # CPU seconds the worker process used while it ran (imports excluded)
    failed: int
    worker: str = "arq"  # one of WORKER_KINDS
    cpu_ms_per_job: float = 0.0  # the worker's
    round_trips_per_job: float = 0.0  # the worker's, to Redis
    redis_commands_per_job: float = 0.0  # as Redis counts them: a script's inner ones too
    redis_cpu_ms_per_job: float = 0.0
    service_cpu_ms_per_job: float = 0.0  # the activity service's
    start_p50_ms: float | None = None  # enqueue call to job start, idle worker
    start_p99_ms: float | None = None
    idle_commands_per_second: float | None = None
    idle_cpu_ms_per_second: float | None = None  # the idle worker's CPU
    trickle_cpu_ms_per_job: float | None = None  # the worker's CPU per job at 100 jobs/s


def _figure(name: str, worker: str, poll_delay: float, limit: int | None, drain: Drain) -> Figure:
    per_job = 1000 / drain.jobs
    return Figure(
        name=name,
        poll_delay=poll_delay,
        queue_read_limit=limit,
        jobs=drain.jobs,
        seconds=round(drain.seconds, 3),
        per_second=round(drain.jobs / drain.seconds, 1),
        worker_cpu=round(drain.worker_cpu, 2),
        failed=drain.failed,
        worker=worker,
        cpu_ms_per_job=round(drain.worker_cpu * per_job, 3),
        round_trips_per_job=round(drain.round_trips / drain.jobs, 2),
        redis_commands_per_job=round(drain.redis_commands / drain.jobs, 2),
        redis_cpu_ms_per_job=round(drain.redis_cpu * per_job, 3),
        service_cpu_ms_per_job=round(drain.service_cpu * per_job, 3),
    )


async def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
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


async def _measure_kind(
    run: Run,
    worker: str,
    *,
    events: int,
    poll_delays: list[float],
    queue_read_limits: list[int | None],
    latency_jobs: int,
    idle_window: float,
) -> list[Figure]:
    delay, limit = min(poll_delays), queue_read_limits[0]
    figures = [
        _figure("noop", worker, delay, limit, await run.drain("noop", worker, events, delay, limit))
    ]
    for poll_delay in poll_delays if worker != "wolfit" else [delay]:
        for read_limit in queue_read_limits:
            drain = await run.drain(DELIVERY_FUNCTION, worker, events, poll_delay, read_limit)
            figure = _figure(DELIVERY_FUNCTION, worker, poll_delay, read_limit, drain)
            if latency_jobs:
                idle = await run.idle(worker, poll_delay, read_limit, latency_jobs, idle_window)
                figure = dataclasses.replace(figure, **asdict(idle))
            figures.append(figure)
    return figures


async def measure(
    *,
    events: int,
    sleep_time: float,
    max_jobs: int,
    poll_delays: list[float],
    queue_read_limits: list[int | None],
    workdir: Path,
    workers: tuple[str, ...] = ("arq", "wolfit"),
    latency_jobs: int = 400,
    idle_window: float = 10.0,
) -> list[Figure]:
    """Start Redis and the activity service in `workdir`, and measure every configuration of
    every worker kind (start latency and idle load skipped when `latency_jobs` is 0)."""
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
            await _wait_healthy(env["ACTIVITY_URL"])
            run = Run(pool, env, workdir, service.pid)
            figures = []
            for worker in workers:
                figures += await _measure_kind(
                    run, worker, events=events, poll_delays=poll_delays,
                    queue_read_limits=queue_read_limits, latency_jobs=latency_jobs,
                    idle_window=idle_window,
                )  # fmt: skip
            return figures
        finally:
            await pool.aclose()
            service.terminate()
            service.wait(15)


def _medians(runs: list[list[Any]]) -> list[Any]:
    """Field by field medians of the same configurations over several runs."""
    medians = []
    for same in zip(*runs, strict=True):
        fields: dict[str, Any] = {}
        for field in dataclasses.fields(same[0]):
            values = [getattr(item, field.name) for item in same]
            numeric = all(isinstance(value, int | float) for value in values)
            fields[field.name] = statistics.median(values) if numeric else values[0]
        medians.append(type(same[0])(**fields))
    return medians


def _label(figure: Figure) -> str:
    if figure.worker == "wolfit":
        label = f"{figure.name} wolfit (woken)"
    else:
        label = f"{figure.name} {figure.worker} poll_delay={figure.poll_delay:g}"
    return label + (f" read_limit={figure.queue_read_limit}" if figure.queue_read_limit else "")


def _table(figures: list[Figure], limit: float) -> str:
    ceilings = {figure.worker: figure.per_second for figure in figures if figure.name == "noop"}
    lines = [
        f"{'configuration':<41} {'jobs/s':>6} {'limit':>5} {'no-op':>5} | per job: "
        f"{'CPU ms':>6} {'RTs':>5} {'Redis cmds':>10} {'Redis ms':>8} {'service ms':>10} | "
        f"{'start p50/p99 ms':>16} {'trickle CPU ms':>14} | idle: {'cmd/s':>5} {'CPU ms/s':>8} "
        f"{'failed':>6}"
    ]
    for f in figures:
        start = "-" if f.start_p50_ms is None else f"{f.start_p50_ms:.1f} / {f.start_p99_ms:.1f}"
        idle = "-" if f.idle_commands_per_second is None else f"{f.idle_commands_per_second:.1f}"
        idle_cpu = "-" if f.idle_cpu_ms_per_second is None else f"{f.idle_cpu_ms_per_second:.1f}"
        trickle = "-" if f.trickle_cpu_ms_per_job is None else f"{f.trickle_cpu_ms_per_job:.3f}"
        lines.append(
            f"{_label(f):<41} {f.per_second:>6.0f} {f.per_second / limit:>5.0%} "
            f"{f.per_second / ceilings[f.worker]:>5.0%} |          "
            f"{f.cpu_ms_per_job:>6.3f} {f.round_trips_per_job:>5.2f} "
            f"{f.redis_commands_per_job:>10.2f} {f.redis_cpu_ms_per_job:>8.3f} "
            f"{f.service_cpu_ms_per_job:>10.3f} | {start:>16} {trickle:>14} |       {idle:>5} "
            f"{idle_cpu:>8} {f.failed:>6}"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/throughput.py", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=10_000, help="jobs per drain")
    parser.add_argument("--sleep-time", type=float, default=0.05, help="SLEEP_TIME of the service")
    parser.add_argument("--max-jobs", type=int, default=100, help="WORKER_MAX_JOBS")
    parser.add_argument(
        "--worker", nargs="+", choices=WORKER_KINDS, default=["arq", "wolfit"],
        help="worker kinds (arq: as `arq src.jobs.WorkerSettings`; arq-joblog: the same with "
        "arq's per-job log lines; wolfit: as `wolfit worker`)",
    )  # fmt: skip
    parser.add_argument(
        "--poll-delay", type=float, nargs="+", default=[POLL_DELAY],
        help=f"arq poll_delay values to measure (ours: {POLL_DELAY:g}; arq's default: 0.5)",
    )  # fmt: skip
    parser.add_argument(
        "--queue-read-limit", type=int, nargs="+", default=[0],
        help="arq queue_read_limit values to measure (0: arq's default, 5 * max_jobs)",
    )  # fmt: skip
    parser.add_argument(
        "--latency-jobs", type=int, default=400, help="probe jobs for start latency (0: skip)"
    )
    parser.add_argument(
        "--idle-window", type=float, default=10.0, help="seconds to count an idle worker's commands"
    )
    parser.add_argument(
        "--enqueues", type=int, default=2000, help="enqueues per producer for its cost (0: skip)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs; the tables show medians")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


async def _measure_all(
    options: argparse.Namespace, workdir: Path
) -> tuple[list[list[Figure]], list[list[EnqueueCost]]]:
    runs, costs = [], []
    for number in range(options.repeat):
        rundir = workdir / f"run-{number + 1}"
        rundir.mkdir()
        runs.append(
            await measure(
                events=options.events,
                sleep_time=options.sleep_time,
                max_jobs=options.max_jobs,
                poll_delays=options.poll_delay,
                queue_read_limits=[value or None for value in options.queue_read_limit],
                workdir=rundir,
                workers=tuple(options.worker),
                latency_jobs=options.latency_jobs,
                idle_window=options.idle_window,
            )
        )
        if options.enqueues:
            with EmbeddedRedis(rundir / "producer-redis") as redis_server:
                costs.append(await measure_enqueue_cost(redis_server.url, options.enqueues))
    return runs, costs


def main(argv: list[str] | None = None) -> int:
    """`bench/throughput.py`: measure, print tables, optionally write JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["_worker"]:
        return child_worker(args[1:])
    options = _parser().parse_args(args)
    limit = options.max_jobs / options.sleep_time if options.sleep_time else float("inf")
    with (
        tempfile.TemporaryDirectory(prefix="wolfit-throughput-") as workdir,
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        runs, costs = runner.run(_measure_all(options, Path(workdir)))
    figures: list[Figure] = _medians(runs)
    producer: list[EnqueueCost] = _medians(costs) if costs else []
    runs_note = f"medians of {options.repeat} runs" if options.repeat > 1 else "one run"
    print(
        f"one worker, WORKER_MAX_JOBS={options.max_jobs}, SLEEP_TIME={options.sleep_time:g}: "
        f"limit {limit:,.0f} events/s; each kind's no-op ceiling in the same run ({runs_note})"
    )
    print(_table(figures, limit))
    if producer:
        print()
        print(cost_table(producer))
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "limit": limit,
            "sleep_time": options.sleep_time,
            "max_jobs": options.max_jobs,
            "repeat": options.repeat,
            "figures": [asdict(figure) for figure in figures],
            "producer": [asdict(cost) for cost in producer],
            "runs": [[asdict(figure) for figure in run] for run in runs],
        }
        options.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
