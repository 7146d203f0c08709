"""The measurements behind `throughput.py`: one worker child process per run, and what it cost.

A drain fills the queue, runs one worker in burst mode and reads arq's results: jobs over the
time from the first start to the last finish. Costs per job: the worker's CPU (its own
count, imports excluded) and Redis round trips (counted on its connections), Redis's
commands (a script's inner commands included, as Redis counts them) and CPU, and the activity
service's CPU. An idle run starts a worker, counts the Redis commands it sends and the CPU it
uses while idle, then enqueues probe jobs one at a time (100/s) and takes the time from the
enqueue call to the start, and the worker's CPU per probe.
"""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop
from arq.connections import ArqRedis
from arq.jobs import JobResult, deserialize_result
from arq.worker import Worker, func

from src.common.events import ActivityEvent
from src.common.settings import load_settings
from src.jobs.connection import producer_pool
from src.jobs.job_lines import JOB_LINES
from src.jobs.producer import enqueue_once
from src.jobs.serializer import job_deserializer
from src.jobs.supervised import run_supervised
from src.jobs.woken_worker import WolfitWorker
from src.jobs.worker import install_uvloop, worker_settings

from .enqueue_cost import CountingConnection
from .suite import cpu_seconds

__all__ = ["WORKER_KINDS", "Drain", "Idle", "Run", "child_worker"]

WORKER_KINDS = ("arq", "arq-joblog", "wolfit")
ENQUEUE_BATCH = 200
READ_BATCH = 1000
LATENCY_RATE = 100.0  # probe jobs per second, one at a time
WAIT_TIMEOUT = 60.0


async def noop(ctx: dict[str, Any], event: Any, **options: Any) -> dict[str, Any]:
    """The ceiling's job: takes the same argument as `post_activity`, does nothing."""
    return {"delivered": False}


async def probe(ctx: dict[str, Any], sent_at: float) -> float:
    """The latency job: seconds since the producer was called (same machine, same clock)."""
    return time.time() - sent_at


def child_worker(argv: list[str]) -> int:
    """In a child process: `function worker poll_delay read_limit burst report`. Runs one
    worker with the settings of the environment and writes its CPU and round trips."""
    function, worker, poll_delay, read_limit, burst, report = argv
    install_uvloop()
    settings = load_settings()
    overrides: dict[str, Any] = {"poll_delay": float(poll_delay)}
    if int(read_limit):
        overrides["queue_read_limit"] = int(read_limit)
    if function == "noop":
        overrides.update(functions=[func(noop, name="noop", keep_result=3600)], cron_jobs=[])
    elif function == "probe":
        delivery = vars(worker_settings(settings))["functions"]
        overrides["functions"] = [*delivery, func(probe, name="probe", keep_result=3600)]
    settings_class = worker_settings(settings, **overrides)
    JOB_LINES.show = worker == "arq-joblog"
    worker_class = WolfitWorker if worker == "wolfit" else Worker
    # The worker's pool, as arq would make it (no command timeout), counting round trips.
    assert settings.redis_url is not None
    pool = producer_pool(
        settings.redis_url, socket_timeout=None, connection_class=CountingConnection
    )
    started = resource.getrusage(resource.RUSAGE_SELF)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        supervised = run_supervised(
            settings_class, worker_class=worker_class, burst=burst == "1", redis_pool=pool
        )
        status = int(runner.run(supervised))
    ended = resource.getrusage(resource.RUSAGE_SELF)
    cpu = ended.ru_utime + ended.ru_stime - started.ru_utime - started.ru_stime
    Path(report).write_text(json.dumps({"cpu": cpu, "round_trips": CountingConnection.writes}))
    return status


@dataclass(frozen=True, slots=True)
class Drain:
    """What one drain measured."""

    jobs: int
    seconds: float
    failed: int
    worker_cpu: float
    round_trips: int
    redis_commands: int
    redis_cpu: float
    service_cpu: float


@dataclass(frozen=True, slots=True)
class Idle:
    """What one idle run measured."""

    start_p50_ms: float
    start_p99_ms: float
    idle_commands_per_second: float
    idle_cpu_ms_per_second: float  # the idle worker's CPU
    trickle_cpu_ms_per_job: float  # the worker's CPU per job while they come one at a time


