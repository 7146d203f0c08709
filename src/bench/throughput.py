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
serializer and uvloop. For `post_activity`, the events the activity service stored are
counted too: every job must have stored its event.

Placement `pinned` (the default with 2+ CPUs): the worker alone on one core, Redis, the
activity service and this process on another, as if the worker had its machine to itself;
`shared`: everything anywhere.

    wolfit bench throughput                    # 10,000 events, SLEEP_TIME=0.05, 100 jobs at once
    wolfit bench throughput --events 20000 --poll-delay 0.5 0.05 0.005
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop
from arq.connections import ArqRedis
from arq.jobs import deserialize_result

from src.common.embedded_redis import EmbeddedRedis, free_port
from src.common.events import ActivityEvent
from src.jobs.connection import producer_pool
from src.jobs.producer import enqueue_event
from src.jobs.serializer import job_deserializer
from src.jobs.worker import POLL_DELAY

from .machine import run_header
from .options import BenchParser, integer, number
from .placement import (
    Place,
    Placement,
    PlacementUnavailable,
    available_cpus,
    pinned_self,
    place_running,
    placed_command,
    plan,
)
from .suite import cpu_seconds
from .throughput_report import markdown, read_report, table, write_report

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
    activity_cpu: float | None  # CPU seconds of the activity service meanwhile
    redis_cpu: float | None  # CPU seconds of Redis meanwhile
    failed: int
    stored: int | None  # events the activity service stored (None for no-op jobs)


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


def _used(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else round(after - before, 2)


async def _stored_total(session: aiohttp.ClientSession) -> int:
    async with session.get("/api/stats", params={"minutes": "1"}) as response:
        response.raise_for_status()
        return int((await response.json())["stored_total"])


async def _run_one(
    pool: ArqRedis,
    env: dict[str, str],
    log_dir: Path,
    activity: aiohttp.ClientSession,
    *,
    pids: dict[str, int],
    place: Place,
    kind: str,
    events: int,
    poll_delay: float,
    queue_read_limit: int | None,
) -> Figure:
    await pool.flushdb()
    function = "post_activity" if kind == "post_activity" else "noop"
    ids = await _fill(pool, events, function)
    name = f"{kind}-{poll_delay:g}-{queue_read_limit or 'default'}"
    command = placed_command([
        sys.executable, "-m", "src.bench.throughput_worker", kind, str(poll_delay),
        str(queue_read_limit or 0),
    ], place)  # fmt: skip
    stored_before = await _stored_total(activity)
    cpu_before = _children_cpu()
    others_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    with (log_dir / f"{name}.log").open("wb") as log:
        child = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
        status = await child.wait()
    if status != 0:
        raise RuntimeError(f"the {name} worker exited with status {status}; see {log_dir}")
    others = {name: _used(cpu_seconds(pid), others_before[name]) for name, pid in pids.items()}
    seconds, failed = await _span(pool, ids)
    stored = await _stored_total(activity) - stored_before if kind == "post_activity" else None
    return Figure(
        name=kind,
        poll_delay=poll_delay,
        queue_read_limit=queue_read_limit,
        jobs=events,
        seconds=round(seconds, 3),
        per_second=round(events / seconds, 1),
        worker_cpu=round(_children_cpu() - cpu_before, 2),
        activity_cpu=others.get("activity"),
        redis_cpu=others.get("redis"),
        failed=failed,
        stored=stored,
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
    placement: Placement | None = None,
) -> list[Figure]:
    """Start Redis and the activity service in `workdir`, and measure every configuration."""
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
            await _wait_healthy(env["ACTIVITY_URL"], time.monotonic() + 30)
            configurations = [("noop", min(poll_delays), queue_read_limits[0])] + [
                ("post_activity", poll_delay, queue_read_limit)
                for poll_delay in poll_delays
                for queue_read_limit in queue_read_limits
            ]
            pids = {"activity": service.pid}
            if redis_server.pid is not None:
                pids["redis"] = redis_server.pid
            return [
                await _run_one(
                    pool,
                    env,
                    workdir,
                    activity,
                    pids=pids,
                    place=placement.subject,
                    kind=kind,
                    events=events,
                    poll_delay=poll_delay,
                    queue_read_limit=queue_read_limit,
                )
                for kind, poll_delay, queue_read_limit in configurations
            ]
        finally:
            await activity.close()
            await pool.aclose()
            service.terminate()
            service.wait(15)


def _parser() -> BenchParser:
    parser = BenchParser(
        prog="wolfit bench throughput",
        description="Events/s one worker delivers, against WORKER_MAX_JOBS / SLEEP_TIME and "
        "against arq running no-op jobs, measured in the same run.",
    )
    parser.add_argument(
        "--events", type=integer(1), default=10_000, help="jobs per configuration (10000)"
    )
    parser.add_argument(
        "--sleep-time", type=number(0), default=0.05, help="SLEEP_TIME of the service (0.05)"
    )
    parser.add_argument("--max-jobs", type=integer(1), default=100, help="WORKER_MAX_JOBS (100)")
    parser.add_argument(
        "--poll-delay", type=number(0.001), nargs="+", default=[POLL_DELAY],
        help=f"arq poll_delay values to measure (ours: {POLL_DELAY:g}; arq's default: 0.5)",
    )  # fmt: skip
    parser.add_argument(
        "--queue-read-limit", type=integer(0), nargs="+", default=[0],
        help="arq queue_read_limit values to measure (0: arq's default, 5 * max_jobs)",
    )  # fmt: skip
    parser.add_argument(
        "--placement", choices=("pinned", "shared"),
        help="pinned: the worker alone on a core; shared: anywhere (pinned with 2+ CPUs)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=Path("docs/bench"),
        help="directory for throughput.json (docs/bench)",
    )  # fmt: skip
    parser.add_argument(
        "--markdown", action="store_true",
        help="print the README table of OUT/throughput.json and exit (no run)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """`wolfit bench throughput`: measure, print a table, write OUT/throughput.json."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    options = parser.parse_args(args)
    path = options.out / "throughput.json"
    if options.markdown:
        try:
            print(markdown(read_report(path)))
        except (OSError, ValueError, KeyError) as exc:
            print(f"wolfit bench throughput: cannot read {path}: {exc}", file=sys.stderr)
            return 1
        return 0
    if options.placement is None:
        options.placement = "pinned" if len(available_cpus()) >= 2 else "shared"
    try:
        placement = plan(options.placement)
    except PlacementUnavailable as exc:
        parser.error(f"argument --placement: {exc}")
    header = run_header("throughput", args)
    print(
        f"throughput: one worker, WORKER_MAX_JOBS={options.max_jobs}, "
        f"SLEEP_TIME={options.sleep_time:g}, {options.events} events per configuration, "
        f"placement {placement.name}",
        flush=True,
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wolfit-throughput-") as workdir,
            pinned_self(placement.client),
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
                    placement=placement,
                )
            )
    except KeyboardInterrupt:
        print("wolfit bench throughput: interrupted; nothing written", file=sys.stderr)
        return 130
    except (RuntimeError, TimeoutError, aiohttp.ClientError) as exc:  # a service that failed
        print(f"wolfit bench throughput: the run failed: {exc}", file=sys.stderr)
        return 1
    report = write_report(options.out, header, options, placement, figures)
    print(table(report))
    print(f"figures: {path}")
    lost = [f for f in figures if f.failed or (f.stored is not None and f.stored != f.jobs)]
    return 1 if lost else 0
