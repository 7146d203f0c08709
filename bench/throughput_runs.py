"""The measurements behind `throughput.py`: one worker child process per run, and what it cost.

A drain fills the queue, runs one worker (`throughput_worker.py`, in its place) in burst mode
and reads arq's results: jobs over the time from the first start to the last finish. Costs
per job: the worker's CPU (its own count, imports excluded) and Redis round trips (counted on
its connections), Redis's commands (a script's inner commands included, as Redis counts them)
and CPU, and the activity service's CPU; for deliveries, the events the service stored. An
idle run starts a worker, counts the Redis commands it sends and the CPU it uses while idle,
then enqueues probe jobs one at a time (100/s) and takes the time from the enqueue call to
the start (p50 and p99 by nearest rank), and the worker's CPU per probe. `Figure` is what
the report shows of one configuration; `medians` folds the runs of `--repeat` into one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from arq.connections import ArqRedis
from arq.jobs import JobResult, deserialize_result

from bench.machine import ROOT
from bench.placement import Place, placed_command
from bench.stats import percentile
from bench.suite import cpu_seconds
from src.common.events import ActivityEvent
from src.jobs.queue.producer import DELIVERY_FUNCTION, enqueue_once
from src.jobs.queue.serializer import job_deserializer

__all__ = ["Drain", "Figure", "Idle", "Run", "figure_of", "medians"]

ENQUEUE_BATCH = 200
READ_BATCH = 1000
LATENCY_RATE = 100.0  # probe jobs per second, one at a time
WAIT_TIMEOUT = 60.0


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
    stored: int | None  # events the activity service stored (None: not a delivery drain)


@dataclass(frozen=True, slots=True)
class Idle:
    """What one idle run measured."""

    start_p50_ms: float
    start_p99_ms: float
    idle_commands_per_second: float
    idle_cpu_ms_per_second: float  # the idle worker's CPU
    trickle_cpu_ms_per_job: float  # the worker's CPU per job while they come one at a time


@dataclass(frozen=True, slots=True)
class Figure:
    """One configuration's result: its speed, what it cost in all and per job, and for a
    delivery the same worker's start latency and load while idle."""

    name: str  # "noop" or "post_activity"
    poll_delay: float  # arq's; the woken worker has none
    queue_read_limit: int | None  # None: arq's default, max(5 * max_jobs, 100)
    jobs: int
    seconds: float
    per_second: float
    worker_cpu: float  # CPU seconds the worker process used while it ran (imports excluded)
    failed: int
    worker: str = "arq"  # one of WORKER_KINDS
    stored: int | None = None  # events the activity service stored (None for no-op jobs)
    activity_cpu: float = 0.0  # CPU seconds of the activity service during the drain
    redis_cpu: float = 0.0  # CPU seconds of Redis during the drain
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


def figure_of(name: str, worker: str, poll_delay: float, limit: int | None, drain: Drain) -> Figure:
    """A drain's measurements as a Figure: totals rounded, costs per job."""
    per_job = 1000 / drain.jobs
    # No span when no job succeeded: no rate either (the failures say why).
    seconds = drain.seconds if math.isfinite(drain.seconds) and drain.seconds > 0 else 0.0
    return Figure(
        name=name,
        poll_delay=poll_delay,
        queue_read_limit=limit,
        jobs=drain.jobs,
        seconds=round(seconds, 3),
        per_second=round(drain.jobs / seconds, 1) if seconds else 0.0,
        worker_cpu=round(drain.worker_cpu, 2),
        failed=drain.failed,
        worker=worker,
        stored=drain.stored,
        activity_cpu=round(drain.service_cpu, 2),
        redis_cpu=round(drain.redis_cpu, 2),
        cpu_ms_per_job=round(drain.worker_cpu * per_job, 3),
        round_trips_per_job=round(drain.round_trips / drain.jobs, 2),
        redis_commands_per_job=round(drain.redis_commands / drain.jobs, 2),
        redis_cpu_ms_per_job=round(drain.redis_cpu * per_job, 3),
        service_cpu_ms_per_job=round(drain.service_cpu * per_job, 3),
    )


def medians(runs: list[list[Any]]) -> list[Any]:
    """Field by field medians of the same configurations (dataclasses) over several runs;
    whole numbers stay whole (the lower median), other fields are taken from the first run."""
    result = []
    for same in zip(*runs, strict=True):
        fields: dict[str, Any] = {}
        for field in dataclasses.fields(same[0]):
            values = [getattr(item, field.name) for item in same]
            if all(isinstance(value, int) for value in values):
                fields[field.name] = statistics.median_low(values)
            elif all(isinstance(value, int | float) for value in values):
                fields[field.name] = statistics.median(values)
            else:
                fields[field.name] = values[0]
        result.append(type(same[0])(**fields))
    return result


async def _wait(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not await condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Run:
    """One bench run's Redis, environment, activity service and log directory, and the
    place of the worker under test."""

    def __init__(
        self,
        pool: ArqRedis,
        env: dict[str, str],
        workdir: Path,
        *,
        service: int,
        activity: aiohttp.ClientSession,
        place: Place,
    ) -> None:
        self.pool = pool
        self.env = env
        self.workdir = workdir
        self.service = service  # the activity service's pid
        self.activity = activity  # its API, authorized
        self.place = place

    async def _stored_total(self) -> int:
        async with self.activity.get("/api/stats", params={"minutes": "1"}) as response:
            response.raise_for_status()
            return int((await response.json())["stored_total"])

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
        command = placed_command([
            sys.executable, "-m", "bench.throughput_worker", function, worker,
            str(poll_delay), str(read_limit or 0), burst, str(report),
        ], self.place)  # fmt: skip
        with (self.workdir / f"{name}.log").open("ab") as log:
            # cwd: `bench` is importable from the checkout's root, not installed.
            child = await asyncio.create_subprocess_exec(
                *command, env=self.env, stdout=log, stderr=log, cwd=ROOT
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
        delivery = function == DELIVERY_FUNCTION
        stored_before = await self._stored_total() if delivery else 0
        before = await self._counters()
        child, report = await self._worker(name, function, worker, poll_delay, read_limit)
        worker_report = await self._ended(name, child, report)
        after = await self._counters()
        stored = await self._stored_total() - stored_before if delivery else None
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
            stored=stored,
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

        try:
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
        except BaseException:
            child.kill()  # this worker runs until told to stop: never leave it behind
            await child.wait()
            raise
        child.send_signal(signal.SIGTERM)
        await self._ended(name, child, report)
        latencies = [
            result.result * 1000 for result in await self.results(ids) if result is not None
        ]
        idle = (after[0] - before[0] - 2) / window  # less our own two INFO commands
        return Idle(
            start_p50_ms=round(percentile(latencies, 0.50), 2),
            start_p99_ms=round(percentile(latencies, 0.99), 2),
            idle_commands_per_second=round(idle, 1),
            idle_cpu_ms_per_second=round(idle_cpu / window * 1000, 2),
            trickle_cpu_ms_per_job=round(trickle_cpu / jobs * 1000, 3),
        )