async def _wait(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not await condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Run:
    """One bench run's Redis, environment, activity service and log directory."""

    def __init__(self, pool: ArqRedis, env: dict[str, str], workdir: Path, service: int) -> None:
        self.pool = pool
        self.env = env
        self.workdir = workdir
        self.service = service  # the activity service's pid

    async def _counters(self) -> tuple[int, float, float]:
        """Redis's commands so far, its CPU seconds, and the activity service's."""
        stats = await self.pool.info("stats")
        cpu = await self.pool.info("cpu")
        used = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
        return int(stats["total_commands_processed"]), used, cpu_seconds(self.service) or 0.0

    async def _worker(
        self, name: str, function: str, worker: str, poll_delay: float, read_limit: int | None
    ) -> tuple[asyncio.subprocess.Process, Path]:
        report = self.workdir / f"{name}.json"
        burst = "0" if function == "probe" else "1"
        command = [
            sys.executable, "-m", "src.bench.throughput", "_worker", function, worker,
            str(poll_delay), str(read_limit or 0), burst, str(report),
        ]  # fmt: skip
        with (self.workdir / f"{name}.log").open("ab") as log:
            child = await asyncio.create_subprocess_exec(
                *command, env=self.env, stdout=log, stderr=log
            )
        return child, report

    async def _ended(self, name: str, child: asyncio.subprocess.Process, report: Path) -> Any:
        status = await child.wait()
        if status != 0:
            raise RuntimeError(f"the {name} worker exited with status {status}; see {self.workdir}")
        return json.loads(await asyncio.to_thread(report.read_text))

    async def results(self, ids: list[str]) -> list[JobResult | None]:
        """arq's results of these jobs (None where missing)."""
        found: list[JobResult | None] = []
        for start in range(0, len(ids), READ_BATCH):
            keys = [f"arq:result:{job_id}" for job_id in ids[start : start + READ_BATCH]]
            for raw in await self.pool.mget(keys):
                result = (
                    None if raw is None else deserialize_result(raw, deserializer=job_deserializer)
                )
                found.append(result)
        return found

    async def _fill(self, count: int, function: str) -> list[str]:
        events = [
            ActivityEvent.new("bench.event", details=f"event {n}", user_id=n, username="bench")
            for n in range(count)
        ]
        for start in range(0, count, ENQUEUE_BATCH):
            await asyncio.gather(
                *(
                    enqueue_once(self.pool, function, event.to_json_dict(), job_id=str(event.id))
                    for event in events[start : start + ENQUEUE_BATCH]
                )
            )
        return [str(event.id) for event in events]

    async def drain(
        self, function: str, worker: str, events: int, poll_delay: float, read_limit: int | None
    ) -> Drain:
        """Fill the queue with `events` jobs of `function`, let one worker empty it."""
        await self.pool.flushdb()
        ids = await self._fill(events, function)
        name = f"{worker}-{function}-{poll_delay:g}-{read_limit or 'default'}"
        before = await self._counters()
        child, report = await self._worker(name, function, worker, poll_delay, read_limit)
        worker_report = await self._ended(name, child, report)
        after = await self._counters()
        first, last, failed = float("inf"), 0.0, 0
        for result in await self.results(ids):
            if result is None or not result.success:
                failed += 1
                continue
            first = min(first, result.start_time.timestamp())
            last = max(last, result.finish_time.timestamp())
        return Drain(
            jobs=events,
            seconds=last - first,
            failed=failed,
            worker_cpu=float(worker_report["cpu"]),
            round_trips=int(worker_report["round_trips"]),
            redis_commands=after[0] - before[0],
            redis_cpu=after[1] - before[1],
            service_cpu=after[2] - before[2],
        )

    async def idle(
        self, worker: str, poll_delay: float, read_limit: int | None, jobs: int, window: float
    ) -> Idle:
        """An idle worker's Redis commands per second, then its start latency p50/p99."""
        await self.pool.flushdb()
        name = f"{worker}-idle-{poll_delay:g}-{read_limit or 'default'}"
        child, report = await self._worker(name, "probe", worker, poll_delay, read_limit)

        async def settled() -> bool:  # health recorded, start-up health check run
            ready = await self.pool.exists("arq:queue:health-check")
            return bool(ready) and await self.pool.zcard("arq:queue") == 0

        await _wait(settled, f"the {worker} worker to start")
        before, idle_cpu = await self._counters(), cpu_seconds(child.pid) or 0.0
        await asyncio.sleep(window)
        after, idle_cpu = await self._counters(), (cpu_seconds(child.pid) or 0.0) - idle_cpu
        ids = [f"probe-{n}" for n in range(jobs)]
        trickle_cpu = cpu_seconds(child.pid) or 0.0
        began = time.perf_counter()
        for n, job_id in enumerate(ids):
            await enqueue_once(self.pool, "probe", time.time(), job_id=job_id)
            await asyncio.sleep(max(0.0, began + (n + 1) / LATENCY_RATE - time.perf_counter()))

        async def all_done() -> bool:
            return None not in await self.results(ids)

        await _wait(all_done, "the probe jobs")
        trickle_cpu = (cpu_seconds(child.pid) or 0.0) - trickle_cpu
        child.send_signal(signal.SIGTERM)
        await self._ended(name, child, report)
        latencies = sorted(
            result.result * 1000 for result in await self.results(ids) if result is not None
        )
        p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98]
        idle = (after[0] - before[0] - 2) / window  # less our own two INFO commands
        return Idle(
            start_p50_ms=round(statistics.median(latencies), 2),
            start_p99_ms=round(p99, 2),
            idle_commands_per_second=round(idle, 1),
            idle_cpu_ms_per_second=round(idle_cpu / window * 1000, 2),
            trickle_cpu_ms_per_job=round(trickle_cpu / jobs * 1000, 3),
        )
