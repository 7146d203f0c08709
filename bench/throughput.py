"""Throughput of one worker: delivered events/s against the limit `WORKER_MAX_JOBS / SLEEP_TIME`
and against that worker's own no-op ceiling, what each delivery costs in CPU and Redis, how
soon an idle worker starts a job and what it asks of Redis while idle; and what one enqueue
costs the producer. Everything shares one machine, measured in the same run.

A `redis-server`, the activity service (`python -m src.activity`, SQLite, `SLEEP_TIME`) and
one worker per measurement run as child processes in a temporary directory. A drain's figure
is the number of jobs over the time from the first job's start to the last finish, as arq's
results record them, so worker start-up and queue filling do not count; for deliveries, the
events the activity service stored are counted too: every job must have stored its event.

Worker kinds (`--worker`): `arq` is stock arq's `Worker` as `arq src.jobs.WorkerSettings`
runs it; `arq-joblog` the same with arq's two INFO lines per job (as before they were made
quiet); `wolfit` is `WolfitWorker`, as `wolfit worker` runs it (woken by Redis; no poll
delay). For each kind: a `noop` drain (the kind's ceiling, at the shortest `--poll-delay`),
then for each `--poll-delay` and `--queue-read-limit` a `post_activity` drain, followed by
the same worker idle (Redis commands/s) and the start latency of probe jobs enqueued one
at a time (see `throughput_runs.py`). With `--repeat N` the tables show medians.

Placement `pinned` (the default with 2+ CPUs): the worker alone on one core, Redis, the
activity service and this process on another, as if the worker had its machine to itself;
`shared`: everything anywhere.

    python -m bench throughput                    # 10,000 events, SLEEP_TIME=0.05, arq and wolfit
    python -m bench throughput --worker arq-joblog arq wolfit --repeat 3
    python -m bench throughput --markdown         # Markdown tables of docs/bench/throughput.json
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import aiohttp
import uvloop
from mirakuru.exceptions import ExecutorError
from redis.exceptions import RedisError

from bench.enqueue_cost import EnqueueCost, measure_enqueue_cost
from bench.machine import run_header
from bench.options import BenchParser, add_report_options, chosen_placement, integer, number
from bench.placement import Placement, pinned_self, place_running, placed_command
from bench.report_file import print_markdown_tables
from bench.throughput_report import markdown, table, write_report
from bench.throughput_runs import Figure, Run, figure_of, medians
from bench.throughput_worker import WORKER_KINDS
from src.common.embedded_redis import EmbeddedRedis, free_port
from src.jobs.queue.connections import producer_pool
from src.jobs.queue.producer import DELIVERY_FUNCTION
from src.jobs.worker.settings import POLL_DELAY

__all__ = ["WORKER_KINDS", "Figure", "main", "measure"]

START_TIMEOUT = 30.0
MAX_JOBS = 10_000  # the most WORKER_MAX_JOBS allows (src/common/settings.py)


def lost_events(runs: list[list[Figure]]) -> list[str]:
    """The configurations of any run with a failed job or an event not stored."""
    return [
        f"{figure.name} {figure.worker} poll_delay={figure.poll_delay:g} (run {number})"
        for number, figures in enumerate(runs, start=1)
        for figure in figures
        if figure.failed or (figure.stored is not None and figure.stored != figure.jobs)
    ]


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
    noop = await run.drain("noop", worker, events, delay, limit)
    figures = [figure_of("noop", worker, delay, limit, noop)]
    for poll_delay in poll_delays if worker != "wolfit" else [delay]:
        for read_limit in queue_read_limits:
            drain = await run.drain(DELIVERY_FUNCTION, worker, events, poll_delay, read_limit)
            figure = figure_of(DELIVERY_FUNCTION, worker, poll_delay, read_limit, drain)
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
    placement: Placement | None = None,
) -> list[Figure]:
    """Start Redis and the activity service in `workdir`, and measure every configuration of
    every worker kind (start latency and idle load skipped when `latency_jobs` is 0)."""
    placement = placement or Placement("shared")
    token = secrets.token_urlsafe(24)
    port = free_port()
    with EmbeddedRedis(workdir / "redis") as redis_server:
        if redis_server.pid is not None:
            place_running(redis_server.pid, placement.client)
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
        command = placed_command([sys.executable, "-m", "src.activity"], placement.client)
        with (workdir / "activity.log").open("wb") as log:
            # Started once, before any timing; the command is ours.
            service = subprocess.Popen(  # noqa: ASYNC220, S603
                command, env=env, stdout=log, stderr=log
            )
        pool = producer_pool(redis_server.url)
        activity = aiohttp.ClientSession(
            env["ACTIVITY_URL"], headers={"Authorization": f"Bearer {token}"}
        )
        try:
            await _wait_healthy(env["ACTIVITY_URL"])
            run = Run(
                pool, env, workdir, service=service.pid, activity=activity, place=placement.subject
            )
            figures = []
            for worker in workers:
                figures += await _measure_kind(
                    run, worker, events=events, poll_delays=poll_delays,
                    queue_read_limits=queue_read_limits, latency_jobs=latency_jobs,
                    idle_window=idle_window,
                )  # fmt: skip
            return figures
        finally:
            await activity.close()
            await pool.aclose()
            service.terminate()
            service.wait(15)


async def _measure_all(
    options: argparse.Namespace, workdir: Path, placement: Placement
) -> tuple[list[list[Figure]], list[list[EnqueueCost]]]:
    """Every run's figures, and the producer's enqueue costs (each run on fresh services)."""
    runs, costs = [], []
    for run_number in range(1, options.repeat + 1):
        if options.repeat > 1:
            print(f"run {run_number} of {options.repeat}", flush=True)
        rundir = workdir / f"run-{run_number}"
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
                placement=placement,
            )
        )
        if options.enqueues:
            with EmbeddedRedis(rundir / "producer-redis") as redis_server:
                if redis_server.pid is not None:
                    place_running(redis_server.pid, placement.client)
                costs.append(await measure_enqueue_cost(redis_server.url, options.enqueues))
    return runs, costs


def _parser() -> BenchParser:
    parser = BenchParser(
        prog="python -m bench throughput",
        description="Events/s one worker of each kind delivers, against WORKER_MAX_JOBS / "
        "SLEEP_TIME and against the same worker running no-op jobs, with the cost per job, "
        "an idle worker's start latency and load, and the producer's cost per enqueue.",
    )
    parser.add_argument("--events", type=integer(1), default=10_000, help="jobs per drain (10000)")
    parser.add_argument(
        "--sleep-time", type=number(0), default=0.05, help="SLEEP_TIME of the service (0.05)"
    )
    parser.add_argument("--max-jobs", type=integer(1), default=100, help="WORKER_MAX_JOBS (100)")
    parser.add_argument(
        "--worker", nargs="+", choices=WORKER_KINDS, default=["arq", "wolfit"],
        help="worker kinds (arq: as `arq src.jobs.WorkerSettings`; arq-joblog: the same with "
        "arq's per-job log lines; wolfit: as `wolfit worker`; default: arq wolfit)",
    )  # fmt: skip
    parser.add_argument(
        "--poll-delay", type=number(0.001), nargs="+", default=[POLL_DELAY],
        help=f"arq poll_delay values to measure (ours: {POLL_DELAY:g}; arq's default: 0.5)",
    )  # fmt: skip
    parser.add_argument(
        "--queue-read-limit", type=integer(0), nargs="+", default=[0],
        help="arq queue_read_limit values to measure (0: arq's default, 5 * max_jobs)",
    )  # fmt: skip
    parser.add_argument(
        "--latency-jobs", type=integer(0), default=400,
        help="probe jobs for an idle worker's start latency (400; 0: skip the idle run)",
    )  # fmt: skip
    parser.add_argument(
        "--idle-window", type=number(0.1), default=10.0,
        help="seconds to count an idle worker's Redis commands and CPU (10)",
    )  # fmt: skip
    parser.add_argument(
        "--enqueues", type=integer(0), default=2000,
        help="enqueues per producer for the cost of one (2000; 0: skip)",
    )  # fmt: skip
    parser.add_argument(
        "--repeat", type=integer(1), default=1, help="runs; the tables show medians (1)"
    )
    parser.add_argument(
        "--placement", choices=("pinned", "shared"),
        help="pinned: the worker alone on a core; shared: anywhere (pinned with 2+ CPUs)",
    )  # fmt: skip
    add_report_options(parser, "throughput")
    return parser


def main(argv: list[str] | None = None) -> int:
    """`python -m bench throughput`: measure, print the tables, write OUT/throughput.json."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    options = parser.parse_args(args)
    if options.max_jobs > MAX_JOBS:  # else every process of the run refuses its settings
        parser.error(f"argument --max-jobs: WORKER_MAX_JOBS is at most {MAX_JOBS}")
    for name in ("worker", "poll_delay", "queue_read_limit"):  # each value measured once
        setattr(options, name, list(dict.fromkeys(getattr(options, name))))
    path = options.out / "throughput.json"
    if options.markdown:
        unreadable = (OSError, ValueError, KeyError, TypeError)
        return print_markdown_tables(path, "throughput", markdown, unreadable)
    placement = chosen_placement(parser, options)
    try:  # before minutes of measuring, not after
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"argument --out: cannot write to {options.out}: {exc.strerror or exc}")
    header = run_header("throughput", args)
    print(
        f"throughput: one worker of each kind ({' '.join(options.worker)}), "
        f"WORKER_MAX_JOBS={options.max_jobs}, SLEEP_TIME={options.sleep_time:g}, "
        f"{options.events} events per drain, placement {placement.name}",
        flush=True,
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wolfit-throughput-") as workdir,
            pinned_self(placement.client),
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            runs, costs = runner.run(_measure_all(options, Path(workdir), placement))
    except KeyboardInterrupt:
        print("python -m bench throughput: interrupted; nothing written", file=sys.stderr)
        return 130
    # A service that failed to start or answer, or a worker that exited with an error.
    except (RuntimeError, TimeoutError, aiohttp.ClientError, RedisError, ExecutorError) as exc:
        print(f"python -m bench throughput: the run failed: {exc}", file=sys.stderr)
        return 1
    figures: list[Figure] = medians(runs)
    producer: list[EnqueueCost] = medians(costs) if costs else []
    report = write_report(options.out, header, options, placement, figures, producer, runs)
    print(table(report))
    print(f"figures: {path}")
    lost = lost_events(runs)
    if lost:
        print(
            f"python -m bench throughput: jobs failed or events not stored: {', '.join(lost)}",
            file=sys.stderr,
        )
        return 1
    return 0
